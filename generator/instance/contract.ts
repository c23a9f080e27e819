// The instance contract: every value that belongs to one instance of an image, where it may
// come from, whether it is a secret, where it lands, and its syntax. One table, read by the
// CLI (user-data flags, --secrets checks, "is every needed secret provided?") and generated
// into the image (contract.sh), where first boot checks what it is handed with the same
// syntaxes (lib.sh implements them; a test holds both implementations to one table of cases).
import { isIPv4, isIPv6 } from 'node:net';
import { fqdnProblem } from '../profile/net.js';
import type { Profile } from '../profile/types.js';
import { shq } from '../components/model.js';

/** How a value is written. Each has a TypeScript check here and a bash one in lib.sh. */
export type Syntax = 'fqdn' | 'ipv4' | 'ipv6' | 'password' | 'text' | 'base64';

/** Where a value may come from, in the order first boot tries them. */
export type Source = 'handed-in' | 'store' | 'profile' | 'detected' | 'generated';

export interface InstanceValue {
  /** NAME in /etc/cocca/values.env or secrets.env; handed in as COCCA_NAME. */
  name: string;
  secret: boolean;
  syntax: Syntax;
  from: readonly Source[];
  /** May stay empty (an instance without IPv6). */
  optional?: boolean;
  /** The `cocca-bake user-data` option that hands it in (non-secret values). */
  flag?: string;
  what: string;
  lands: string;
}

export const INSTANCE_VALUES: readonly InstanceValue[] = [
  { name: 'FQDN', secret: false, syntax: 'fqdn', from: ['handed-in', 'profile', 'detected'], flag: '--fqdn', what: "this instance's host name", lands: 'hostname, /etc/hosts, resin.xml, certificates' },
  { name: 'PRIVATE_IPV4', secret: false, syntax: 'ipv4', from: ['handed-in', 'detected'], flag: '--private-ipv4', what: "this instance's private IPv4 address", lands: "resin.xml's <server address>, sshd ListenAddress (listenAddress: private)" },
  { name: 'PRIVATE_IPV6', secret: false, syntax: 'ipv6', from: ['handed-in', 'detected'], optional: true, flag: '--private-ipv6', what: "this instance's IPv6 address", lands: 'first boot records it' },
  { name: 'PUBLIC_IPV4', secret: false, syntax: 'ipv4', from: ['handed-in'], optional: true, flag: '--public-ipv4', what: "this instance's public IPv4 (an Elastic IP, a NAT address)", lands: "the Let's Encrypt DNS check (also asked from EC2's metadata)" },
  { name: 'POSTGRES_PASSWORD', secret: true, syntax: 'password', from: ['handed-in', 'store', 'generated'], what: "PostgreSQL's postgres password", lands: 'PostgreSQL, resin.xml' },
  { name: 'KEYSTORE_PASSWORD', secret: true, syntax: 'password', from: ['generated'], what: "the password of Resin's instance keystore", lands: 'instance.jks, resin.xml' },
  { name: 'SOURCE_KEYSTORE_PASSWORD', secret: true, syntax: 'text', from: ['handed-in', 'store'], what: 'the password of the keystore Resin\'s key comes from', lands: 'read once to re-key instance.jks' },
  { name: 'KEYSTORE_JKS', secret: true, syntax: 'base64', from: ['handed-in', 'store'], what: 'the operator\'s JKS keystore (tls.mode custom), base64', lands: '/etc/cocca/keystore.jks, read once to re-key instance.jks' },
];

export const instanceValue = (name: string): InstanceValue | undefined => INSTANCE_VALUES.find((v) => v.name === name);

/** The values a person may hand in (user-data --secrets, /etc/cocca/instance.env): not the generated-only ones. */
export const HANDED_IN = INSTANCE_VALUES.filter((v) => v.from.includes('handed-in'));

/** Secrets first boot cannot make itself and this profile needs: name and why. */
export function neededSecrets(p: Pick<Profile, 'tls'>): Array<{ name: string; why: string }> {
  const why =
    p.tls.mode === 'custom'
      ? 'tls.mode custom: your keystore'
      : `tls.mode ${p.tls.mode}: CoCCA's lab keystore${p.tls.mode === 'letsencrypt' ? ", served until Let's Encrypt's certificate arrives" : ''}`;
  return [
    { name: 'SOURCE_KEYSTORE_PASSWORD', why: `${why} is re-keyed with it` },
    ...(p.tls.mode === 'custom' ? [{ name: 'KEYSTORE_JKS', why: 'tls.mode custom: the keystore itself' }] : []),
  ];
}

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

/** contract.sh: the table as bash data, sourced by lib.sh on the instance. */
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
    assoc('CONTRACT_WHAT', (v) => v.what),
    '',
  ].join('\n');
}
