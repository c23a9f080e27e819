/**
 * Each networking option of targets.aws.network, rendered in both Packer flavors, through the
 * real `packer validate` (Debian's Packer 1.6.6, inside `unshare -n`: no AWS call is made).
 *
 * - legacy: the render exactly as written.
 * - modern: Packer 1.6.6 cannot read the modern flavor's `packer { required_plugins }` block and
 *   knows none of the IMDSv2 options nor temporary_security_group_source_public_ip, so those
 *   (MODERN_ONLY, and nothing else: the test checks what it removed) are taken out and the rest
 *   validated; every networking argument is the same in both. The removed arguments are in the
 *   Amazon plugin's config (builder/ebs/builder.hcl2spec.go, packer-plugin-amazon), which no
 *   Packer here can check; so is a multi-Region KMS key id (its ValidateKmsKey takes mrk-).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RenderError, renderOutputs } from '../../generator/emit/output.js';
import { plan } from '../../generator/components/index.js';
import type { PackerFlavor } from '../../generator/emit/packer.js';
import { checkFragment } from '../unit/profile-helpers.js';
import { hasTool, isRoot, packerValidate } from './tools.js';

const missing = process.env.CI === 'true' ? [] : [...(await Promise.all(['packer', 'unshare'].map(async (t) => ((await hasTool(t)) ? [] : [t])))).flat(), ...(isRoot() ? [] : ['root'])];
const SKIP = missing.length > 0 ? `needs ${missing.join(', ')} (sudo bash test/setup/deps.sh)` : undefined;

const net = (lines: string) => `targets:\n  aws:\n    network:\n${lines.replace(/^/gm, '      ')}\n`;
const QEMU = 'targets:\n  qemu:\n    baseImage: {url: "https://mirror.example/base.img", sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n';

const OPTIONS: Array<{ name: string; yaml: string; legacyRefused?: RegExp; modernOnly?: RegExp }> = [
  { name: "the default: Packer's choice of address, port 22 from the trusted IPv4 networks", yaml: 'description: default\n' },
  { name: 'no public address, Packer picks the private one', yaml: net('associatePublicIp: false') },
  { name: 'subnet and VPC by id, private IP, no public address', yaml: net('subnetId: subnet-0123456789abcdef0\nvpcId: vpc-0123abcd\nassociatePublicIp: false\nconnect: private-ip') },
  { name: 'subnet, VPC and security groups by filter', yaml: net('subnetFilter: {filters: {"tag:Name": "build-*"}, mostFree: true}\nvpcFilter: {filters: {"tag:Name": cocca}}\nsecurityGroupFilter: {filters: {group-name: cocca-build}}\nconnect: private-ip') },
  { name: 'a random subnet by filter', yaml: net('subnetFilter: {filters: {"tag:Tier": private}, random: true}\nconnect: private-ip') },
  { name: 'own security groups, public IP', yaml: net('securityGroupIds: [sg-0123abcd, sg-0123456789abcdef0]\nassociatePublicIp: true') },
  { name: 'Session Manager with an instance profile', yaml: net('connect: session-manager\ninstanceProfile: cocca-build\nassociatePublicIp: false\nsubnetId: subnet-0123abcd') },
  { name: 'public IP from given networks', yaml: net('connect: public-ip\nassociatePublicIp: true\nsshSourceCidrs: [203.0.113.0/24, 192.0.2.7]') },
  { name: "public IP from the Packer host's own address", yaml: net('sshSourceMyIp: true'), legacyRefused: /sshSourceMyIp needs Packer 1\.7 or later/ },
  { name: 'a multi-Region KMS key', yaml: 'targets:\n  aws:\n    kmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd\n', legacyRefused: /is a multi-Region key, which Packer 1\.6\.6 refuses/,
    // The Amazon plugin's ValidateKmsKey takes mrk- ids (common/ami_config.go); 1.6.6's does not.
    modernOnly: /^ {2}kms_key_id += "arn:aws:kms:[^"]*:key\/mrk-[0-9a-f]+"\n/m,
  },
  { name: 'Debian 12 (root device /dev/xvda), with a qemu target too', yaml: `os: debian-12\n${QEMU}` },
  { name: "Ubuntu 24.04 (Canonical's noble gp3 AMIs), with a qemu target too", yaml: `os: ubuntu-24.04\n${QEMU}` },
];

/** What Packer 1.6.6 cannot read in a modern render. */
const MODERN_ONLY = [/^packer \{\n[\s\S]*?\n\}\n\n/m, /^ {2}imds_support += .*\n/m, /^ {2}metadata_options \{\n[\s\S]*?\n {2}\}\n/m, /^ {2}temporary_security_group_source_public_ip += .*\n/m];

