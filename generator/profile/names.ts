// Names that must work beyond this machine: a host name Let's Encrypt can certify, a contact
// address certbot passes on, a database name SQL takes unquoted. Pure functions, no DNS.
import { isIP } from 'node:net';
import { fqdnProblem } from './net.js';

/**
 * Top-level labels never delegated in the public DNS, so no public CA can check a name under
 * them: special-use names (RFC 6761 and its registry), names reserved for private use, and the
 * private-use names RFC 6762 (appendix G) lists as seen in the wild.
 */
const NON_PUBLIC_TLDS: Record<string, string> = {
  test: 'RFC 2606 reserves .test for testing',
  example: 'RFC 2606 reserves .example for documentation',
  invalid: 'RFC 2606 reserves .invalid for names that must not resolve',
  localhost: 'RFC 6761 keeps .localhost for the local machine',
  local: 'RFC 6762 gives .local to multicast DNS on the local link',
  onion: 'RFC 7686 gives .onion to Tor',
  alt: 'RFC 9476 keeps .alt for names outside the DNS',
  internal: 'ICANN keeps .internal for private networks',
  arpa: '.arpa holds infrastructure names (reverse DNS, home.arpa)',
  intranet: 'RFC 6762 lists .intranet as a private, undelegated name',
  private: 'RFC 6762 lists .private as a private, undelegated name',
  corp: 'RFC 6762 lists .corp as a private, undelegated name',
  home: 'RFC 6762 lists .home as a private, undelegated name',
  lan: 'RFC 6762 lists .lan as a private, undelegated name',
  localdomain: '.localdomain names the local machine',
};

/** Second-level names reserved for documentation (RFC 2606). */
const NON_PUBLIC_DOMAINS = ['example.com', 'example.net', 'example.org'];

/**
 * Why `name` can never be a public DNS name (so Let's Encrypt cannot certify it, nor accept a
 * contact address there), or undefined when it may be one. One trailing dot is allowed.
 */
export function publicNameProblem(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (isIP(n) || isIP(n.replace(/^\[(.*)\]$/, '$1'))) return 'is an IP address, not a name in the public DNS';
  const labels = n.split('.');
  if (labels.length < 2) return 'is a single label: no public DNS name has only one';
  const tld = labels[labels.length - 1]!;
  const why = Object.hasOwn(NON_PUBLIC_TLDS, tld) ? NON_PUBLIC_TLDS[tld] : undefined;
  if (why) return `ends in .${tld}, which is never public (${why})`;
  const reserved = NON_PUBLIC_DOMAINS.find((d) => n === d || n.endsWith(`.${d}`));
  if (reserved) return `is under ${reserved}, which RFC 2606 reserves for documentation`;
  return undefined;
}

/** RFC 5322 atext: what a local part may hold unquoted. */
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATOM}(\\.${ATOM})*$`);

/**
 * Why `address` is no contact address certbot can register with Let's Encrypt, or undefined.
 * certbot takes it as the argument of -m: one that begins with "-" is read as an option.
 */
export function contactEmailProblem(address: string): string | undefined {
  if (address.startsWith('-')) return 'begins with "-": certbot would read it as an option, not as the address';
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return 'is not an e-mail address (name@domain)';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return `is not an e-mail address: ${JSON.stringify(local)} before the @ is not a plain local part (letters, digits, dots between them, and !#$%&'*+/=?^_\`{|}~-)`;
  const syntax = fqdnProblem(domain);
  if (syntax) return `is not an e-mail address: its domain ${JSON.stringify(domain)} ${syntax}`;
  const hidden = publicNameProblem(domain);
  if (hidden) return `has a domain Let's Encrypt refuses: ${JSON.stringify(domain)} ${hidden}`;
  return undefined;
}

/**
 * PostgreSQL 15's reserved key words: the reserved and the type-or-function-name categories of
 * pg_get_keywords(), which cannot name a database unquoted.
 */
export const SQL_RESERVED_WORDS: ReadonlySet<string> = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation column ' +
    'concurrently constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp ' +
    'current_user default deferrable desc distinct do else end except false fetch for foreign freeze from full grant group having ' +
    'ilike in initially inner intersect into is isnull join lateral leading left like limit localtime localtimestamp natural not ' +
    'notnull null offset on only or order outer overlaps placing primary references returning right select session_user similar ' +
    'some symmetric table tablesample then to trailing true union unique user using variadic verbose when where window with'
  ).split(' '),
);

/** Databases every PostgreSQL cluster already has, each with its own job. */
const SYSTEM_DATABASES: Record<string, string> = {
  postgres: "is the cluster's maintenance database: it already exists, so the registry's tables would land beside the administrators' own",
  template0: 'is the pristine template: it accepts no connections, so Resin and the restore could never reach it',
  template1: 'is the template every new database is copied from: the registry\'s tables would be copied into each one',
};

/** Why `name` cannot be the registry's database, or undefined (the schema has checked its syntax). */
export function databaseNameProblem(name: string): string | undefined {
  const system = Object.hasOwn(SYSTEM_DATABASES, name) ? SYSTEM_DATABASES[name] : undefined;
  if (system) return system;
  if (SQL_RESERVED_WORDS.has(name)) return 'is an SQL reserved word: every statement that names the database would have to quote it (ALTER DATABASE, GRANT ... ON DATABASE, a dump made with --create)';
  return undefined;
}
