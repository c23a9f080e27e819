/**
 * Whatever validate accepts renders, and arrives as written (issue 10), as a property: fast-check
 * puts generated values into the schema's free-string fields (found by walking
 * profiles/profile.schema.json: every string without enum or const), one or two at a time,
 * over a clean base. The values mix what breaks escaping: quotes, $, backticks, backslashes,
 * `#` at a line start, ${ and %{, {{ }}, @@X@@, EL, control characters and line breaks,
 * unpaired surrogates, combining marks, astral characters; each field also gets them inside
 * the shape its pattern asks for, and as often values its schema pattern matches
 * (fc.stringMatching), so that many are accepted.
 *
 * For each profile:
 * - validate (checkProfile) never throws; refused, it has no profile to render, and a value
 *   with a character no output can carry is among the errors, at its path;
 * - accepted, render (both Packer flavors) never throws; then, in bulk (render-checks.ts):
 *   bash -n and ShellCheck on every script, hcl2json on every HCL and `packer validate` on
 *   up to PACKER_MAX legacy renders, xmllint on every XML, PyYAML on every user-data; and
 *   each value where it lands, byte for byte: a shell word read back by bash, a NAME=value
 *   line read by lib.sh's kv_get, resin.xml's <jvm-arg-line> and the user-data's keys and
 *   files read by Python's parsers, an HCL string read by hcl2json;
 * - a few of each kind also through the built CLI: refused, render writes nothing; accepted,
 *   it writes what the in-process render made.
 *
 * Reproducible: seed SEED and NUM_RUNS runs (30 to 40 s on two cores); set
 * COCCA_PROPERTY_SEED and COCCA_PROPERTY_RUNS to explore further. Failures name the seed and
 * the run with its values.
 */
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderOutputs, RenderError } from '../../generator/emit/output.js';
import { plan } from '../../generator/components/index.js';
import { QEMU_ARGS_FIELDS, packerHcl } from '../../generator/emit/packer.js';
import { checkProfile } from '../../generator/check/index.js';
import { canonicalFqdn } from '../../generator/profile/resolve.js';
import { MODERN_PACKER, readTree, ROOT, runCli } from '../helpers/outputs.js';
import { asHclJson, OutputChecker, type Files } from './render-checks.js';
import { hasTool, isRoot } from './tools.js';

const SEED = Number(process.env.COCCA_PROPERTY_SEED ?? 0x0cca10);
const NUM_RUNS = Number(process.env.COCCA_PROPERTY_RUNS ?? 200);
const PACKER_MAX = 4;
const CLI_SAMPLES = 3;

const NEEDS = ['bash', 'shellcheck', 'xmllint', 'packer', 'unshare', '/usr/bin/python3'];
const missing = process.env.CI === 'true' ? [] : [...(await Promise.all(NEEDS.map(async (t) => ((await hasTool(t)) ? [] : [t])))).flat(), ...(isRoot() ? [] : ['root'])];
const SKIP = missing.length > 0 ? `needs ${missing.join(', ')} (sudo bash test/setup/deps.sh)` : undefined;

const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const ARTIFACTS = ['openssl', 'jdk', 'resin', 'jdbc', 'war', 'keystore'] as const;

/** The clean base every generated leaf extends: user-data is written (secrets from SSM), both targets. */
const BASE = {
  apiVersion: 'cocca-bake/v1',
  host: { fqdn: 'registry.nic.example' },
  firewall: { trusted: ['198.51.100.0/24'] },
  artifacts: Object.fromEntries(ARTIFACTS.map((n) => [n, { url: `https://mirror.example/${n}.tar.gz`, sha256: PIN }])),
  secrets: { source: 'aws-ssm', parameterPath: '/cocca/p/' },
  targets: {
    aws: { region: 'eu-west-1', instanceType: 't3.xlarge' },
    qemu: { baseImage: { url: 'https://mirror.example/base.img', sha256: PIN } },
  },
};

// ---------------------------------------------------------------------------
// values

