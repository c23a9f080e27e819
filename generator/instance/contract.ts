// The instance contract: every value that belongs to one instance of an image, where it may
// come from, whether it is a secret, where it lands, and its syntax. The one table that makes
// the `user-data` flags and --secrets checks (cli.ts), instance.env in a user-data and the
// profile's values in defaults.env, the secrets a profile must say the source of, and, generated
// into the image as contract.sh, the list first boot settles, in order, with each value's
// sources, detection, fallback and file. Nothing else spells a name of it: a component reads a
// value with readValue('NAME'), which tsc checks against the table, and bash with lib.sh's
// value/secret, which refuse a name of the other kind or none
// (test/unit/contract-single-source.test.ts). lib.sh checks values with the same syntaxes (a
// test holds both implementations to one table of cases).
import { isIPv4, isIPv6 } from 'node:net';
import { fqdnProblem } from '../profile/net.js';
import type { Profile, ResolvedProfile } from '../profile/types.js';
import { COCCA_ETC } from './paths.js';
import { shq } from '../components/model.js';

/** How a value is written. Each has a TypeScript check here and a bash one in lib.sh. */
export type Syntax = 'fqdn' | 'ipv4' | 'ipv6' | 'password' | 'text' | 'base64';

/** Where a value may come from, in the order first boot tries them. */
export type Source = 'handed-in' | 'store' | 'profile' | 'detected' | 'generated';

/** How first boot finds a value on the machine itself. */
export type Detect = 'hostname' | 'global-ipv4' | 'global-ipv6';

/** How `cocca-bake user-data` takes a value: its own option, or a line of the --secrets file. */
export type Input =
  | { flag: `--${string}`; arg: 'name' | 'address' }
  /** The option names a file whose bytes are the value (handed to the instance as `file`). */
  | { flag: `--${string}`; file: string }
  | { secretsLine: true };

interface InstanceValueSpec {
  /** NAME in VALUES_ENV or SECRETS_ENV (by `secret`), unless it has its own `file`; handed in as COCCA_NAME. */
  name: string;
  secret: boolean;
  syntax: Syntax;
  from: readonly Source[];
  /** May stay empty (an instance without IPv6). */
  optional?: boolean;
  /** With `handed-in`: how the user-data command takes it. */
  input?: Input;
  /** With `profile`: the profile's value. */
  profile?: (p: ResolvedProfile) => string;
  /** With `detected`: how first boot finds it. */
  detect?: Detect;
  /** What first boot takes when no source gives a value, and says so. */
  fallback?: { value: string; warning: string };
  /** Lands as this file (base64-decoded), not as a line of values.env or secrets.env. */
  file?: string;
  /** Read once, by the step that needs it: removed from secrets.env when first boot succeeded. */
  once?: boolean;
  /** A secret only the operator has: the boot step that reads it, and why a profile needs it (undefined: it does not). */
  needed?: { step: string; why: (p: Pick<Profile, 'tls'>) => string | undefined };
  what: string;
  lands: string;
}

const keystoreWhy = (p: Pick<Profile, 'tls'>): string =>
  p.tls.mode === 'custom'
    ? 'tls.mode custom: your keystore'
    : `tls.mode ${p.tls.mode}: CoCCA's lab keystore${p.tls.mode === 'letsencrypt' ? ", served until Let's Encrypt's certificate arrives" : ''}`;

