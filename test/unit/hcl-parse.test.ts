/**
 * Every example profile's Packer HCL, in both flavors, through HashiCorp's own
 * HCL parser (@cdktf/hcl2json), then its structure: the flavor's packer block,
 * the amazon-ebs source (encryption, sharing, base-image filter, digest tags)
 * and the build (files/ upload, then `cocca-run bake`, then `cocca-run seal`).
 *
 * hcl2json groups provisioners by type, so the order across types is read from
 * the raw text (each `provisioner "..."` block in turn).
 *
 * Each check collects problems as text, so the negative controls at the end
 * can show the same checks failing on broken HCL.
 */
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { PACKAGE_LIST_FILE, packerHcl, type PackerFlavor } from '../../generator/emit/packer.js';
import { IMAGE_PACKAGES } from '../../generator/instance/paths.js';
import { exampleProfiles, outFile, renderInProcess, type ExampleProfile } from '../helpers/outputs.js';
import { checkFragment } from './profile-helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const CANONICAL = '099720109477';
const UPLOAD_DIR = '/tmp/cocca';
const RUN = '/usr/local/sbin/cocca-run';

/** Syntax that Packer 1.6.6 rejects (test-tools.md §1). */
const LEGACY_FORBIDDEN = [
  'required_plugins',
  'metadata_options',
  'imds_support',
  'temporary_security_group_source_public_ip',
  'templatefile(',
  'strcontains(',
  'error-cleanup-provisioner',
  'hcp_packer_registry',
];

interface RawProvisioner {
  type: string;
  text: string;
}

/** The build's provisioner blocks in source order (type and raw text up to the next block). */
function rawProvisioners(text: string): RawProvisioner[] {
  const re = /^\s*(provisioner|post-processor)\s+"([^"]+)"\s*\{/gm;
  const marks = [...text.matchAll(re)].map((m) => ({ kind: m[1]!, type: m[2]!, at: m.index }));
  return marks
    .map((m, i) => ({ ...m, text: text.slice(m.at, i + 1 < marks.length ? marks[i + 1]!.at : text.length) }))
    .filter((m) => m.kind === 'provisioner')
    .map((m) => ({ type: m.type, text: m.text }));
}

function one<T>(list: T[] | undefined, what: string, problems: string[]): T | undefined {
  if (!Array.isArray(list) || list.length !== 1) {
    problems.push(`expected exactly one ${what}, got ${Array.isArray(list) ? list.length : 'none'}`);
    return undefined;
  }
  return list[0];
}