/** What breaks quoting somewhere: every output's special characters, and characters no output can carry. */
const FRAGMENTS = [
  "'", '"', '$', '`', '\\', '\n#', '#', '${', '%{', '$${', '%%{', '{{ .Name }}', '{{', '}}', '{{ env `HOME` }}', '@@FQDN@@', '@@', '#{x}', '${x}',
  '$(id)', ';', '|', '&', '<', '>', ']]>', '--', '-', '=', '%', '*', '?', '~', '!', ' ', '\t', '\r', '\n', '\r\n',
  '\u0000', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\ud800', '\udc00',
  'é', 'e\u0301', 'n\u0303', '🦀', '中文', '\ufeff', '\ufffe', 'a', 'Z9', '.', '/', ':', ',', '[', ']', '@',
];
/** The fragments no output can carry (validate refuses them in every single-line field). */
const UNCARRIABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/;
const textOf = (fragments: string[]) =>
  fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fragments) }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 2 }) }), { maxLength: 6 }).map((parts) => parts.join(''));
/** Anything, line breaks and control characters included. */
const nasty = textOf(FRAGMENTS);
/** What a value may hold, and all that is special to some output: most of these are accepted. */
const text = textOf(FRAGMENTS.filter((f) => !UNCARRIABLE.test(f)));
/** No whitespace, as the schema's \S sees it: what fits inside a URL or a word of a pattern. */
const word = text.map((s) => s.replace(/\s/g, ''));
/** A field's values: anything now and then, mostly the field's own shape around special text. */
const shaped = (...shapes: Array<fc.Arbitrary<string>>) => fc.oneof({ weight: 1, arbitrary: nasty }, ...shapes.map((a) => ({ weight: 3, arbitrary: a })));

// ---------------------------------------------------------------------------
// fields

type Doc = Record<string, unknown>;
type Landing =
  | { shellWord: true }
  | { env: string; want?: (v: string) => string }
  | { yaml: 'firstboot' | 'full'; get: (doc: any) => unknown; want: (v: string) => unknown }
  | { xml: string }
  | { hcl: (json: any) => unknown; want?: (v: string) => unknown };

interface Field {
  /** The finding path of the value, as validate reports it. */
  at: string;
  values: fc.Arbitrary<string>;
  /** The leaf's keys for a value: the field and what it needs beside it. */
  place: (v: string) => Doc;
  /** Where render writes the value, checked byte for byte; or why it is not checked. */
  lands: Landing[] | { unchecked: string };
  /** May span lines (the description). */
  multiLine?: boolean;
  /** Goes into the Packer HCL: NFC and no {{ (except qemuArgs' references). */
  hcl?: boolean;
}

const STEPS = 'packer/files/rootfs/usr/local/lib/cocca/steps/';
const DEFAULTS = 'packer/files/rootfs/usr/local/lib/cocca/defaults.env';
const aws = (json: any) => json.source['amazon-ebs'].cocca[0];
const qemu = (json: any) => json.source.qemu.cocca[0];
const PATTERNED = { unchecked: 'a pattern holds it to safe characters' };
const artifactUrl = (name: string): Field => ({
  at: `artifacts.${name}.url`,
  values: shaped(word.map((w) => `https://m.example/${w}.tar.gz`)),
  place: (v) => ({ artifacts: { [name]: { url: v, sha256: PIN } } }),
  lands: [{ shellWord: true }],
});
const artifactSha = (name: string): Field => ({ at: `artifacts.${name}.sha256`, values: shaped(word), place: (v) => ({ artifacts: { [name]: { url: 'https://m.example/x', sha256: v } } }), lands: PATTERNED });