/** The table: every per-instance value, in the order first boot settles them. */
const TABLE = [
  { name: 'FQDN', secret: false, syntax: 'fqdn', from: ['handed-in', 'profile', 'detected'], input: { flag: '--fqdn', arg: 'name' }, profile: (p) => p.host.fqdn, detect: 'hostname', what: "this instance's host name", lands: 'hostname, /etc/hosts, resin.xml, certificates' },
  { name: 'PRIVATE_IPV4', secret: false, syntax: 'ipv4', from: ['handed-in', 'detected'], input: { flag: '--private-ipv4', arg: 'address' }, detect: 'global-ipv4', fallback: { value: '127.0.0.1', warning: "no global IPv4 address found; Resin's server binds 127.0.0.1" }, what: "this instance's private IPv4 address", lands: "resin.xml's <server address>, sshd ListenAddress (listenAddress: private)" },
  { name: 'PRIVATE_IPV6', secret: false, syntax: 'ipv6', from: ['handed-in', 'detected'], optional: true, input: { flag: '--private-ipv6', arg: 'address' }, detect: 'global-ipv6', what: "this instance's IPv6 address", lands: 'first boot records it' },
  { name: 'PUBLIC_IPV4', secret: false, syntax: 'ipv4', from: ['handed-in'], optional: true, input: { flag: '--public-ipv4', arg: 'address' }, what: "this instance's public IPv4 (an Elastic IP, a NAT address)", lands: "the Let's Encrypt DNS check (also asked from EC2's metadata)" },
  { name: 'POSTGRES_PASSWORD', secret: true, syntax: 'password', from: ['handed-in', 'store', 'generated'], input: { secretsLine: true }, what: "PostgreSQL's postgres password", lands: 'PostgreSQL, resin.xml' },
  { name: 'KEYSTORE_PASSWORD', secret: true, syntax: 'password', from: ['generated'], what: "the password of Resin's instance keystore", lands: 'instance.jks, resin.xml' },
  { name: 'SOURCE_KEYSTORE_PASSWORD', secret: true, syntax: 'text', from: ['handed-in', 'store'], input: { secretsLine: true }, once: true, needed: { step: 'tls.keystore', why: (p) => `${keystoreWhy(p)} is re-keyed with it` }, what: 'the password of the keystore Resin\'s key comes from', lands: 'read once to re-key instance.jks' },
  { name: 'KEYSTORE_JKS', secret: true, syntax: 'base64', from: ['handed-in', 'store'], input: { flag: '--keystore', file: 'the keystore' }, file: `${COCCA_ETC}/keystore.jks`, needed: { step: 'tls.keystore', why: (p) => (p.tls.mode === 'custom' ? 'tls.mode custom: the keystore itself' : undefined) }, what: 'the operator\'s JKS keystore (tls.mode custom), base64', lands: 'read once to re-key instance.jks' },
] as const satisfies readonly InstanceValueSpec[];

/** A name of the contract: a step that reads a value names it with this type, so tsc refuses any other. */
export type ContractName = (typeof TABLE)[number]['name'];
export type InstanceValue = InstanceValueSpec & { name: ContractName };

export const INSTANCE_VALUES: readonly InstanceValue[] = TABLE;

export const instanceValue = (name: string): InstanceValue | undefined => INSTANCE_VALUES.find((v) => v.name === name);

/** The values a person may hand in (user-data --secrets, instance.env): not the generated-only ones. */
export const HANDED_IN = INSTANCE_VALUES.filter((v) => v.from.includes('handed-in'));

/** Secrets first boot cannot make itself and this profile needs: name, the step that reads it, why. */
export function neededSecrets(p: Pick<Profile, 'tls'>): Array<{ name: ContractName; step: string; why: string }> {
  return INSTANCE_VALUES.flatMap((v) => {
    const why = v.needed?.why(p);
    return v.needed && why !== undefined ? [{ name: v.name, step: v.needed.step, why }] : [];
  });
}

/** The profile's own values of the contract (FQDN from host.fqdn), in table order. */
export const profileValues = (p: ResolvedProfile): Array<[ContractName, string]> => INSTANCE_VALUES.flatMap((v) => (v.profile ? [[v.name, v.profile(p)] as [ContractName, string]] : []));

/** The table's row for NAME: how a component refers to a value (tsc refuses a name not in the table). */
export const contractValue = (name: ContractName): InstanceValue => instanceValue(name)!;

/** The user-data option that hands a value in, if it has its own. */
export const userDataFlag = (v: InstanceValue): string | undefined => (v.input && 'flag' in v.input ? v.input.flag : undefined);