function same(problems: string[], what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    problems.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Everything the HCL must say for this profile and flavor; [] when it does. */
function hclProblems(json: Json, text: string, p: ExampleProfile, flavor: PackerFlavor, files: Set<string>): string[] {
  const problems: string[] = [];
  const aws = p.profile.targets.aws;

  // packer block
  const packer = one<Json>(json.packer, 'packer block', problems);
  if (flavor === 'modern') {
    const rp = packer?.required_plugins;
    if (!Array.isArray(rp) || rp.length === 0) problems.push('modern: packer.required_plugins is missing');
    else if (aws) same(problems, 'modern: required_plugins.amazon.source', rp[0]?.amazon?.source, 'github.com/hashicorp/amazon');
    if (typeof packer?.required_version !== 'string' || !/^>=\s*1\.(1\d|[7-9])/.test(packer.required_version)) {
      problems.push(`modern: required_version should ask for Packer >= 1.7 (1.10+), got ${JSON.stringify(packer?.required_version)}`);
    }
  } else {
    if (packer && 'required_plugins' in packer) problems.push('legacy: packer.required_plugins is present (Packer 1.6.6 rejects it)');
    for (const word of LEGACY_FORBIDDEN) if (text.includes(word)) problems.push(`legacy: the text contains ${word} (Packer 1.6.6 rejects it)`);
    if (json.data) problems.push('legacy: has data blocks (Packer 1.6.6 rejects them)');
  }

  // amazon-ebs source
  const ebsSources = json.source?.['amazon-ebs'] ?? {};
  if (!aws) {
    if (Object.keys(ebsSources).length > 0) problems.push('an amazon-ebs source without targets.aws');
  } else {
    const src = one<Json>(ebsSources.cocca, 'source "amazon-ebs" "cocca"', problems);
    if (src) {
      // AWS cannot publish encrypted snapshots: only a public image is unencrypted.
      same(problems, 'encrypt_boot', src.encrypt_boot, !aws.public);
      same(problems, 'ami_groups', src.ami_groups, aws.public ? ['all'] : []);
      same(problems, 'ami_users', src.ami_users, aws.shareWith);
      // Copies: Packer's by default (the variable), the EC2 API's under `cocca-bake build` (which sets it to []).
      same(problems, 'ami_regions', src.ami_regions, '${var.ami_regions}');
      same(problems, 'variable ami_regions default', (json.variable as Json | undefined)?.ami_regions?.[0]?.default, aws.copyTo);
      same(problems, 'region', src.region, aws.region);
      same(problems, 'instance_type', src.instance_type, aws.instanceType);
      same(problems, 'ssh_username', src.ssh_username, p.profile.ssh.loginUser ?? p.os.users.aws);
      if (aws.kmsKeyId !== undefined) same(problems, 'kms_key_id', src.kms_key_id, aws.kmsKeyId);
      const filter = one<Json>(src.source_ami_filter, 'source_ami_filter', problems);
      if (filter) {
        same(problems, 'source_ami_filter.filters', filter.filters, {
          name: p.os.awsBaseImage.namePattern,
          'root-device-type': 'ebs',
          'virtualization-type': 'hvm',
        });
        if (p.profile.os === 'ubuntu-22.04' && !/^ubuntu\/images\/hvm-ssd\/ubuntu-jammy-22\.04-amd64-server-\*$/.test(String(filter.filters?.name))) {
          problems.push(`source_ami_filter name is not Canonical's Ubuntu 22.04 amd64 pattern: ${String(filter.filters?.name)}`);
        }
        same(problems, 'source_ami_filter.owners', filter.owners, [p.os.awsBaseImage.owner]);
        if (p.profile.os.startsWith('ubuntu-')) same(problems, 'source_ami_filter.owners (Canonical)', filter.owners, [CANONICAL]);
        same(problems, 'source_ami_filter.most_recent', filter.most_recent, true);
      }
      for (const key of ['tags', 'snapshot_tags']) {
        same(problems, `${key}["cocca-bake:profile-digest"]`, src[key]?.['cocca-bake:profile-digest'], p.profile.digest);
        same(problems, `${key}["cocca-bake:profile"]`, src[key]?.['cocca-bake:profile'], p.name);
      }
      if (flavor === 'modern') {
        same(problems, 'modern: imds_support', src.imds_support, 'v2.0');
        const mo = one<Json>(src.metadata_options, 'metadata_options (modern)', problems);
        if (mo) same(problems, 'modern: metadata_options.http_tokens', mo.http_tokens, 'required');
      } else {
        if ('metadata_options' in src) problems.push('legacy: metadata_options is present');
        if ('imds_support' in src) problems.push('legacy: imds_support is present');
      }
    }
  }

  // qemu source (none of today's examples has one): its seed files must be in the render
  for (const q of Object.values<Json[]>(json.source?.qemu ?? {})) {
    for (const f of q[0]?.cd_files ?? []) if (!files.has(`packer/${f}`)) problems.push(`qemu cd_files names ${f}, which the render lacks`);
  }

  // build: upload files/, install, bake, then seal
  const build = one<Json>(json.build, 'build block', problems);
  if (build) {
    if (aws && !(build.sources ?? []).includes('source.amazon-ebs.cocca')) problems.push('build.sources lacks source.amazon-ebs.cocca');
    // Two file provisioners: files/ up before the bake, the image's package list down after it.
    const fileProvisioners: Json[] = build.provisioner?.file ?? [];
    const upload = fileProvisioners.filter((f) => f.direction === undefined);
    const download = fileProvisioners.filter((f) => f.direction === 'download');
    if (fileProvisioners.length !== 2 || upload.length !== 1 || download.length !== 1) {
      problems.push(`expected one upload and one download file provisioner, got ${JSON.stringify(fileProvisioners)}`);
    } else {
      same(problems, 'file provisioner source', upload[0]!.source, 'files/');
      same(problems, 'file provisioner destination', upload[0]!.destination, UPLOAD_DIR);
      same(problems, 'download provisioner source', download[0]!.source, IMAGE_PACKAGES);
      same(problems, 'download provisioner destination', download[0]!.destination, PACKAGE_LIST_FILE);
    }
    if (!files.has('packer/files/install.sh')) problems.push('the render has no packer/files/install.sh (what the build runs)');
    const inline: string[] = (build.provisioner?.shell ?? []).flatMap((s: Json) => s.inline ?? []);
    const idx = (cmd: string) => inline.indexOf(cmd);
    for (const cmd of [`bash ${UPLOAD_DIR}/install.sh`, `${RUN} bake`, `${RUN} seal`]) {
      if (idx(cmd) < 0) problems.push(`no shell provisioner runs "${cmd}" (inline: ${JSON.stringify(inline)})`);
    }
    if (!(idx(`bash ${UPLOAD_DIR}/install.sh`) < idx(`${RUN} bake`) && idx(`${RUN} bake`) < idx(`${RUN} seal`))) {
      problems.push(`shell order must be install.sh, bake, seal; got ${JSON.stringify(inline)}`);
    }
    for (const s of build.provisioner?.shell ?? []) {
      const root = (s.inline ?? []).some((c: string) => c.includes(RUN) || c.includes('install.sh'));
      if (root && !/^sudo\b/.test(String(s.execute_command))) problems.push(`provisioner ${JSON.stringify(s.inline)} does not run as root (execute_command ${JSON.stringify(s.execute_command)})`);
    }
  }

  // order across provisioner types, from the raw text
  const raw = rawProvisioners(text);
  const at = (pred: (r: RawProvisioner) => boolean) => raw.findIndex(pred);
  const fileAt = at((r) => r.type === 'file' && r.text.includes('"files/"'));
  const bakeAt = at((r) => r.type === 'shell' && r.text.includes(`${RUN} bake`));
  const sealAt = at((r) => r.type === 'shell' && r.text.includes(`${RUN} seal`));
  // The package list is whole only after the bake, and must be fetched before the seal powers off.
  const downloadAt = at((r) => r.type === 'file' && r.text.includes('"download"'));
  if (fileAt < 0 || bakeAt < 0 || downloadAt < 0 || sealAt < 0 || !(fileAt < bakeAt && bakeAt < downloadAt && downloadAt < sealAt)) {
    problems.push(`provisioner order in the text must be file(files/) < shell(bake) < file(download) < shell(seal); got ${raw.map((r) => r.type).join(', ')} (file ${fileAt}, bake ${bakeAt}, download ${downloadAt}, seal ${sealAt})`);
  }

  // the header names the digest too
  if (!text.split('\n')[0]?.includes(p.profile.digest)) problems.push('the first line does not carry the profile digest');
  return problems;
}

/** Problems that the shared-encryption rule finds (AWS cannot share an AMI encrypted with the default key). */
function sharedEncryptionProblems(json: Json): string[] {
  const src = json.source?.['amazon-ebs']?.cocca?.[0];
  if (!src || src.encrypt_boot !== true) return [];
  const shared = (src.ami_users ?? []).length > 0 || (src.ami_groups ?? []).length > 0;
  return shared && !src.kms_key_id
    ? [`encrypt_boot = true and shared (ami_users ${JSON.stringify(src.ami_users)}, ami_groups ${JSON.stringify(src.ami_groups)}) without kms_key_id: AWS cannot share an AMI encrypted with the default KMS key`]
    : [];
}

async function parseHcl(text: string): Promise<Json> {
  return parse('cocca.pkr.hcl', text);
}

const FLAVORS: PackerFlavor[] = ['modern', 'legacy'];
const cases = exampleProfiles().flatMap((p) => FLAVORS.map((flavor) => [`${p.name} (${flavor})`, p, flavor] as const));

describe.each(cases)('%s', (_title, p, flavor) => {
  const files = renderInProcess(p, flavor);
  const text = outFile(files, 'packer/cocca.pkr.hcl').toString('utf8');
  const names = new Set(files.keys());

  it('parses with HashiCorp HCL (@cdktf/hcl2json) and has the expected structure', async () => {
    const json = await parseHcl(text);
    expect(hclProblems(json, text, p, flavor, names)).toEqual([]);
  });

  it('a shared encrypted AMI names its own KMS key', async () => {
    expect(sharedEncryptionProblems(await parseHcl(text))).toEqual([]);
  });
});

describe('negative controls: the HCL checks can fail', () => {
  const p = exampleProfiles()[0]!;
  const render = (flavor: PackerFlavor) => {
    const files = renderInProcess(p, flavor);
    return { text: outFile(files, 'packer/cocca.pkr.hcl').toString('utf8'), names: new Set(files.keys()) };
  };
  const problemsOf = async (flavor: PackerFlavor, mutate: (t: string) => string) => {
    const { text, names } = render(flavor);
    const changed = mutate(text);
    expect(changed, 'the mutation changed nothing').not.toBe(text);
    return hclProblems(await parseHcl(changed), changed, p, flavor, names);
  };

  it('hcl2json rejects a syntax error', async () => {
    await expect(parseHcl('source "amazon-ebs" "x" {\n  region = "a" "b"\n}\n')).rejects.toThrow();
  });

  it('an unencrypted boot volume is caught', async () => {
    expect(await problemsOf('modern', (t) => t.replace(/encrypt_boot(\s*)= true/, 'encrypt_boot$1= false'))).toEqual([
      'encrypt_boot: expected true, got false',
    ]);
  });

  it('a build that no longer downloads the package list is caught', async () => {
    const problems = await problemsOf('modern', (t) => t.replace(/direction(\s*)= "download"/, 'direction$1= "upload"'));
    expect(problems.some((m) => m.startsWith('expected one upload and one download file provisioner'))).toBe(true);
    expect(problems.some((m) => m.startsWith('provisioner order in the text must be'))).toBe(true);
  });

  it('seal before bake is caught (both in the model and in the text order)', async () => {
    const swapped = await problemsOf('modern', (t) => t.replace(`${RUN} bake`, '@@').replace(`${RUN} seal`, `${RUN} bake`).replace('@@', `${RUN} seal`));
    expect(swapped.some((m) => m.startsWith('shell order must be'))).toBe(true);
    expect(swapped.some((m) => m.startsWith('provisioner order in the text'))).toBe(true);
  });

  it('a file upload after the bake is caught from the raw text', async () => {
    const moved = await problemsOf('modern', (t) => {
      const block = /\n  provisioner "file" \{[^}]*\}\n/.exec(t)![0];
      return t.replace(block, '\n').replace('\n  post-processor', `${block}\n  post-processor`);
    });
    expect(moved.some((m) => m.startsWith('provisioner order in the text'))).toBe(true);
  });

  it('IMDS options in the legacy flavor are caught', async () => {
    const problems = await problemsOf('legacy', (t) => t.replace(/(encrypt_boot\s*= true)/, '$1\n  imds_support = "v2.0"'));
    expect(problems).toContain('legacy: the text contains imds_support (Packer 1.6.6 rejects it)');
    expect(problems).toContain('legacy: imds_support is present');
  });

  it('a missing required_plugins in the modern flavor is caught', async () => {
    const problems = await problemsOf('modern', (t) => t.replace(/\n\s*required_plugins \{[\s\S]*?\n  \}\n/, '\n'));
    expect(problems).toContain('modern: packer.required_plugins is missing');
  });

  it('a wrong digest tag, owner or filter is caught', async () => {
    const problems = await problemsOf('modern', (t) =>
      t.replace(`"cocca-bake:profile-digest" = "${p.profile.digest}"`, `"cocca-bake:profile-digest" = "${'0'.repeat(64)}"`).replace(CANONICAL, '123456789012').replace('"hvm"', '"paravirtual"'),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tags\["cocca-bake:profile-digest"\]/),
        expect.stringMatching(/^source_ami_filter\.owners/),
        expect.stringMatching(/^source_ami_filter\.filters/),
      ]),
    );
  });

  it('ami_groups ["all"] on a private profile is caught, and a shared AMI on the default key is flagged', async () => {
    const problems = await problemsOf('modern', (t) => t.replace(/ami_groups(\s*)= \[\]/, 'ami_groups$1= ["all"]'));
    expect(problems.some((m) => m.startsWith('ami_groups:'))).toBe(true);
    const shared = render('modern').text.replace(/ami_users(\s*)= \[[^\]]*\]/, 'ami_users$1= ["111122223333"]').replace(/\n\s*kms_key_id\s*=.*\n/, '\n');
    expect(sharedEncryptionProblems(await parseHcl(shared))).toHaveLength(1);
  });
});

describe("Packer logs in as each target's image user", () => {
  const render = async (yaml: string) => {
    const r = checkFragment({ yaml });
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    return parseHcl(packerHcl(r.profile!, r.os!, 'modern')!);
  };
  it.each([
    ['ubuntu-22.04', '', 'ubuntu', ['ubuntu']],
    // Debian's AMIs log in as admin; its genericcloud qcow2 as debian (the qemu build uses its own user).
    ['debian-12', 'os: debian-12\n', 'admin', ['admin']],
    // Another image's user (debian on the AMI) is refused by the rules (rules.test.ts).
    ['an explicit loginUser, the AMI\'s own', 'os: debian-12\nssh:\n  loginUser: admin\n', 'admin', ['admin']],
  ])('%s', async (_what, yaml, user, allowUsers) => {
    const json = await render(yaml);
    const src = (json.source as Json)['amazon-ebs']!.cocca![0] as Json;
    expect(src.ssh_username).toBe(user);
    expect(checkFragment({ yaml }).profile!.ssh.allowUsers).toEqual(allowUsers);
  });
});