const work = mkdtempSync(path.join(tmpdir(), 'cocca-network-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeRender(dir: string, files: ReturnType<typeof renderOutputs>['files']): string {
  for (const f of files) {
    const out = path.join(dir, ...f.path.split('/'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, f.data, { mode: f.mode });
  }
  return path.join(dir, 'packer');
}

describe.skipIf(SKIP)(`packer validate on each networking option${SKIP ? ` [skipped: ${SKIP}]` : ''}`, () => {
  describe.each(OPTIONS.map((o, i) => [o.name, o, i] as const))('%s', (_name, option, i) => {
    const r = checkFragment({ yaml: option.yaml });
    const render = (flavor: PackerFlavor) => renderOutputs(r.profile!, r.os!, plan(r.profile!, r.os!), { packerFlavor: flavor }).files;

    it('validate accepts the profile', () => {
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    });

    it.each(['legacy', 'modern'] as const)('%s', async (flavor) => {
      if (flavor === 'legacy' && option.legacyRefused) {
        expect(() => render('legacy')).toThrow(RenderError);
        expect(() => render('legacy')).toThrow(option.legacyRefused);
        return;
      }
      const dir = writeRender(path.join(work, `${i}-${flavor}`), render(flavor));
      if (flavor === 'modern') {
        const file = path.join(dir, 'cocca.pkr.hcl');
        const text = readFileSync(file, 'utf8');
        let stripped = text;
        for (const re of [...MODERN_ONLY, ...(option.modernOnly ? [option.modernOnly] : [])]) stripped = stripped.replace(re, '');
        // Only the known modern-only parts went: every removed line is one of theirs.
        const kept = new Set(stripped.split('\n'));
        const removed = text.split('\n').filter((l) => !kept.has(l));
        for (const line of removed) expect(line, 'removed from the modern render').toMatch(/^(packer \{|  required_version|  required_plugins \{|    (amazon|qemu) = \{|      (version|source) +=|    \}|  \}|\}|  imds_support|  metadata_options \{|    http_\w+ +=|  temporary_security_group_source_public_ip|  kms_key_id += "arn:aws:kms:[^"]*:key\/mrk-)|^$/);
        writeFileSync(file, stripped);
      }
      const v = await packerValidate(dir);
      expect(v.ok, `packer validate (${flavor}) of "${option.name}":\n${v.output}`).toBe(true);
    }, 120_000);
  });

  it('Packer 1.6.6 itself refuses what the legacy render refuses (so the RenderError is not over-cautious)', async () => {
    const r = checkFragment({ yaml: 'description: x\n' });
    const dir = writeRender(path.join(work, 'refused'), renderOutputs(r.profile!, r.os!, plan(r.profile!, r.os!), { packerFlavor: 'legacy' }).files);
    const file = path.join(dir, 'cocca.pkr.hcl');
    const text = readFileSync(file, 'utf8');
    const withMrk = text.replace(/^( {2}encrypt_boot += true\n)/m, '$1  kms_key_id = "mrk-1234abcd5678"\n');
    expect(withMrk).not.toBe(text);
    writeFileSync(file, withMrk);
    const mrk = await packerValidate(dir);
    expect(mrk.ok).toBe(false);
    expect(mrk.output).toMatch(/"mrk-1234abcd5678" is not a valid KMS Key Id/);
    const withMyIp = text.replace(/^( {2}temporary_security_group_source_cidrs += .*\n)/m, '$1  temporary_security_group_source_public_ip = true\n');
    expect(withMyIp).not.toBe(text);
    writeFileSync(file, withMyIp);
    const myIp = await packerValidate(dir);
    expect(myIp.ok).toBe(false);
    expect(myIp.output).toMatch(/temporary_security_group_source_public_ip/);
  }, 120_000);
});