/** A step's bash for reading a settled value (lib.sh's `value`/`secret`, which refuse the wrong kind). */
export const readValue = (name: ContractName): string => `$(${instanceValue(name)!.secret ? 'secret' : 'value'} ${name})`;

// -------------------------------------------------------------------------------------------------
// syntax

/** The longest value first boot reads (a JKS keystore in base64 is the big one). */
export const MAX_VALUE_CHARS = 65536;

/** Why `value` is not valid `syntax`, or undefined when it is. */
export function syntaxProblem(syntax: Syntax, value: string): string | undefined {
  if (/[\n\r\0]/.test(value)) return 'contains a line break or NUL';
  // Characters as bash counts them in a UTF-8 locale: code points, not UTF-16 units.
  if ([...value].length > MAX_VALUE_CHARS) return `is longer than ${MAX_VALUE_CHARS} characters`;
  switch (syntax) {
    case 'fqdn':
      return fqdnProblem(value);
    case 'ipv4':
      return isIPv4(value) ? undefined : 'is not an IPv4 address';
    case 'ipv6':
      return isIPv6(value) && !value.includes('%') ? undefined : 'is not an IPv6 address (without a zone)';
    case 'password':
      if (/[^\x20-\x7e]/.test(value)) return 'holds a character other than printable ASCII';
      if (value.length < 12) return 'is shorter than 12 characters';
      if (value.length > 128) return 'is longer than 128 characters';
      // resin.xml: Resin evaluates ${...} and #{...} as expressions; @@ marks first-boot placeholders.
      if (/[$#]\{/.test(value)) return 'contains ${ or #{, which Resin evaluates in resin.xml';
      if (value.includes('@@')) return 'contains @@, the placeholder marker of resin.xml templates';
      return undefined;
    case 'text':
      if (value.length === 0) return 'is empty';
      return /[\x00-\x1f\x7f-\x9f]/.test(value) ? 'holds a control character' : undefined;
    case 'base64':
      return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0 ? undefined : 'is not base64';
  }
}

// -------------------------------------------------------------------------------------------------
// the image's copy

/**
 * contract.sh: the table as bash data, sourced by lib.sh (beside it) on the instance. Bash reads
 * names, sources and files from here and spells none of its own.
 */
export function contractScript(): string {
  const assoc = (name: string, f: (v: InstanceValue) => string) =>
    `declare -gA ${name}=(${INSTANCE_VALUES.map((v) => `[${v.name}]=${shq(f(v))}`).join(' ')})`;
  return [
    '# shellcheck shell=bash',
    '# shellcheck disable=SC2034 # read by the scripts that source this file',
    '# Generated by cocca-bake from generator/instance/contract.ts: the per-instance values first',
    '# boot settles, their syntax and where each may come from (first wins).',
    `CONTRACT_NAMES=(${INSTANCE_VALUES.map((v) => v.name).join(' ')})`,
    assoc('CONTRACT_SYNTAX', (v) => v.syntax),
    assoc('CONTRACT_FROM', (v) => v.from.join(' ')),
    assoc('CONTRACT_SECRET', (v) => (v.secret ? 'yes' : 'no')),
    assoc('CONTRACT_OPTIONAL', (v) => (v.optional ? 'yes' : 'no')),
    assoc('CONTRACT_DETECT', (v) => v.detect ?? ''),
    assoc('CONTRACT_FALLBACK', (v) => v.fallback?.value ?? ''),
    assoc('CONTRACT_FALLBACK_WARNING', (v) => v.fallback?.warning ?? ''),
    assoc('CONTRACT_FILE', (v) => v.file ?? ''),
    assoc('CONTRACT_ONCE', (v) => (v.once ? 'yes' : 'no')),
    // How `cocca-bake user-data` takes it: FLAG ARG, or empty for a line of its --secrets file.
    assoc('CONTRACT_INPUT', (v) => (v.input && 'flag' in v.input ? `${v.input.flag} ${'file' in v.input ? 'FILE' : v.input.arg.toUpperCase()}` : '')),
    assoc('CONTRACT_WHAT', (v) => v.what),
    '',
  ].join('\n');
}