const FIELDS: Record<string, Field> = {
  name: { at: 'name', values: shaped(word.map((w) => `p-${w}`)), place: (v) => ({ name: v }), lands: [{ env: 'PROFILE' }, { hcl: (j) => aws(j).tags['cocca-bake:profile'] }], hcl: true },
  description: { at: 'description', values: shaped(text), place: (v) => ({ description: v }), lands: { unchecked: 'free text for people: it lands in no output' }, multiLine: true },
  'host.fqdn': {
    at: 'host.fqdn',
    values: shaped(word.map((w) => `reg${w}.nic.example`), fc.constant('registry.nic.example.')),
    place: (v) => ({ host: { fqdn: v } }),
    lands: [
      // Without the root's trailing dot, as hostname and certbot take it (canonicalFqdn).
      { env: 'FQDN', want: canonicalFqdn },
      { yaml: 'firstboot', get: (d) => d.write_files.find((f: any) => f.path === '/etc/cocca/instance.env').content, want: (v) => `COCCA_FQDN=${canonicalFqdn(v)}\n` },
    ],
  },
  'apt.sources[]': {
    at: 'apt.sources[0]',
    values: shaped(
      fc.tuple(text.map((s) => s.replace(/]/g, '')), word).map(([o, w]) => `deb [${o}] https://m.example/${w} jammy main`),
      word.map((w) => `deb https://m.example/ubuntu${w} jammy main`),
    ),
    place: (v) => ({ postgres: { source: 'apt' }, apt: { sources: [v] } }),
    lands: [{ shellWord: true }],
  },
  'firewall.trusted[]': { at: 'firewall.trusted[0]', values: shaped(word.map((w) => `203.0.113.0/24${w}`), fc.constant('2001:db8::/32')), place: (v) => ({ firewall: { trusted: [v] } }), lands: [{ shellWord: true }] },
  'ssh.loginUser': { at: 'ssh.loginUser', values: shaped(word), place: (v) => ({ ssh: { loginUser: v } }), lands: [{ hcl: (j) => aws(j).ssh_username }], hcl: true },
  'ssh.allowUsers[]': { at: 'ssh.allowUsers[0]', values: shaped(word), place: (v) => ({ ssh: { allowUsers: [v, 'ubuntu'] } }), lands: PATTERNED },
  'ssh.authorizedKeys[]': {
    at: 'ssh.authorizedKeys[0]',
    values: shaped(text.map((c) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ${c}`)),
    place: (v) => ({ ssh: { authorizedKeys: [v] } }),
    lands: [
      { yaml: 'firstboot', get: (d) => d.ssh_authorized_keys, want: (v) => [v] },
      { yaml: 'full', get: (d) => d.ssh_authorized_keys, want: (v) => [v] },
    ],
  },
  'fail2ban.findTime': { at: 'fail2ban.findTime', values: shaped(word), place: (v) => ({ fail2ban: { findTime: v } }), lands: PATTERNED },
  'fail2ban.banTime': { at: 'fail2ban.banTime', values: shaped(word), place: (v) => ({ fail2ban: { banTime: v } }), lands: PATTERNED },
  'postgres.database': { at: 'postgres.database', values: shaped(word), place: (v) => ({ postgres: { database: v } }), lands: PATTERNED },
  'postgres.backup.url': {
    at: 'postgres.backup.url',
    values: shaped(word.map((w) => `https://m.example/${w}.sql.gz`)),
    place: (v) => ({ postgres: { backup: { url: v, sha256: PIN } } }),
    lands: [{ shellWord: true }],
  },
  'postgres.backup.sha256': { at: 'postgres.backup.sha256', values: shaped(word), place: (v) => ({ postgres: { backup: { url: 'https://m.example/b.sql', sha256: v } } }), lands: PATTERNED },
  'openssl.version': { at: 'openssl.version', values: shaped(word.map((w) => `1.1.1${w}`)), place: (v) => ({ openssl: { version: v } }), lands: [{ hcl: (j) => aws(j).tags['cocca-bake:openssl'] }], hcl: true },
  'java.version': { at: 'java.version', values: shaped(word.map((w) => `8u351${w}`)), place: (v) => ({ java: { version: v } }), lands: [{ hcl: (j) => aws(j).tags['cocca-bake:java'] }], hcl: true },
  'java.home': { at: 'java.home', values: shaped(word), place: (v) => ({ java: { home: v } }), lands: PATTERNED },
  'java.package': { at: 'java.package', values: shaped(word), place: (v) => ({ java: { source: 'apt', package: v } }), lands: [{ hcl: (j) => aws(j).tags['cocca-bake:java'] }], hcl: true },
  'resin.version': { at: 'resin.version', values: shaped(word.map((w) => `4.0.66${w}`)), place: (v) => ({ resin: { version: v } }), lands: [{ hcl: (j) => aws(j).tags['cocca-bake:resin'] }], hcl: true },
  'resin.jvmArgs': {
    at: 'resin.jvmArgs',
    values: shaped(text.map((n) => `-Dx=${n}`), textOf(FRAGMENTS.filter((f) => !UNCARRIABLE.test(f) && !/[$#]\{|@@/.test(f))).map((n) => `-Xss1m ${n}`)),
    place: (v) => ({ resin: { jvmArgs: v } }),
    lands: [{ xml: 'jvm-arg-line' }],
  },
  'tls.email': { at: 'tls.email', values: shaped(word.map((w) => `${w.replace(/@/g, '')}x@nic.example`)), place: (v) => ({ tls: { mode: 'letsencrypt', email: v } }), lands: [{ env: 'LE_EMAIL' }] },
  'secrets.parameterPath': { at: 'secrets.parameterPath', values: shaped(word.map((w) => `/cocca/${w}/`)), place: (v) => ({ secrets: { parameterPath: v } }), lands: [{ env: 'SECRETS_PARAMETER_PATH' }] },
  'secrets.secretId': {
    at: 'secrets.secretId',
    values: shaped(word.map((w) => `cocca/${w}`)),
    place: (v) => ({ secrets: { source: 'aws-secretsmanager', secretId: v } }),
    lands: [{ env: 'SECRETS_ID' }],
  },
  'secrets.region': { at: 'secrets.region', values: shaped(word), place: (v) => ({ secrets: { region: v } }), lands: [{ env: 'SECRETS_REGION' }] },
  ...Object.fromEntries(ARTIFACTS.flatMap((n) => [[`artifacts.${n}.url`, artifactUrl(n)], [`artifacts.${n}.sha256`, artifactSha(n)]])),
  'jdbc.version': { at: 'jdbc.version', values: shaped(word.map((w) => `42.5.0${w}`)), place: (v) => ({ jdbc: { version: v } }), lands: [{ hcl: (j) => aws(j).tags['cocca-bake:jdbc'] }], hcl: true },
  'targets.aws.region': { at: 'targets.aws.region', values: shaped(word), place: (v) => ({ targets: { aws: { region: v } } }), lands: [{ hcl: (j) => aws(j).region }], hcl: true },
  'targets.aws.instanceType': { at: 'targets.aws.instanceType', values: shaped(word.map((w) => `t3.${w}`)), place: (v) => ({ targets: { aws: { instanceType: v } } }), lands: [{ hcl: (j) => aws(j).instance_type }], hcl: true },
  'targets.aws.copyTo[]': { at: 'targets.aws.copyTo[0]', values: shaped(word), place: (v) => ({ targets: { aws: { copyTo: [v] } } }), lands: PATTERNED, hcl: true },
  'targets.aws.shareWith[]': {
    at: 'targets.aws.shareWith[0]',
    values: shaped(word),
    place: (v) => ({ targets: { aws: { shareWith: [v], kmsKeyId: 'alias/k' } } }),
    lands: [{ hcl: (j) => aws(j).ami_users, want: (v) => [v] }],
    hcl: true,
  },
  'targets.aws.kmsKeyId': {
    at: 'targets.aws.kmsKeyId',
    values: shaped(text.map((n) => `alias/${n}`)),
    place: (v) => ({ targets: { aws: { kmsKeyId: v } } }),
    lands: [{ hcl: (j) => aws(j).kms_key_id }],
    hcl: true,
  },
  'targets.aws.network.subnetId': { at: 'targets.aws.network.subnetId', values: shaped(word), place: (v) => ({ targets: { aws: { network: { subnetId: v } } } }), lands: PATTERNED, hcl: true },
  'targets.aws.network.vpcId': { at: 'targets.aws.network.vpcId', values: shaped(word), place: (v) => ({ targets: { aws: { network: { vpcId: v } } } }), lands: PATTERNED, hcl: true },
  'targets.aws.network.securityGroupIds[]': { at: 'targets.aws.network.securityGroupIds[0]', values: shaped(word), place: (v) => ({ targets: { aws: { network: { securityGroupIds: [v] } } } }), lands: PATTERNED, hcl: true },
  'targets.aws.network.instanceProfile': { at: 'targets.aws.network.instanceProfile', values: shaped(word), place: (v) => ({ targets: { aws: { network: { instanceProfile: v } } } }), lands: PATTERNED, hcl: true },
  'targets.aws.network.sshSourceCidrs[]': {
    at: 'targets.aws.network.sshSourceCidrs[0]',
    values: shaped(fc.constantFrom('203.0.113.0/24', '203.0.113.7', '0.0.0.0/0')),
    place: (v) => ({ targets: { aws: { network: { sshSourceCidrs: [v] } } } }),
    lands: { unchecked: 'a rule holds it to IPv4 networks, written in their canonical form (test/real/aws-network.test.ts)' },
    hcl: true,
  },
  ...Object.fromEntries(
    (['subnet', 'vpc', 'security_group'] as const).map((kind) => {
      const key = `${kind.replace(/_g/, 'G')}Filter`;
      return [
        `targets.aws.network.${key}.filters.*`,
        {
          at: `targets.aws.network.${key}.filters.tag:Name`,
          values: shaped(word, text),
          place: (v: string) => ({ targets: { aws: { network: { [key]: { filters: { 'tag:Name': v } } } } } }),
          lands: [{ hcl: (j: any) => aws(j)[`${kind}_filter`][0].filters['tag:Name'] }],
          hcl: true,
        } satisfies Field,
      ];
    }),
  ),
  'targets.aws.copyKmsKeyIds.*': {
    at: 'targets.aws.copyKmsKeyIds.eu-west-2',
    values: shaped(text.map((n) => `alias/${n}`)),
    place: (v) => ({ targets: { aws: { copyTo: ['eu-west-2'], copyKmsKeyIds: { 'eu-west-2': v } } } }),
    lands: { unchecked: 'read by `cocca-bake build` (the EC2 API), not written by render' },
  },
  'targets.qemu.baseImage.url': {
    at: 'targets.qemu.baseImage.url',
    values: shaped(word.map((w) => `https://m.example/${w}.img`)),
    place: (v) => ({ targets: { qemu: { baseImage: { url: v, sha256: PIN } } } }),
    lands: [{ hcl: (j) => qemu(j).iso_url }],
    hcl: true,
  },
  'targets.qemu.baseImage.sha256': { at: 'targets.qemu.baseImage.sha256', values: shaped(word), place: (v) => ({ targets: { qemu: { baseImage: { url: 'https://m.example/b.img', sha256: v } } } }), lands: PATTERNED, hcl: true },
  'targets.qemu.qemuArgs[][]': {
    at: 'targets.qemu.qemuArgs[0][1]',
    values: shaped(fc.constantFrom(...QEMU_ARGS_FIELDS).map((f) => `user,hostfwd=tcp::{{ .${f} }}-:22`)),
    place: (v) => ({ targets: { qemu: { qemuArgs: [['-x', v]] } } }),
    lands: [{ hcl: (j) => qemu(j).qemuargs, want: (v) => [['-x', asHclJson(v)]] }],
    hcl: true,
  },
};

/** Paths a profile names files by: what they read is another part's test (file access). */
const NOT_GENERATED: Record<string, string> = {
  extends: 'a path: which files a profile may read is tested with file access, and it lands in no output',
  'resin.template': 'a path: which files a profile may read is tested with file access; the template itself is checked by its own rules',
  'apt.keys.*': 'an ASCII-armored public key: its rule takes only a key block whose checksum holds (generator/components/base/base.test.ts), and it lands whole in a file of its own (/etc/apt/keyrings/NAME.asc), never in a script, the HCL or an env line',
};

type SchemaNode = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
};

/** Every string field of the schema without enum or const, as `a.b[]` / `a.*` (map values), with its node. */
function freeStringFields(node: SchemaNode, at = ''): Array<[string, SchemaNode]> {
  const join = (k: string) => (at === '' ? k : `${at}.${k}`);
  if (node.type === 'string' && node.enum === undefined && node.const === undefined) return [[at, node]];
  return [
    ...Object.entries(node.properties ?? {}).flatMap(([k, child]) => freeStringFields(child, join(k))),
    ...(node.items ? freeStringFields(node.items, `${at}[]`) : []),
    ...(typeof node.additionalProperties === 'object' ? freeStringFields(node.additionalProperties, join('*')) : []),
  ];
}

const SCHEMA_FIELDS = new Map(freeStringFields(JSON.parse(readFileSync(path.join(ROOT, 'profiles/profile.schema.json'), 'utf8')) as SchemaNode));

/**
 * A field's generated values: its own shapes, and as often strings its schema pattern matches,
 * which pass the schema and so reach the rules and render (a pattern's \S and .* bring
 * quotes, $, backslashes and the like of their own).
 */
function valuesOf(name: string): fc.Arbitrary<string> {
  const pattern = SCHEMA_FIELDS.get(name)?.pattern;
  return pattern === undefined ? FIELDS[name]!.values : fc.oneof(FIELDS[name]!.values, fc.stringMatching(new RegExp(pattern)));
}

// ---------------------------------------------------------------------------
// what validate must refuse, said independently of generator/check/strings.ts

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function mustRefuse(field: Field, v: string): string | undefined {
  const controls = field.multiLine ? /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/ : /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
  if (controls.test(v)) return 'a control character or line break';
  if (LONE.test(v)) return 'an unpaired surrogate';
  if (field.hcl && v.normalize('NFC') !== v) return 'text HCL would normalize';
  if (field.hcl && v.replace(/\{\{\s*\.(SSHHostPort|Name|OutputDir|HTTPIP|HTTPPort|HTTPDir)\s*\}\}/g, field.at.includes('qemuArgs') ? '' : '{{').includes('{{')) return 'a Go template';
  if (field.at === 'resin.jvmArgs' && /[$#]\{|@@/.test(v)) return 'EL or a placeholder for resin.xml';
  return undefined;
}

// ---------------------------------------------------------------------------

/** The value at a finding path (a.b[0][1]) of a document. */
function valueAt(doc: unknown, at: string): unknown {
  return at
    .split(/\.|(?=\[)/)
    .reduce<unknown>((node, seg) => (node as Record<string, unknown> | undefined)?.[seg.startsWith('[') ? Number(seg.slice(1, -1)) : seg], doc);
}

function merge(a: Doc, b: Doc): Doc {
  const out: Doc = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v) ? merge(prev as Doc, v as Doc) : v;
  }
  return out;
}

/** JSON (which YAML reads) with everything outside printable ASCII escaped: any string survives the file. */
const asYaml = (doc: Doc): string => `${JSON.stringify(doc, null, 2).replace(/[^\n\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;

const filesOf = (rendered: ReturnType<typeof renderOutputs>): Map<string, Buffer> => new Map(rendered.files.map((f) => [f.path, f.data]));

let work = '';
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('every free-string field is generated or says why not', () => {
  it('the schema walk and the field table name the same fields', () => {
    const walked = [...SCHEMA_FIELDS.keys()].sort();
    expect(walked).toEqual([...Object.keys(FIELDS), ...Object.keys(NOT_GENERATED)].sort());
  });
});

describe.skipIf(SKIP)(`generated values: validate accepts, render renders, values arrive${SKIP ? ` [skipped: ${SKIP}]` : ''}`, () => {
  it(`seed ${SEED}, ${NUM_RUNS} runs`, async () => {
    work = mkdtempSync(path.join(tmpdir(), 'cocca-property-'));
    mkdirSync(path.join(work, '.git'));
    mkdirSync(path.join(work, 'profiles'));
    writeFileSync(path.join(work, 'profiles/base.yaml'), asYaml(BASE));
    const checker = new OutputChecker({ packerMax: PACKER_MAX });
    const repeat = `seed ${SEED}, ${NUM_RUNS} runs (COCCA_PROPERTY_SEED=${SEED} COCCA_PROPERTY_RUNS=${NUM_RUNS} to repeat)`;
    const samples: Array<{ leaf: string; label: string; files?: Files }> = [];
    let n = 0;
    let accepted = 0;

    /** Validates one leaf; renders it when accepted and hands the render to the checker. */
    const run = (label: string, values: Array<[string, string]>): void => {
      const leaf = path.join(work, 'profiles', `leaf-${++n}.yaml`);
      const doc = values.reduce<Doc>((d, [name, v]) => merge(d, FIELDS[name]!.place(v)), { apiVersion: 'cocca-bake/v1', extends: 'base.yaml', name: 'p' });
      writeFileSync(leaf, asYaml(doc));
      // A later field's companions may overwrite an earlier value (artifacts.war.url sets its sha256).
      values = values.filter(([name, v]) => valueAt(doc, FIELDS[name]!.at) === v);
      const r = checkProfile(leaf);
      const errors = r.findings.filter((f) => f.severity === 'error');
      for (const f of r.findings) expect(f.line, `${label}: finding without a line: ${JSON.stringify(f)}`).toBeGreaterThanOrEqual(1);
      for (const [name, v] of values) {
        const why = mustRefuse(FIELDS[name]!, v);
        if (why) expect(errors.map((e) => e.path), `${label}: ${name} holds ${why}, and validate took it`).toContain(FIELDS[name]!.at);
      }
      if (errors.length > 0) {
        expect(r.profile, `${label}: refused, yet resolved`).toBeUndefined();
        if (samples.filter((s) => !s.files).length < CLI_SAMPLES) samples.push({ leaf, label });
        return;
      }
      expect(r.profile, `${label}: accepted without a profile: ${JSON.stringify(r.findings)}`).toBeDefined();
      const files = filesOf(renderOutputs(r.profile!, r.os!, plan(r.profile!, r.os!), { packerFlavor: 'modern' }));
      let legacy: string | undefined;
      try {
        legacy = packerHcl(r.profile!, r.os!, 'legacy')!;
      } catch (err) {
        // A multi-Region KMS key needs Packer 1.7 or later: validate warns, and the 1.6.6 render refuses it.
        const warned = r.findings.some((f) => f.path === 'targets.aws.kmsKeyId' && f.severity === 'warning' && /Packer 1\.6\.6 refuses it/.test(f.message));
        expect(err instanceof RenderError && warned, `${label}: the legacy render threw ${String(err)}`).toBe(true);
      }
      accepted += 1;
      // The base's instance scripts are the examples' (test/real/outputs.test.ts, accepted-renders.test.ts
      // check them): here each run is checked for what its values change, the HCL always.
      if (values.length === 0) checker.markChecked(label, files, (rel) => rel.endsWith('.pkr.hcl'));
      checker.add(label, files, legacy);
      if (samples.filter((s) => s.files).length < CLI_SAMPLES) samples.push({ leaf, label, files });
      const steps = [...files.keys()].filter((k) => k.startsWith(STEPS));
      const modernHcl = files.get('packer/cocca.pkr.hcl')!.toString('utf8');
      for (const [name, v] of values) {
        const field = FIELDS[name]!;
        if (!Array.isArray(field.lands)) continue;
        for (const land of field.lands) {
          const what = `${name} ${JSON.stringify(v)}`;
          if ('shellWord' in land) checker.expectShellWord(label, files, steps, v, what);
          else if ('env' in land) checker.expectEnv(label, files, DEFAULTS, land.env, land.want ? land.want(v) : v, `${what} in defaults.env`);
          else if ('yaml' in land) checker.expectParsed(label, files, `cloud-init/${land.yaml}.yaml`, 'yaml', land.get, land.want(v), `${what} in ${land.yaml}.yaml`);
          else if ('xml' in land) checker.expectParsed(label, files, 'packer/files/rootfs/usr/local/lib/cocca/resin.xml.tmpl', 'xml', (d: any) => d[land.xml], v.trim() === '' ? undefined : [v], `${what} in resin.xml`);
          else for (const [flavor, hcl] of [['modern', modernHcl], ...(legacy === undefined ? [] : [['legacy', legacy]])] as const) checker.expectHcl(label, hcl, land.hcl, land.want ? land.want(v) : asHclJson(v), `${what} in the ${flavor} HCL`);
        }
      }
      // The full user-data carries every instance file as it is in the Packer upload.
      const uploaded = Object.fromEntries([...files].filter(([k]) => k.startsWith('packer/files/rootfs/') && !k.includes('/steps/seal/')).map(([k, d]) => [k.slice('packer/files/rootfs'.length), d.toString('utf8')]));
      checker.expectParsed(label, files, 'cloud-init/full.yaml', 'yaml', (d: any) => Object.fromEntries(d.write_files.filter((f: any) => f.path in uploaded).map((f: any) => [f.path, f.content])), uploaded, 'every instance file in full.yaml');
    };

    try {
      run('the base', []);
      expect(accepted, 'the base itself is refused').toBe(1);
      // Fields whose values land somewhere are picked five times as often as the patterned ones,
      // which refuse almost everything (and a refused field refuses its companion's run too).
      const pick = fc.oneof(...Object.entries(FIELDS).map(([name, f]) => ({ weight: f.lands === PATTERNED ? 1 : 5, arbitrary: fc.constant(name) })));
      const input = fc
        .uniqueArray(pick, { minLength: 1, maxLength: 2 })
        .chain((picked) => fc.tuple(...picked.map(valuesOf)).map((vs) => picked.map((name, i) => [name, vs[i]!] as [string, string])));

      fc.assert(
        fc.property(input, (values) => run(`${repeat}, run ${n + 1}: ${JSON.stringify(values)}`, values)),
        { seed: SEED, numRuns: NUM_RUNS },
      );
      // Both kinds, or the property says little.
      expect(accepted, `only ${accepted} of ${n} profiles were accepted`).toBeGreaterThan(NUM_RUNS / 5);
      expect(n - accepted, `only ${n - accepted} of ${n} profiles were refused`).toBeGreaterThan(NUM_RUNS / 5);

      const problems = await checker.run();
      for (const s of samples) {
        const out = path.join(work, `cli-${path.basename(s.leaf, '.yaml')}`);
        const r = await runCli(['render', s.leaf, '--out', out, '--packer-version', MODERN_PACKER]);
        if (!s.files) {
          if (r.exitCode !== 1 || existsSync(out)) problems.push(`${s.label}: the CLI's render exited ${r.exitCode} (wrote: ${existsSync(out)}) for a refused profile\n${String(r.stderr)}`);
          continue;
        }
        if (r.exitCode !== 0) {
          problems.push(`${s.label}: the CLI's render exited ${r.exitCode}\n${String(r.stderr)}`);
          continue;
        }
        const written = readTree(out);
        for (const [rel, data] of s.files) if (!written.get(rel)?.data.equals(data)) problems.push(`${s.label}: the CLI wrote another ${rel} than the in-process render`);
      }
      console.info(`property: ${n} profiles, ${accepted} accepted; ${checker.summary()}`);
      expect(problems, repeat).toEqual([]);
    } finally {
      checker.cleanup();
    }
  }, 300_000);
});
