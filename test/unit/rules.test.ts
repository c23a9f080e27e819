// The semantic rules (generator/profile/rules.ts) through checkProfile, one row per rule with
// its non-finding neighbour, and the pure helpers in rules.ts and net.ts.
// Leaves extend test/fixtures/profiles/base/clean.yaml unless a row says otherwise; a fragment
// starts on line 4 of the leaf.
import { describe, expect, it } from 'vitest';
import { contactEmailProblem, databaseNameProblem, publicNameProblem } from '../../generator/profile/names.js';
import { coversEveryAddress, fqdnProblem, hasHostBits, networkOf, parseCidr } from '../../generator/profile/net.js';
import { hasCredentials, parseAptSource, redactLine, redactUrl, unsignedBy } from '../../generator/profile/urls.js';
import { ec2MemoryGiB, SEED_DISK_GIB, SEED_MEMORY_GIB } from '../../generator/profile/rules.js';
import { checkFragment, CLEAN_BASE, expectFindings, PIN, type Fragment, type Want } from './profile-helpers.js';

const E = 'error' as const;
const W = 'warning' as const;

interface Row extends Fragment {
  name: string;
  want: Want[];
  hints?: Array<string | RegExp | undefined>;
}

const trusted = (...items: string[]) => `firewall:\n  trusted:\n${items.map((i) => `    - ${i}\n`).join('')}`;
const fqdn = (name: string) => `host:\n  fqdn: ${name}\n`;
const label63 = 'a'.repeat(63);
/** An operator resin.xml template with what first boot fills, listening where the clean base opens. */
const TEMPLATE =
  '<resin>\n  <server address="@@PRIVATE_IPV4@@">\n    <jvm-arg>-Xmx@@RESIN_HEAP_MB@@m</jvm-arg>\n    <http port="80"/>\n    <http port="443"/>\n  </server>\n' +
  '  <database><password>@@DB_PASSWORD@@</password><max-connections>@@DB_MAX_CONNECTIONS@@</max-connections></database>\n</resin>\n';
const CLEAN_NO_TARGETS = CLEAN_BASE.replace(/^targets:[\s\S]*$/m, '');
/** A host name that can be public (the clean base's .example cannot): two lines. */
const PUBLIC = 'host:\n  fqdn: srs.coccaregistry.org\n';

// What a leaf of the bare base (no artifacts) always gets: catalog downloads nobody pinned,
// reported at the top of the leaf because no file wrote those paths.
const BARE_WARNINGS: Want[] = [
  [W, 'artifacts', 1, 1, "keystore comes from CoCCA's latest download, which is not pinned to a SHA-256"],
  [W, 'artifacts', 1, 1, "war comes from CoCCA's latest download, which is not pinned to a SHA-256"],
  [W, 'java.version', 1, 1, 'jdk download https://updates.coccaregistry.org/jdk-8u351-linux-x64.tar.gz is not pinned to a SHA-256'],
  [W, 'jdbc.version', 1, 1, 'jdbc download https://jdbc.postgresql.org/download/postgresql-42.5.0.jar is not pinned to a SHA-256'],
];

const table: Row[] = [
  { name: 'the clean base alone: no findings', yaml: '', want: [] },

  // host.fqdn
  {
    name: 'FQDN: a single label',
    yaml: fqdn('registry'),
    want: [[E, 'host.fqdn', 5, 9, '"registry" is not fully qualified: it needs a domain, e.g. registry.nic.example']],
    hints: ['the name clients reach the registry by; it goes into resin.xml and the certificate'],
  },
  { name: 'FQDN: numeric top-level label', yaml: fqdn('registry.123'), want: [[E, 'host.fqdn', 5, 9, '"registry.123" ends in a numeric label: an IP address is not a host name']] },
  { name: 'FQDN: an IP address', yaml: fqdn('192.0.2.1'), want: [[E, 'host.fqdn', 5, 9, '"192.0.2.1" ends in a numeric label: an IP address is not a host name']] },
  {
    name: 'FQDN: an underscore',
    yaml: fqdn('reg_istry.nic.example'),
    want: [[E, 'host.fqdn', 5, 9, '"reg_istry.nic.example" has an invalid label "reg_istry": letters, digits and inner hyphens only']],
  },
  {
    name: 'FQDN: a leading hyphen',
    yaml: fqdn('-registry.nic.example'),
    want: [[E, 'host.fqdn', 5, 9, '"-registry.nic.example" has an invalid label "-registry": letters, digits and inner hyphens only']],
  },
  { name: 'FQDN: two dots in a row', yaml: fqdn('registry..example'), want: [[E, 'host.fqdn', 5, 9, '"registry..example" has an empty label (two dots in a row)']] },
  {
    name: 'FQDN: a 64-character label',
    yaml: fqdn(`a${label63}.example`),
    want: [[E, 'host.fqdn', 5, 9, `"a${label63}.example" has a label longer than 63 characters (aaaaaaaaaaaa…)`]],
  },
  { name: 'FQDN: a trailing dot is fine', yaml: fqdn('registry.nic.example.'), want: [] },
  { name: 'FQDN: a 63-character label, digits first, punycode are fine', yaml: fqdn(`${label63}.1nic.xn--bcher-kva.example`), want: [] },

  // firewall.trusted
  {
    name: 'CIDR: not an address',
    yaml: trusted('198.51.100.0/24', 'not-a-network'),
    want: [[E, 'firewall.trusted[1]', 7, 7, '"not-a-network" is not an IPv4 or IPv6 address or CIDR']],
    hints: ['write a network like 203.0.113.0/24 or 2001:db8::/32, or one address'],
  },
  { name: 'CIDR: prefix too long', yaml: trusted('10.0.0.0/33'), want: [[E, 'firewall.trusted[0]', 6, 7, '"10.0.0.0/33" is not an IPv4 or IPv6 address or CIDR']] },
  { name: 'CIDR: octet out of range', yaml: trusted('10.0.0.256'), want: [[E, 'firewall.trusted[0]', 6, 7, '"10.0.0.256" is not an IPv4 or IPv6 address or CIDR']] },
  { name: 'CIDR: a leading-zero prefix', yaml: trusted('10.0.0.0/08'), want: [[E, 'firewall.trusted[0]', 6, 7, '"10.0.0.0/08" is not an IPv4 or IPv6 address or CIDR']] },
  {
    name: 'CIDR: host bits set (IPv4), the network in the hint',
    yaml: trusted('10.0.0.5/24'),
    want: [[E, 'firewall.trusted[0]', 6, 7, '"10.0.0.5/24" has bits set beyond its /24 prefix']],
    hints: ['did you mean 10.0.0.0/24, or the single address /32?'],
  },
  {
    name: 'CIDR: host bits set (IPv6), the network in the hint',
    yaml: trusted('2001:db8:cc::1/48'),
    want: [[E, 'firewall.trusted[0]', 6, 7, '"2001:db8:cc::1/48" has bits set beyond its /48 prefix']],
    hints: ['did you mean 2001:db8:cc::/48, or the single address /128?'],
  },
  {
    name: 'CIDR: /0 trusts everybody (warning)',
    yaml: trusted('0.0.0.0/0', '"::/0"'),
    want: [
      [W, 'firewall.trusted[0]', 6, 7, '"0.0.0.0/0" trusts the whole Internet with ssh and DNS'],
      [W, 'firewall.trusted[1]', 7, 7, '"::/0" trusts the whole Internet with ssh and DNS'],
    ],
    hints: ['list your office and bastion networks instead', 'list your office and bastion networks instead'],
  },
  {
    name: 'CIDR: networks, single addresses, IPv6 are fine',
    yaml: trusted('10.0.0.0/8', '192.0.2.7', '192.0.2.7/32', '2001:db8::/32', '2001:db8::7', '::ffff:192.0.2.0/120'),
    want: [],
  },
  {
    name: 'CIDR: every bad item reported, each at its own line',
    yaml: trusted('10.0.0.5/24', '10.1.0.0/16', 'nope', '2001:db8::1/64'),
    want: [
      [E, 'firewall.trusted[0]', 6, 7, '"10.0.0.5/24" has bits set beyond its /24 prefix'],
      [E, 'firewall.trusted[2]', 8, 7, '"nope" is not an IPv4 or IPv6 address or CIDR'],
      [E, 'firewall.trusted[3]', 9, 7, '"2001:db8::1/64" has bits set beyond its /64 prefix'],
    ],
  },
  {
    name: 'lockout: an empty trusted list',
    yaml: 'firewall:\n  trusted: []\n',
    want: [[E, 'firewall.trusted', 5, 12, 'no trusted source: ssh is firewalled to trusted sources only, so nobody could log in']],
    hints: ['list the networks operators come from, e.g. [203.0.113.0/24]'],
  },
  {
    name: 'lockout: no trusted list anywhere (the default is empty)',
    base: null,
    yaml: CLEAN_BASE.replace(/^firewall:\n(\s+.*\n)+/m, '').concat('name: t\n'),
    want: [[E, 'firewall.trusted', 3, 1, 'no trusted source: ssh is firewalled to trusted sources only, so nobody could log in']],
  },

  // ssh users
  {
    name: 'lockout: allowUsers without the login user',
    yaml: 'ssh:\n  allowUsers: [alice]\n',
    want: [
      [E, 'ssh.allowUsers', 5, 15, 'AllowUsers leaves out "ubuntu", the user the AMI (ubuntu-22.04) is provisioned and reached with'],
      [W, 'ssh.allowUsers[0]', 5, 16, 'nothing creates "alice" on ubuntu-22.04 images: AllowUsers lets it in only once something else does'],
    ],
    hints: ['add ubuntu to ssh.allowUsers, or set ssh.loginUser', "remove it, or create the user yourself; the login user ubuntu gets the profile's ssh keys"],
  },
  {
    name: 'lockout: allowUsers without a set login user',
    yaml: 'ssh:\n  loginUser: ubuntu\n  allowUsers:\n    - alice\n',
    want: [
      [E, 'ssh.allowUsers', 7, 5, 'AllowUsers leaves out "ubuntu", the user the AMI (ubuntu-22.04) is provisioned and reached with'],
      [W, 'ssh.allowUsers[0]', 7, 7, 'nothing creates "alice" on ubuntu-22.04 images: AllowUsers lets it in only once something else does'],
    ],
    hints: ['add ubuntu to ssh.allowUsers', expect.any(String)],
  },
  { name: 'allowUsers with the login user is fine', yaml: 'ssh:\n  allowUsers: [ubuntu]\n', want: [] },
  {
    name: 'allowUsers with a user nothing creates beside the login user (warning)',
    yaml: 'ssh:\n  allowUsers: [alice, ubuntu]\n',
    want: [[W, 'ssh.allowUsers[0]', 5, 16, 'nothing creates "alice" on ubuntu-22.04 images: AllowUsers lets it in only once something else does']],
  },
  { name: 'a set login user alone is fine (allowUsers follows it)', yaml: 'ssh:\n  loginUser: ubuntu\n', want: [] },
  {
    name: 'a login user no image of the OS creates',
    yaml: 'ssh:\n  loginUser: admin\n',
    want: [[E, 'ssh.loginUser', 5, 14, 'nothing creates "admin" on ubuntu-22.04 images: the profile\'s ssh keys go to the image\'s default user (ubuntu)']],
    hints: ["remove ssh.loginUser to use the image's own user"],
  },
  {
    name: 'a login user of a custom qemu base image only (warning)',
    base: null,
    yaml: `${CLEAN_NO_TARGETS}name: t\nssh:\n  loginUser: ops\ntargets:\n  qemu:\n    baseImage: {url: https://mirror.example/own.qcow2, sha256: ${PIN}}\n`,
    want: [[W, 'ssh.loginUser', 20, 14, 'nothing creates "ops" on ubuntu-22.04 images: the profile\'s ssh keys go to the image\'s default user (ubuntu)']],
    hints: ['make sure your base image creates this user'],
  },
  { name: 'debian-12 with an AMI: AllowUsers defaults to admin', yaml: 'os: debian-12\n', want: [] },
  {
    name: 'debian-12: the qcow2 user does not log in to the AMI',
    yaml: 'os: debian-12\nssh:\n  allowUsers: [debian]\n',
    want: [
      [E, 'ssh.allowUsers', 6, 15, 'AllowUsers leaves out "admin", the user the AMI (debian-12) is provisioned and reached with'],
      [W, 'ssh.allowUsers[0]', 6, 16, '"debian" is the user of debian-12\'s and debian-13\'s qcow2, not of the images this profile makes: nothing creates it here'],
    ],
    hints: ['add admin to ssh.allowUsers, or set ssh.loginUser', "remove it, or create the user yourself; the login user admin gets the profile's ssh keys"],
  },
  {
    name: 'debian-12 with both targets: both image users by default',
    yaml: `os: debian-12\ntargets:\n  qemu:\n    baseImage: {url: https://mirror.example/debian.qcow2, sha256: ${PIN}}\nssh:\n  allowUsers: [admin]\n`,
    want: [[E, 'ssh.allowUsers', 9, 15, 'AllowUsers leaves out "debian", the user the qcow2 (debian-12) is provisioned and reached with']],
  },
  {
    name: 'loginUser root',
    yaml: 'ssh:\n  loginUser: root\n',
    want: [
      // allowUsers defaults to [root]: written nowhere, so reported at ssh.
      [W, 'ssh.allowUsers[0]', 5, 3, 'root is allowed by AllowUsers but PermitRootLogin forbids it'],
      [E, 'ssh.loginUser', 5, 14, 'root cannot be the login user: PermitRootLogin is off'],
    ],
    hints: ['remove root', "use the image's default user (ubuntu)"],
  },
  {
    name: 'root in allowUsers (warning)',
    yaml: 'ssh:\n  allowUsers: [ubuntu, root]\n',
    want: [[W, 'ssh.allowUsers[1]', 5, 24, 'root is allowed by AllowUsers but PermitRootLogin forbids it']],
  },

  // ports
  {
    name: 'ssh port clashes with a public port',
    yaml: 'firewall:\n  publicPorts: [80, 443, 700]\nssh:\n  port: 700\n',
    want: [
      [W, 'firewall.publicPorts[2]', 5, 26, 'port 700 is open to the world but nothing listens on it: the built-in resin.xml serves 80 and 443'],
      [E, 'ssh.port', 7, 9, 'ssh port 700 clashes with a port the firewall opens for a service'],
    ],
    hints: [
      "the built-in resin.xml serves HTTP and HTTPS only; for WHOIS (43) and EPP (700) give CoCCA's own resin.xml as resin.template, or remove the port",
      'the stack binds 80, 443, 6800, 6600, 5432, and the firewall opens 80, 443, 700, 53; pick another port, e.g. 2222',
    ],
  },
  {
    name: 'ssh port clashes with a trusted port',
    yaml: 'ssh:\n  port: 53\n',
    want: [[E, 'ssh.port', 5, 9, 'ssh port 53 clashes with a port the firewall opens for a service']],
  },
  {
    name: "ssh port 443 clashes with Resin's even when the firewall does not open it",
    yaml: 'firewall:\n  publicPorts: [80]\nssh:\n  port: 443\n',
    want: [[E, 'ssh.port', 7, 9, 'ssh port 443 clashes with the https service']],
    hints: ['the stack binds 80, 443, 6800, 6600, 5432, and the firewall opens 80, 53; pick another port, e.g. 2222'],
  },
  {
    name: "ssh port 80 clashes with Resin's even when the firewall does not open it",
    yaml: 'firewall:\n  publicPorts: [443]\n  trustedPorts: [53]\nssh:\n  port: 80\n',
    want: [[E, 'ssh.port', 8, 9, 'ssh port 80 clashes with the http service']],
  },
  { name: 'ssh on 2222 is fine', yaml: 'ssh:\n  port: 2222\n', want: [] },
  { name: 'ssh on a port the firewall does not open is fine', yaml: 'ssh:\n  port: 700\n', want: [] },
  {
    name: 'a port both public and trusted (trustedPorts from the default: reported at firewall)',
    yaml: 'firewall:\n  publicPorts: [80, 443, 53]\n',
    want: [
      [E, 'firewall.trustedPorts[0]', 5, 3, 'port 53 is both public and trusted-only'],
      [W, 'firewall.publicPorts[2]', 5, 26, 'port 53 is open to the world but nothing listens on it: the built-in resin.xml serves 80 and 443'],
    ],
    hints: ['remove it from one of firewall.publicPorts and firewall.trustedPorts', expect.any(String)],
  },
  {
    name: 'a port both public and trusted, at the trusted item',
    yaml: 'firewall:\n  publicPorts: [80, 443]\n  trustedPorts: [53, 443]\n',
    want: [[E, 'firewall.trustedPorts[1]', 6, 22, 'port 443 is both public and trusted-only']],
  },
  { name: 'distinct public and trusted ports are fine', yaml: 'firewall:\n  publicPorts: [80, 443]\n  trustedPorts: [53, 8443]\n', want: [] },

  // tls
  {
    name: 'letsencrypt without an email',
    yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n`,
    want: [[E, 'tls', 7, 3, "tls.mode letsencrypt needs tls.email: Let's Encrypt sends expiry warnings there"]],
    hints: ['add tls.email: hostmaster@your-domain'],
  },
  { name: 'letsencrypt with an email is fine', yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n  email: hostmaster@coccaregistry.org\n`, want: [] },
  {
    name: 'an email without letsencrypt (warning)',
    yaml: 'tls:\n  email: hostmaster@nic.example\n',
    want: [[W, 'tls.email', 5, 10, 'tls.email is only used with tls.mode letsencrypt (this profile uses lab)']],
  },
  {
    name: 'an email with custom (warning)',
    yaml: 'tls:\n  mode: custom\n  email: hostmaster@nic.example\n',
    want: [[W, 'tls.email', 6, 10, 'tls.email is only used with tls.mode letsencrypt (this profile uses custom)']],
  },

  // secrets
  {
    name: 'no secrets source: first boot could only fail',
    base: null,
    yaml: `${CLEAN_BASE.replace(/^secrets:\n.*\n/m, '')}name: t\n`,
    want: [[E, 'secrets', 3, 1, "first boot needs SOURCE_KEYSTORE_PASSWORD (tls.mode lab: CoCCA's lab keystore is re-keyed with it), and the profile does not say where it comes from"]],
    hints: [/^add secrets: \{source: aws-ssm, parameterPath: \/cocca\/NAME\/\}/],
  },
  {
    name: 'no secrets source with tls.mode custom: the keystore too',
    base: null,
    yaml: `${CLEAN_BASE.replace(/^secrets:\n.*\n/m, '')}name: t\ntls:\n  mode: custom\n`,
    want: [[E, 'secrets', 3, 1, 'first boot needs SOURCE_KEYSTORE_PASSWORD and KEYSTORE_JKS (tls.mode custom: your keystore is re-keyed with it), and the profile does not say where they come from']],
  },
  { name: 'secrets from Parameter Store', yaml: 'secrets:\n  source: aws-ssm\n  parameterPath: /cocca/eu-west-1/\n', want: [] },
  { name: 'secrets from Secrets Manager', yaml: 'secrets:\n  source: aws-secretsmanager\n  secretId: cocca/eu-west-1\n  region: eu-west-1\n', want: [] },
  {
    name: 'aws-ssm without a parameter path',
    yaml: 'secrets:\n  source: aws-ssm\n',
    want: [[E, 'secrets.source', 5, 11, 'secrets.source aws-ssm needs secrets.parameterPath']],
  },
  {
    name: 'aws-secretsmanager without a secret id',
    yaml: 'secrets:\n  source: aws-secretsmanager\n',
    want: [[E, 'secrets.source', 5, 11, 'secrets.source aws-secretsmanager needs secrets.secretId']],
  },
  {
    name: 'a parameter path AWS reserves',
    yaml: 'secrets:\n  source: aws-ssm\n  parameterPath: /aws/cocca/\n',
    want: [[E, 'secrets.parameterPath', 6, 18, '"/aws/cocca/" begins with a prefix AWS reserves (aws, ssm)']],
  },
  {
    name: 'store settings that the source does not read (warnings)',
    yaml: 'secrets:\n  source: user-data\n  parameterPath: /cocca/x/\n  region: eu-west-1\n',
    want: [
      [W, 'secrets.parameterPath', 6, 18, 'secrets.parameterPath is only read with source aws-ssm (this profile uses user-data)'],
      [W, 'secrets.region', 7, 11, 'secrets.region is only read with an AWS source'],
    ],
  },
  {
    name: 'a secrets store read with an IAM role, for a profile that builds no AMI (warning)',
    base: null,
    yaml: `${CLEAN_NO_TARGETS.replace(/^secrets:\n.*\n/m, '')}name: t\nsecrets:\n  source: aws-ssm\n  parameterPath: /cocca/t/\ntargets:\n  qemu:\n    baseImage: {url: https://mirror.example/u.img, sha256: ${PIN}}\n`,
    want: [[W, 'secrets.source', 18, 11, "secrets.source aws-ssm is read at first boot with the instance's IAM role, but this profile builds no AMI (targets.aws)"]],
  },

  // sizing
  { name: 'a fixed heap and pool are fine', yaml: 'resin:\n  heap:\n    mib: 4096\n  pool:\n    maxConnections: 50\n', want: [] },
  {
    name: 'resin.jvmArgs setting the heap',
    yaml: 'resin:\n  jvmArgs: -server -Xmx2g\n',
    want: [[E, 'resin.jvmArgs', 5, 12, "resin.jvmArgs sets the heap (-Xmx2g), which first boot sizes from the instance's memory"]],
    hints: ['use resin.heap.mib for a fixed heap, or resin.heap.percent'],
  },
  { name: 'resin.jvmArgs with other options is fine', yaml: 'resin:\n  jvmArgs: -server -XX:+UseG1GC -Xss512k\n', want: [] },
  {
    name: "a pool larger than pgtune's max_connections for oltp allows",
    yaml: 'postgres:\n  tune:\n    dbType: oltp\nresin:\n  pool:\n    maxConnections: 297\n',
    want: [[E, 'resin.pool.maxConnections', 9, 21, "a pool of 297 does not fit PostgreSQL's max_connections 300 (pgtune's for oltp) minus its 3 superuser slots and one for maintenance"]],
    hints: ['at most 296, or raise postgres.tune.connections'],
  },
  { name: 'a pool that just fits oltp', yaml: 'postgres:\n  tune:\n    dbType: oltp\nresin:\n  pool:\n    maxConnections: 296\n', want: [] },
  {
    name: 'a pool larger than the set max_connections',
    yaml: 'postgres:\n  tune:\n    connections: 50\nresin:\n  pool:\n    maxConnections: 50\n',
    want: [[E, 'resin.pool.maxConnections', 9, 21, "a pool of 50 does not fit PostgreSQL's max_connections 50 minus its 3 superuser slots and one for maintenance"]],
  },

  // resin.template
  {
    name: 'a missing resin.template file',
    yaml: 'resin:\n  template: missing.xml\n',
    want: [[E, 'resin.template', 5, 13, 'resin.xml template "missing.xml" is not a file']],
    hints: ['the path is relative to the profile that names it'],
  },
  { name: 'a resin.template next to the leaf', yaml: 'resin:\n  template: tmpl/resin.xml\n', files: { 'tmpl/resin.xml': TEMPLATE }, want: [] },
  {
    name: 'a resin.template without the required placeholders',
    yaml: 'resin:\n  template: t.xml\n',
    files: { 't.xml': '<resin/>\n' },
    want: [
      // No listener at all: the clean base's public ports are served by nothing.
      // The ports come from the schema's default: reported where the base writes firewall.
      [W, 'firewall.publicPorts[0]', 7, 3, 'port 80 is open to the world but nothing listens on it: resin.template "t.xml" serves no port', 'base.yaml'],
      [W, 'firewall.publicPorts[1]', 7, 3, 'port 443 is open to the world but nothing listens on it: resin.template "t.xml" serves no port', 'base.yaml'],
      [W, 'resin.template', 5, 13, /^resin\.xml template "t\.xml" has no @@DB_MAX_CONNECTIONS@@: Resin's database pool is not bounded/],
      [W, 'resin.template', 5, 13, /^resin\.xml template "t\.xml" has no @@RESIN_HEAP_MB@@: Resin's heap is not sized/],
      [E, 'resin.template', 5, 13, /^resin\.xml template "t\.xml": required placeholder @@DB_PASSWORD@@ is missing/],
      [E, 'resin.template', 5, 13, /^resin\.xml template "t\.xml": required placeholder @@PRIVATE_IPV4@@ is missing/],
    ],
    hints: [
      'add the listener to the template, or remove the port',
      'add the listener to the template, or remove the port',
      'in its <database>: <max-connections>@@DB_MAX_CONNECTIONS@@</max-connections><max-overflow-connections>0</max-overflow-connections>',
      'in its <server>: <jvm-arg>-Xmx@@RESIN_HEAP_MB@@m</jvm-arg>',
      /^placeholders: @@PRIVATE_IPV4@@/,
      /^placeholders: @@PRIVATE_IPV4@@/,
    ],
  },
  {
    name: 'a resin.template that serves WHOIS and EPP: their public ports are fine',
    yaml: 'firewall:\n  publicPorts: [80, 443, 43, 700]\nresin:\n  template: t.xml\n',
    files: { 't.xml': TEMPLATE.replace('<http port="443"/>', '<http port="443"/>\n    <protocol><port>43</port></protocol>\n    <protocol port="700"/>') },
    want: [],
  },
  {
    name: 'a resin.template whose ports are expressions: cannot tell (warning)',
    yaml: 'firewall:\n  publicPorts: [80, 443, 700]\nresin:\n  template: t.xml\n',
    files: { 't.xml': TEMPLATE.replace('<http port="443"/>', '<http port="443"/>\n    <http port="${epp_port}"/>') },
    want: [[W, 'firewall.publicPorts[2]', 5, 26, 'cannot tell whether anything listens on port 700: resin.template "t.xml" has listeners whose port is not a number here (line 6: <http> has a port that is not a number here (an expression or a placeholder))']],
    hints: ['write the ports of resin.xml as numbers, so first boot can wait for them'],
  },
  {
    name: 'a resin.template named by a base resolves next to the base',
    base: null,
    yaml: 'apiVersion: cocca-bake/v1\nextends: sub/base.yaml\nname: t\n',
    files: { 'sub/base.yaml': `${CLEAN_BASE}resin:\n  template: resin.xml\n`, 'sub/resin.xml': TEMPLATE },
    want: [],
  },
  {
    name: 'a resin.template named by a base is not looked up next to the leaf',
    base: null,
    yaml: 'apiVersion: cocca-bake/v1\nextends: sub/base.yaml\nname: t\n',
    files: { 'sub/base.yaml': `${CLEAN_BASE}resin:\n  template: resin.xml\n`, 'resin.xml': TEMPLATE },
    want: [[E, 'resin.template', 23, 13, 'resin.xml template "resin.xml" is not a file', 'sub/base.yaml']],
  },

  // targets.aws
  {
    name: 'EC2: t3.large has 8 GiB (warning)',
    yaml: 'targets:\n  aws:\n    instanceType: t3.large\n',
    want: [[W, 'targets.aws.instanceType', 6, 19, "t3.large has 8 GiB of memory, below the seed's 12 GiB"]],
    hints: ['CoCCA asks 12 GiB (16 GiB in its 2023 guides): e.g. t3.xlarge or m6i.xlarge'],
  },
  {
    name: 'EC2: an unknown family (warning)',
    yaml: 'targets:\n  aws:\n    instanceType: x2gd.xlarge\n',
    want: [[W, 'targets.aws.instanceType', 6, 19, 'cannot tell the memory of x2gd.xlarge: the 12 GiB minimum is not checked']],
  },
  {
    name: 'EC2: a metal size (warning)',
    yaml: 'targets:\n  aws:\n    instanceType: m6i.metal\n',
    want: [[W, 'targets.aws.instanceType', 6, 19, 'cannot tell the memory of m6i.metal: the 12 GiB minimum is not checked']],
  },
  { name: 'EC2: r6i.large (16 GiB) and m6i.xlarge are fine', yaml: 'targets:\n  aws:\n    instanceType: r6i.large\n', want: [] },
  {
    name: 'EC2: the base instance type is reported in the base',
    files: { 'base.yaml': CLEAN_BASE.replace('t3.xlarge', 'c5.large') },
    yaml: '',
    want: [[W, 'targets.aws.instanceType', 21, 19, "c5.large has 4 GiB of memory, below the seed's 12 GiB", 'base.yaml']],
  },
  {
    name: 'a volume below 150 GiB (warning)',
    yaml: 'targets:\n  aws:\n    volumeSizeGiB: 100\n',
    want: [[W, 'targets.aws.volumeSizeGiB', 6, 20, "100 GiB is below the seed's 150 GiB disk"]],
  },
  { name: 'a 150 GiB volume is fine', yaml: 'targets:\n  aws:\n    volumeSizeGiB: 150\n', want: [] },
  {
    name: 'copyTo names the build region',
    yaml: 'targets:\n  aws:\n    copyTo: [us-east-1, eu-west-1]\n',
    want: [[E, 'targets.aws.copyTo[1]', 6, 25, 'copyTo names the build region eu-west-1']],
    hints: ['list only the other regions'],
  },
  { name: 'copyTo other regions is fine', yaml: 'targets:\n  aws:\n    copyTo: [us-east-1, af-south-1]\n', want: [] },
  {
    name: 'a public AMI (warning)',
    yaml: 'targets:\n  aws:\n    public: true\n',
    want: [[W, 'targets.aws.public', 6, 13, 'the AMI will be public and unencrypted (AWS refuses to publish encrypted snapshots): anyone can launch your registry image']],
    hints: ['share with accounts instead: targets.aws.shareWith'],
  },
  {
    name: 'sharing an AMI encrypted with the default EBS key',
    yaml: 'targets:\n  aws:\n    public: false\n    shareWith: ["111122223333"]\n',
    want: [[E, 'targets.aws.shareWith', 7, 16, "an encrypted AMI cannot be shared when it is encrypted with the account's default EBS key"]],
  },
  { name: 'a shared, private AMI with its own KMS key is fine', yaml: 'targets:\n  aws:\n    public: false\n    shareWith: ["111122223333"]\n    kmsKeyId: alias/cocca\n', want: [] },
  {
    name: 'a shared copy in a region where a single-region key has no counterpart',
    yaml: 'targets:\n  aws:\n    shareWith: ["111122223333"]\n    kmsKeyId: alias/cocca\n    copyTo: [us-east-1, ap-south-1]\n    copyKmsKeyIds: {us-east-1: alias/cocca-us}\n',
    want: [[E, 'targets.aws.copyTo[1]', 8, 25, 'the copy in ap-south-1 is shared but has no KMS key there (alias/cocca is not a multi-Region key)']],
    hints: ['set targets.aws.copyKmsKeyIds.ap-south-1 to a key in ap-south-1, or use a multi-Region key (mrk-...) with a replica there'],
  },
  {
    name: 'shared copies with a multi-Region key, one region with its own key, are fine (but need a modern Packer)',
    yaml: 'targets:\n  aws:\n    shareWith: ["111122223333"]\n    kmsKeyId: mrk-1234abcd\n    copyTo: [us-east-1, ap-south-1]\n    copyKmsKeyIds: {us-east-1: alias/cocca-us}\n',
    want: [[W, 'targets.aws.kmsKeyId', 7, 15, 'mrk-1234abcd is a multi-Region key: Packer 1.6.6 refuses it ("not a valid KMS Key Id"), so it needs Packer 1.7 or later with the Amazon plugin']],
  },
  {
    name: 'a copy key for a region that is not copied to',
    yaml: 'targets:\n  aws:\n    copyTo: [ap-south-1]\n    copyKmsKeyIds: {us-east-1: alias/cocca-us}\n',
    want: [[E, 'targets.aws.copyKmsKeyIds.us-east-1', 7, 32, 'us-east-1 is not a copyTo region']],
    hints: ['add us-east-1 to targets.aws.copyTo, or remove this key'],
  },

  // targets.qemu and no target
  {
    name: 'qemu without a pinned base image (warning)',
    yaml: 'targets:\n  qemu: {}\n',
    want: [
      [
        W,
        'targets.qemu',
        5,
        9,
        "the qemu base image https://cloud-images.ubuntu.com/releases/22.04/release/ubuntu-22.04-server-cloudimg-amd64.img is not pinned: Packer will read the publisher's checksum file at build time",
      ],
    ],
    hints: ['set targets.qemu.baseImage: {url, sha256}'],
  },
  { name: 'qemu with a pinned base image is fine', yaml: `targets:\n  qemu:\n    baseImage: {url: https://mirror.example/jammy.img, sha256: ${PIN}}\n`, want: [] },
  {
    name: 'a qemu disk below 150 GiB (warning)',
    yaml: `targets:\n  qemu:\n    diskSizeGiB: 40\n    baseImage: {url: https://mirror.example/jammy.img, sha256: ${PIN}}\n`,
    want: [[W, 'targets.qemu.diskSizeGiB', 6, 18, "40 GiB is below the seed's 150 GiB disk"]],
  },
  {
    name: 'no build target (warning)',
    base: null,
    yaml: `${CLEAN_NO_TARGETS}name: t\n`,
    want: [[W, 'targets', 3, 1, 'no build target: render writes user-data only, and no Packer source']],
  },

  // artifacts and the catalog
  {
    name: 'catalog miss: resin 4.0.99 without artifacts.resin',
    base: 'bare',
    yaml: 'resin:\n  version: 4.0.99\n',
    want: [...BARE_WARNINGS, [E, 'resin.version', 5, 12, 'the catalog has no resin 4.0.99']],
    hints: [undefined, undefined, undefined, undefined, 'give its download as artifacts.resin: {url: ..., sha256: ...}'].map((h, i) =>
      i < 4 ? expect.any(String) : h,
    ),
  },
  {
    name: 'catalog miss fixed by artifacts.resin',
    base: 'bare',
    yaml: `resin:\n  version: 4.0.99\nartifacts:\n  resin: {url: https://mirror.example/resin-4.0.99.tar.gz, sha256: ${PIN}}\n`,
    want: [
      ...BARE_WARNINGS.slice(2),
      // The leaf writes artifacts now: the war and keystore warnings point at it.
      [W, 'artifacts', 7, 3, "keystore comes from CoCCA's latest download, which is not pinned to a SHA-256"],
      [W, 'artifacts', 7, 3, "war comes from CoCCA's latest download, which is not pinned to a SHA-256"],
    ],
  },
  {
    name: 'catalog: every unpinned catalog download warns (bare base)',
    base: 'bare',
    yaml: '',
    want: [
      ...BARE_WARNINGS,
      [W, 'resin.version', 1, 1, 'resin download https://caucho.com/download/resin-4.0.66.tar.gz is not pinned to a SHA-256'],
    ],
    hints: [
      '"cocca-bake lock" pins it in cocca-bake.lock.json (docs/lock.md); or set artifacts.keystore: {url, sha256} to a copy you checked',
      '"cocca-bake lock" pins it in cocca-bake.lock.json (docs/lock.md); or set artifacts.war: {url, sha256} to a copy you checked',
      '"cocca-bake lock" pins it in cocca-bake.lock.json (docs/lock.md); or download it once, check it, and set artifacts.jdk.sha256',
      '"cocca-bake lock" pins it in cocca-bake.lock.json (docs/lock.md); or download it once, check it, and set artifacts.jdbc.sha256',
      '"cocca-bake lock" pins it in cocca-bake.lock.json (docs/lock.md); or download it once, check it, and set artifacts.resin.sha256',
    ],
  },
  {
    name: 'catalog miss: openssl 1.1.1z',
    yaml: 'openssl:\n  version: 1.1.1z\n',
    want: [[E, 'openssl.version', 5, 12, 'the catalog has no openssl 1.1.1z']],
  },
  {
    name: 'catalog miss fixed by artifacts.openssl',
    yaml: `openssl:\n  version: 1.1.1z\nartifacts:\n  openssl: {url: https://mirror.example/openssl-1.1.1z.tar.gz, sha256: ${PIN}}\n`,
    want: [],
  },
  { name: 'a version the catalog lacks is fine when openssl is off', yaml: 'openssl:\n  enabled: false\n  version: 1.1.1z\n', want: [] },
  { name: 'a pinned catalog entry (openssl 1.1.1w) is fine', yaml: 'openssl:\n  version: 1.1.1w\n', want: [] },
  {
    name: 'an own artifact marked unpinned (warning)',
    yaml: 'artifacts:\n  war:\n    url: https://mirror.example/ROOT.war\n    sha256: unpinned\n',
    want: [[W, 'artifacts.war.sha256', 7, 13, 'war download https://mirror.example/ROOT.war is not pinned to a SHA-256']],
  },
  {
    name: 'an artifact the profile does not use (warning)',
    yaml: `openssl:\n  enabled: false\nartifacts:\n  openssl: {url: https://mirror.example/o.tar.gz, sha256: ${PIN}}\n`,
    want: [[W, 'artifacts.openssl', 7, 12, 'artifacts.openssl is not used by this profile']],
  },
  {
    name: 'a base artifact unused with java from apt (warning, in the base)',
    yaml: 'java:\n  source: apt\n',
    want: [[W, 'artifacts.jdk', 11, 8, 'artifacts.jdk is not used by this profile', 'base.yaml']],
  },
  // issue 10: accepted, then locked out or broken at boot
  {
    name: 'trusted networks that hold every IPv4 address in pieces (warning, like /0)',
    yaml: trusted('0.0.0.0/1', '128.0.0.0/1'),
    want: [[W, 'firewall.trusted', 6, 5, 'together these networks hold every IPv4 address (0.0.0.0/1, 128.0.0.0/1): ssh and DNS are open to the whole Internet']],
    hints: ['list your office and bastion networks instead'],
  },
  {
    name: 'trusted networks that hold every IPv6 address in pieces, overlapping (warning)',
    yaml: trusted('"::/1"', '"8000::/2"', '"c000::/2"', '"2001:db8::/32"'),
    want: [
      // No IPv4 network left for the AMI build's temporary security group (aws-network.test.ts).
      [E, 'targets.aws', 20, 5, "the build instance's temporary security group has no IPv4 source: Packer would open port 22 to 0.0.0.0/0 for the whole bake (firewall.trusted lists IPv6 networks only)", 'base.yaml'],
      [W, 'firewall.trusted', 6, 5, 'together these networks hold every IPv6 address (::/1, 8000::/2, c000::/2, 2001:db8::/32): ssh and DNS are open to the whole Internet'],
    ],
  },
  { name: 'trusted networks that leave a gap are fine', yaml: trusted('0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/3', '224.0.0.0/4'), want: [] },
  {
    name: 'a /0 beside pieces: only the /0 warning',
    yaml: trusted('0.0.0.0/0', '0.0.0.0/1', '128.0.0.0/1'),
    want: [[W, 'firewall.trusted[0]', 6, 7, '"0.0.0.0/0" trusts the whole Internet with ssh and DNS']],
  },
  {
    name: "Resin's cluster port made public",
    yaml: 'firewall:\n  publicPorts: [80, 443, 6800]\n',
    want: [[E, 'firewall.publicPorts[2]', 5, 26, "port 6800 carries Resin's own traffic (a <server> cluster port or the watchdog's, in the built-in resin.xml): open to the world, anyone could talk to Resin's cluster and watchdog"]],
    hints: ['remove it from firewall.publicPorts: Resin uses it on the private address and the loopback only'],
  },
  {
    name: "Resin's watchdog port made public",
    yaml: 'firewall:\n  publicPorts: [80, 443, 6600]\n',
    want: [[E, 'firewall.publicPorts[2]', 5, 26, /^port 6600 carries Resin's own traffic/]],
  },
  {
    name: "an operator template's own cluster port made public",
    yaml: 'firewall:\n  publicPorts: [80, 443, 7800]\nresin:\n  template: t.xml\n',
    files: { 't.xml': TEMPLATE.replace('<server address="@@PRIVATE_IPV4@@">', '<server address="@@PRIVATE_IPV4@@" port="7800">') },
    want: [[E, 'firewall.publicPorts[2]', 5, 26, /^port 7800 carries Resin's own traffic \(a <server> cluster port or the watchdog's, in resin\.template "t\.xml"\)/]],
  },
  { name: "Resin's cluster port for trusted sources only is not refused", yaml: 'firewall:\n  trustedPorts: [53, 6800]\n', want: [] },
  {
    name: 'an unsigned apt source over plain http',
    yaml: 'apt:\n  sources: ["deb [trusted=yes] http://mirror.example/ubuntu jammy main"]\npostgres:\n  source: apt\n',
    want: [[E, 'apt.sources[0]', 5, 13, 'trusted=yes over plain http: apt would install, as root, whatever anyone on the network path serves']],
    hints: ['use an https mirror, or a signed one: signed-by=/usr/share/keyrings/KEY.gpg in place of trusted=yes'],
  },
  {
    name: 'allow-insecure over plain http, among other options',
    yaml: 'apt:\n  sources:\n    - deb [arch=amd64 allow-insecure=yes] http://mirror.example/ubuntu jammy main\npostgres:\n  source: apt\n',
    want: [[E, 'apt.sources[0]', 6, 7, /^allow-insecure=yes over plain http/]],
  },
  {
    name: 'an unsigned apt source over https (warning)',
    yaml: 'apt:\n  sources: ["deb [trusted=yes] https://mirror.example/ubuntu jammy main"]\npostgres:\n  source: apt\n',
    want: [[W, 'apt.sources[0]', 5, 13, "trusted=yes turns off apt's signature checks for this source"]],
  },
  { name: 'a signed apt source over plain http is fine', yaml: 'apt:\n  sources: ["deb [signed-by=/usr/share/keyrings/m.gpg] http://mirror.example/ubuntu jammy main"]\npostgres:\n  source: apt\n', want: [] },
  {
    name: 'an apt source with credentials (not printed)',
    yaml: 'apt:\n  sources: ["deb https://ops:hunter2@mirror.example/ubuntu jammy main"]\npostgres:\n  source: apt\n',
    want: [[E, 'apt.sources[0]', 5, 13, "the source https://***@mirror.example/ubuntu carries credentials: they would stay in the image's apt sources and in the user-data"]],
  },
  {
    name: 'a file: apt source for an AMI',
    yaml: 'apt:\n  sources: ["deb [signed-by=/srv/m.gpg] file:/srv/mirror ./"]\npostgres:\n  source: apt\n',
    want: [[E, 'apt.sources[0]', 5, 13, "a file: source cannot serve an AMI's bake: Packer bakes on a fresh EC2 instance, where file:/srv/mirror does not exist"]],
  },
  {
    name: 'a file: apt source for a qcow2 is fine',
    base: null,
    yaml: `${CLEAN_NO_TARGETS}name: t\napt:\n  sources: ["deb [signed-by=/srv/m.gpg] file:/srv/mirror ./"]\npostgres:\n  source: apt\ntargets:\n  qemu:\n    baseImage: {url: https://mirror.example/u.img, sha256: ${PIN}}\n`,
    want: [],
  },
  {
    name: 'an artifact URL with credentials (not printed)',
    yaml: `artifacts:\n  war: {url: "https://ci:s3cr3t@mirror.example/ROOT.war", sha256: ${PIN}}\n`,
    want: [[E, 'artifacts.war.url', 5, 14, "the war download https://***@mirror.example/ROOT.war carries credentials: they would be written into the image's scripts and the user-data"]],
    hints: ['serve the file without credentials, from a mirror only your build network reaches'],
  },
  {
    name: 'a token alone before the host is a credential too',
    yaml: `artifacts:\n  jdbc: {url: "https://ghp_abc123@mirror.example/pg.jar", sha256: ${PIN}}\n`,
    want: [[E, 'artifacts.jdbc.url', 5, 15, /^the jdbc download https:\/\/\*\*\*@mirror\.example\/pg\.jar carries credentials/]],
  },
  {
    name: 'an unpinned artifact with credentials: the warning does not print them either',
    yaml: 'artifacts:\n  war: {url: "https://ci:s3cr3t@mirror.example/ROOT.war", sha256: unpinned}\n',
    want: [
      [E, 'artifacts.war.url', 5, 14, /^the war download https:\/\/\*\*\*@mirror\.example\/ROOT\.war carries credentials/],
      [W, 'artifacts.war.sha256', 5, 67, 'war download https://***@mirror.example/ROOT.war is not pinned to a SHA-256'],
    ],
  },
  { name: 'an @ in the path is no credential', yaml: `artifacts:\n  war: {url: "https://mirror.example/builds/v1@2/ROOT.war", sha256: ${PIN}}\n`, want: [] },
  {
    name: 'a file:// artifact for an AMI',
    yaml: `artifacts:\n  jdk: {url: "file:///srv/mirror/jdk.tar.gz", sha256: ${PIN}}\n`,
    want: [[E, 'artifacts.jdk.url', 5, 14, "the jdk download file:///srv/mirror/jdk.tar.gz cannot serve an AMI's bake: Packer bakes on a fresh EC2 instance, where that file does not exist"]],
  },
  {
    name: 'a file:// artifact the profile does not use: only unused',
    yaml: `openssl:\n  enabled: false\nartifacts:\n  openssl: {url: "file:///srv/o.tar.gz", sha256: ${PIN}}\n`,
    want: [[W, 'artifacts.openssl', 7, 12, 'artifacts.openssl is not used by this profile']],
  },
  {
    name: 'a file:// backup for an AMI (warning: first boot may find it)',
    yaml: `postgres:\n  backup: {url: "file:///srv/registry.sql.gz", sha256: ${PIN}}\n`,
    want: [[W, 'postgres.backup.url', 5, 17, 'the backup file:///srv/registry.sql.gz is read at first boot on each instance made from the AMI: nothing cocca-bake does puts it there']],
  },
  {
    name: 'a file:// qemu base image beside an AMI is fine (Packer reads it where it runs)',
    yaml: `targets:\n  qemu:\n    baseImage: {url: "file:///srv/jammy.img", sha256: ${PIN}}\n`,
    want: [],
  },
  ...['template0', 'template1', 'postgres'].map((db): Row => ({
    name: `the database ${db}, which every cluster already has`,
    yaml: `postgres:\n  database: ${db}\n`,
    want: [[E, 'postgres.database', 5, 13, new RegExp(`^"${db}" is (the|PostgreSQL)`.replace('PostgreSQL', "the cluster's"))]],
    hints: ['pick a name of your own, e.g. registry'],
  })),
  ...['select', 'user', 'authorization'].map((db): Row => ({
    name: `the database ${db}, an SQL reserved word`,
    yaml: `postgres:\n  database: ${db}\n`,
    want: [[E, 'postgres.database', 5, 13, `"${db}" is an SQL reserved word: every statement that names the database would have to quote it (ALTER DATABASE, GRANT ... ON DATABASE, a dump made with --create)`]],
  })),
  { name: 'a database named like a key word SQL allows as a name (between) is fine', yaml: 'postgres:\n  database: between\n', want: [] },
  {
    name: 'java.home ..',
    yaml: 'java:\n  home: ..\n',
    want: [[E, 'java.home', 5, 9, '".." is not a directory name inside /usr/lib/jvm: JAVA_HOME would leave it']],
  },
  { name: 'java.home .', yaml: 'java:\n  home: .\n', want: [[E, 'java.home', 5, 9, /^"\." is not a directory name inside/]] },
  { name: 'java.home with a dotted name is fine', yaml: 'java:\n  home: jdk1.8.0_351\n', want: [] },
  {
    name: "a Let's Encrypt e-mail certbot would read as an option",
    yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n  email: --agree-tos@coccaregistry.org\n`,
    want: [[E, 'tls.email', 8, 10, '"--agree-tos@coccaregistry.org" begins with "-": certbot would read it as an option, not as the address']],
  },
  {
    name: "a Let's Encrypt e-mail that is no address",
    yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n  email: "host..master@coccaregistry.org"\n`,
    want: [[E, 'tls.email', 8, 10, /^"host\.\.master@coccaregistry\.org" is not an e-mail address: "host\.\.master" before the @/]],
  },
  {
    name: "a Let's Encrypt e-mail at a domain that cannot be public",
    yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n  email: hostmaster@nic.example\n`,
    want: [[E, 'tls.email', 8, 10, '"hostmaster@nic.example" has a domain Let\'s Encrypt refuses: "nic.example" ends in .example, which is never public (RFC 2606 reserves .example for documentation)']],
  },
  { name: 'a bad e-mail without letsencrypt: only unused (warning)', yaml: 'tls:\n  email: -x@nic.example\n', want: [[W, 'tls.email', 5, 10, 'tls.email is only used with tls.mode letsencrypt (this profile uses lab)']] },
  ...(
    [
      ['registry.nic.example', 'ends in .example, which is never public (RFC 2606 reserves .example for documentation)'],
      ['registry.nic.test', 'ends in .test, which is never public (RFC 2606 reserves .test for testing)'],
      ['registry.local', 'ends in .local, which is never public (RFC 6762 gives .local to multicast DNS on the local link)'],
      ['srs.corp.internal', 'ends in .internal, which is never public (ICANN keeps .internal for private networks)'],
      ['registry.invalid', 'ends in .invalid, which is never public (RFC 2606 reserves .invalid for names that must not resolve)'],
      ['srs.localhost', 'ends in .localhost, which is never public (RFC 6761 keeps .localhost for the local machine)'],
      ['registry.home.arpa', 'ends in .arpa, which is never public (.arpa holds infrastructure names (reverse DNS, home.arpa))'],
      ['srs.example.com', 'is under example.com, which RFC 2606 reserves for documentation'],
      ['srs.lan', 'ends in .lan, which is never public (RFC 6762 lists .lan as a private, undelegated name)'],
    ] as const
  ).map(([name, why]): Row => ({
    name: `Let's Encrypt for ${name}, which cannot be public`,
    yaml: `host:\n  fqdn: ${name}\ntls:\n  mode: letsencrypt\n  email: hostmaster@coccaregistry.org\n`,
    want: [[E, 'host.fqdn', 5, 9, `"${name}" ${why}: Let's Encrypt (tls.mode letsencrypt) cannot certify it`]],
    hints: ['use a name in the public DNS, or tls.mode lab or custom for a private name'],
  })),
  {
    name: "Let's Encrypt for a single label: the host-name error alone",
    yaml: 'host:\n  fqdn: registry\ntls:\n  mode: letsencrypt\n  email: hostmaster@coccaregistry.org\n',
    want: [[E, 'host.fqdn', 5, 9, '"registry" is not fully qualified: it needs a domain, e.g. registry.nic.example']],
  },
  { name: "the lab keystore for a private name is fine", yaml: 'host:\n  fqdn: srs.corp.internal\n', want: [] },
  {
    name: 'a fail2ban banTime of zero',
    yaml: 'fail2ban:\n  banTime: "0"\n',
    want: [[E, 'fail2ban.banTime', 5, 12, 'a banTime of "0" lifts each ban as it is made: fail2ban would protect nothing']],
  },
  {
    name: 'a fail2ban findTime of zero minutes, written 00m',
    yaml: 'fail2ban:\n  findTime: 00m\n',
    want: [[E, 'fail2ban.findTime', 5, 13, 'a findTime of "00m" counts failures over no time at all: fail2ban would never ban']],
  },
  { name: 'fail2ban times of one second and ten minutes are fine', yaml: 'fail2ban:\n  findTime: 10m\n  banTime: 1s\n', want: [] },
  {
    name: "debian-12: the AMI's user as the login user of a qcow2 too",
    yaml: `os: debian-12\nssh:\n  loginUser: admin\ntargets:\n  qemu: {}\n`,
    want: [
      [E, 'ssh.loginUser', 6, 14, `"admin" is the user of debian-12's AMI, not of its qcow2: nothing creates it there, and the profile's ssh keys go to debian`],
      [W, 'targets.qemu', 8, 9, /^the qemu base image .* is not pinned/],
    ],
    hints: ['remove ssh.loginUser: each image is then reached with its own user (admin for the AMI, debian for the qcow2)', expect.any(String)],
  },
  {
    name: "debian-12: the AMI's user on a qcow2 of your own base image (warning)",
    yaml: `os: debian-12\nssh:\n  loginUser: admin\ntargets:\n  qemu:\n    baseImage: {url: https://mirror.example/own.qcow2, sha256: ${PIN}}\n`,
    want: [[W, 'ssh.loginUser', 6, 14, /^"admin" is the user of debian-12's AMI, not of its qcow2/]],
    hints: ['make sure your base image creates this user'],
  },
  {
    name: 'a user of another OS in allowUsers (warning)',
    yaml: 'ssh:\n  allowUsers: [ubuntu, admin]\n',
    want: [[W, 'ssh.allowUsers[1]', 5, 24, '"admin" is the user of debian-12\'s and debian-13\'s AMI, not of the images this profile makes: nothing creates it here']],
  },
  {
    name: "an operator template with a placeholder inside Resin's EL",
    yaml: 'resin:\n  template: t.xml\n',
    files: { 't.xml': TEMPLATE.replace('<password>@@DB_PASSWORD@@</password>', '<password>${"@@DB_PASSWORD@@".trim()}</password>') },
    want: [[E, 'resin.template', 5, 13, 'resin.xml template "t.xml": line 7: placeholder @@DB_PASSWORD@@ is inside the EL expression "${\\"@@DB_PASSWORD@@\\".trim()}": Resin would evaluate the value first boot puts there']],
  },
  { name: 'an operator template with EL beside its placeholders is fine', yaml: 'resin:\n  template: t.xml\n', files: { 't.xml': TEMPLATE.replace('<resin>', '<resin>\n  <resin-system-auth-key>${resin.systemKey}</resin-system-auth-key>') }, want: [] },

];

describe('semantic rules through checkProfile', () => {
  it.each(table)('$name', (row) => {
    const r = checkFragment(row);
    expectFindings(r.findings, r.dir, row.want);
    const errors = row.want.some(([sev]) => sev === 'error');
    expect(r.profile === undefined).toBe(errors);
    if (row.hints) {
      expect(r.findings.map((f) => f.hint)).toEqual(row.hints.map((h) => (h instanceof RegExp ? expect.stringMatching(h) : h)));
    }
  });

  it('reports every rule error at once', () => {
    const r = checkFragment({
      yaml: [
        'host:', // 4
        '  fqdn: registry', // 5
        'firewall:', // 6
        '  trusted: [10.0.0.5/24]', // 7
        'ssh:', // 8
        '  port: 443', // 9
        '  allowUsers: [bob]', // 10
        'tls:', // 11
        '  mode: letsencrypt', // 12
        'targets:', // 13
        '  aws:', // 14
        '    copyTo: [eu-west-1]', // 15
        '',
      ].join('\n'),
    });
    expectFindings(r.findings, r.dir, [
      [E, 'host.fqdn', 5, 9, /is not fully qualified/],
      [E, 'firewall.trusted[0]', 7, 13, /has bits set beyond its \/24 prefix/],
      [E, 'ssh.port', 9, 9, /clashes with the https service|clashes with a port the firewall opens/],
      [E, 'ssh.allowUsers', 10, 15, /leaves out "ubuntu"/],
      [W, 'ssh.allowUsers[0]', 10, 16, /nothing creates "bob"/],
      [E, 'tls', 12, 3, /needs tls.email/],
      [E, 'targets.aws.copyTo[0]', 15, 14, /names the build region/],
    ]);
  });

  it('resolves a valid profile: template text, downloads from artifacts and the catalog', () => {
    const r = checkFragment({
      yaml: `resin:\n  template: t.xml\nopenssl:\n  version: 1.1.1w\nartifacts:\n  jdk: {url: https://mirror.example/jdk.tgz, sha256: ${PIN}}\n`,
      files: { 't.xml': TEMPLATE },
    });
    expect(r.findings).toEqual([]);
    const p = r.profile!;
    expect(p.resinTemplate).toBe(TEMPLATE);
    expect(p.sourceFile).toBe(r.leaf);
    expect(p.downloads.openssl).toEqual({
      url: 'https://www.openssl.org/source/old/1.1.1/openssl-1.1.1w.tar.gz',
      sha256: 'cf3098950cb4d853ad95c0841f1f9c6d3dc102dccfcacd521d93925208b76ac8',
    });
    expect(p.downloads.jdk).toEqual({ url: 'https://mirror.example/jdk.tgz', sha256: PIN });
    // artifacts.jdk names no home: the catalog's home for the version is kept.
    expect(p.downloads.jdkHome).toBe('jdk1.8.0_351');
    expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('resolves the template of a base next to the base', () => {
    const r = checkFragment({
      base: null,
      yaml: 'apiVersion: cocca-bake/v1\nextends: sub/base.yaml\nname: t\n',
      files: { 'sub/base.yaml': `${CLEAN_BASE}resin:\n  template: resin.xml\n`, 'sub/resin.xml': TEMPLATE, 'resin.xml': `<!-- wrong one -->\n${TEMPLATE}` },
    });
    expect(r.findings).toEqual([]);
    expect(r.profile!.resinTemplate).toBe(TEMPLATE);
  });

  it("passes the host name on without the root's trailing dot (the same name, the same digest)", () => {
    const dotted = checkFragment({ yaml: 'host:\n  fqdn: srs.nic.example.\n' });
    const plain = checkFragment({ yaml: 'host:\n  fqdn: srs.nic.example\n' });
    expect(dotted.findings).toEqual([]);
    expect(dotted.profile!.host.fqdn).toBe('srs.nic.example');
    expect(dotted.profile!.digest).toBe(plain.profile!.digest);
    // Two dots are an empty label, not a root to strip.
    expect(checkFragment({ yaml: 'host:\n  fqdn: srs.nic.example..\n' }).findings.map((f) => f.message)).toEqual(['"srs.nic.example.." has an empty label (two dots in a row)']);
  });

  it('gives the same digest for the same profile, another for a change', () => {
    const a = checkFragment({ yaml: 'ssh:\n  port: 2222\n' }).profile!.digest;
    const b = checkFragment({ yaml: 'ssh: {port: 2222}\n' }).profile!.digest;
    const c = checkFragment({ yaml: 'ssh:\n  port: 2223\n' }).profile!.digest;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe('ec2MemoryGiB', () => {
  const table: Array<[string, number | undefined]> = [
    ['t3.nano', 0.5],
    ['t3.micro', 1],
    ['t3.small', 2],
    ['t3.medium', 4],
    ['t3.large', 8],
    ['t3a.large', 8],
    ['t3.xlarge', 16],
    ['t3.2xlarge', 32],
    ['m5.large', 8],
    ['m6i.xlarge', 16],
    ['m5d.12xlarge', 192],
    ['m7g.medium', 4],
    ['r6i.large', 16],
    ['r5.2xlarge', 64],
    ['c5.large', 4],
    ['c6gn.16xlarge', 128],
    ['x2gd.xlarge', undefined],
    ['i3.large', undefined],
    ['m6i.metal', undefined],
    ['t3', undefined],
    ['', undefined],
  ];
  it.each(table)('%s → %s GiB', (type, gib) => {
    expect(ec2MemoryGiB(type)).toBe(gib);
  });
  it('the seed minimums are 12 GiB and 150 GiB', () => {
    expect([SEED_MEMORY_GIB, SEED_DISK_GIB]).toEqual([12, 150]);
  });
});

describe('net.ts', () => {
  it('parseCidr', () => {
    const table: Array<[string, ReturnType<typeof parseCidr>]> = [
      ['10.0.0.0/8', { family: 4, address: '10.0.0.0', prefix: 8 }],
      ['192.0.2.7', { family: 4, address: '192.0.2.7', prefix: 32 }],
      ['0.0.0.0/0', { family: 4, address: '0.0.0.0', prefix: 0 }],
      ['2001:db8::/32', { family: 6, address: '2001:db8::', prefix: 32 }],
      ['::1', { family: 6, address: '::1', prefix: 128 }],
      ['::ffff:192.0.2.1/128', { family: 6, address: '::ffff:192.0.2.1', prefix: 128 }],
      ['10.0.0.0/33', undefined],
      ['2001:db8::/129', undefined],
      ['10.0.0.0/08', undefined],
      ['10.0.0.0/', undefined],
      ['10.0.0/8', undefined],
      ['010.0.0.1', undefined],
      ['10.0.0.0 /8', undefined],
      ['10.0.0.0/8/8', undefined],
      ['example.com', undefined],
      ['', undefined],
    ];
    for (const [text, want] of table) expect([text, parseCidr(text)]).toEqual([text, want]);
  });

  it('hasHostBits and networkOf', () => {
    const table: Array<[string, boolean, string]> = [
      ['10.0.0.0/8', false, '10.0.0.0/8'],
      ['10.0.0.5/24', true, '10.0.0.0/24'],
      ['10.1.2.3/8', true, '10.0.0.0/8'],
      ['192.0.2.7/32', false, '192.0.2.7/32'],
      ['192.0.2.7/31', true, '192.0.2.6/31'],
      ['0.0.0.0/0', false, '0.0.0.0/0'],
      ['10.0.0.0/0', true, '0.0.0.0/0'],
      ['2001:db8::/32', false, '2001:db8::/32'],
      ['2001:db8:cc::1/48', true, '2001:db8:cc::/48'],
      ['2001:db8:1:2:3:4:5:6/64', true, '2001:db8:1:2::/64'],
      ['2001:db8:0:0:1::/64', true, '2001:db8::/64'],
      ['fe80::1/10', true, 'fe80::/10'],
      ['::ffff:192.0.2.1/120', true, '::ffff:c000:200/120'],
      ['::/0', false, '::/0'],
      ['2001:db8::1/128', false, '2001:db8::1/128'],
    ];
    for (const [text, host, net] of table) {
      const c = parseCidr(text)!;
      expect([text, hasHostBits(c), networkOf(c)]).toEqual([text, host, net]);
    }
  });

  it('fqdnProblem', () => {
    const table: Array<[string, string | undefined]> = [
      ['registry.nic.example', undefined],
      ['registry.nic.example.', undefined],
      ['a.b', undefined],
      ['1registry.nic.example', undefined],
      ['xn--bcher-kva.example', undefined],
      [`${label63}.example`, undefined],
      ['registry', 'is not fully qualified: it needs a domain, e.g. registry.nic.example'],
      ['registry.', 'is not fully qualified: it needs a domain, e.g. registry.nic.example'],
      ['registry.123', 'ends in a numeric label: an IP address is not a host name'],
      ['192.0.2.1', 'ends in a numeric label: an IP address is not a host name'],
      ['registry..example', 'has an empty label (two dots in a row)'],
      ['.example', 'has an empty label (two dots in a row)'],
      ['reg_istry.example', 'has an invalid label "reg_istry": letters, digits and inner hyphens only'],
      ['registry-.example', 'has an invalid label "registry-": letters, digits and inner hyphens only'],
      ['reg istry.example', 'has an invalid label "reg istry": letters, digits and inner hyphens only'],
      [`a${label63}.example`, 'has a label longer than 63 characters (aaaaaaaaaaaa…)'],
      [`${`${label63}.`.repeat(4)}example`, 'is longer than 253 characters'],
    ];
    for (const [name, want] of table) expect([name, fqdnProblem(name)]).toEqual([name, want]);
  });
});

describe('coversEveryAddress', () => {
  const covers = (family: 4 | 6, ...nets: string[]) => coversEveryAddress(nets.map((n) => parseCidr(n)!), family);
  it('holds for /0 and for halves, quarters and overlaps that add up', () => {
    expect(covers(4, '0.0.0.0/0')).toBe(true);
    expect(covers(4, '0.0.0.0/1', '128.0.0.0/1')).toBe(true);
    expect(covers(4, '128.0.0.0/2', '0.0.0.0/1', '192.0.0.0/2', '10.0.0.0/8')).toBe(true);
    expect(covers(6, '::/1', '8000::/1')).toBe(true);
  });
  it('fails with any gap, and for the other family', () => {
    expect(covers(4, '0.0.0.0/1', '128.0.0.0/2')).toBe(false);
    expect(covers(4, '0.0.0.0/1', '192.0.0.0/2')).toBe(false);
    expect(covers(4, '0.0.0.0/1', '128.0.0.0/1', '::/1')).toBe(true);
    expect(covers(6, '0.0.0.0/1', '128.0.0.0/1')).toBe(false);
    expect(covers(4)).toBe(false);
  });
});

describe('names.ts', () => {
  it('publicNameProblem: names no public CA can check', () => {
    const table: Array<[string, RegExp | undefined]> = [
      ['srs.coccaregistry.org', undefined],
      ['srs.coccaregistry.org.', undefined],
      ['nic.co.za', undefined],
      ['registry', /^is a single label/],
      ['192.0.2.1', /^is an IP address/],
      ['2001:db8::1', /^is an IP address/],
      ['a.EXAMPLE', /^ends in \.example/],
      ['a.test', /^ends in \.test/],
      ['a.onion', /^ends in \.onion/],
      ['a.alt', /^ends in \.alt/],
      ['1.2.0.192.in-addr.arpa', /^ends in \.arpa/],
      ['www.example.net', /^is under example\.net/],
      ['example.org', /^is under example\.org/],
      ['myexample.com', undefined],
    ];
    for (const [name, want] of table) expect([name, publicNameProblem(name)]).toEqual([name, want ? expect.stringMatching(want) : undefined]);
  });

  it('contactEmailProblem: an address certbot registers as given', () => {
    const table: Array<[string, RegExp | undefined]> = [
      ['hostmaster@coccaregistry.org', undefined],
      ["o'brien+le@nic.co.za", undefined],
      ['-m@coccaregistry.org', /^begins with "-"/],
      ['--register-unsafely-without-email', /^begins with "-"/],
      ['@coccaregistry.org', /^is not an e-mail address \(name@domain\)$/],
      ['hostmaster@', /^is not an e-mail address \(name@domain\)$/],
      ['.host@coccaregistry.org', /^is not an e-mail address: "\.host" before the @/],
      ['a"b@coccaregistry.org', /^is not an e-mail address: "a\\"b" before the @/],
      [`${'a'.repeat(65)}@coccaregistry.org`, /before the @ is not a plain local part/],
      ['host@coccaregistry', /^is not an e-mail address: its domain "coccaregistry" is not fully qualified/],
      ['host@nic_x.org', /^is not an e-mail address: its domain "nic_x\.org" has an invalid label/],
      ['host@nic.local', /^has a domain Let's Encrypt refuses: "nic\.local" ends in \.local/],
    ];
    for (const [addr, want] of table) expect([addr, contactEmailProblem(addr)]).toEqual([addr, want ? expect.stringMatching(want) : undefined]);
  });

  it('databaseNameProblem: the system databases and reserved words', () => {
    expect(databaseNameProblem('registry')).toBeUndefined();
    expect(databaseNameProblem('between')).toBeUndefined();
    expect(databaseNameProblem('user')).toMatch(/^is an SQL reserved word/);
    expect(databaseNameProblem('template0')).toMatch(/accepts no connections/);
    expect(databaseNameProblem('template1')).toMatch(/copied into each one/);
    expect(databaseNameProblem('postgres')).toMatch(/maintenance database/);
    expect(databaseNameProblem('constructor')).toBeUndefined();
  });
});

describe('urls.ts', () => {
  it('finds and hides credentials before the host, never a @ in the path', () => {
    const table: Array<[string, boolean, string]> = [
      ['https://u:p@h.example/x', true, 'https://***@h.example/x'],
      ['https://token@h.example/x', true, 'https://***@h.example/x'],
      ['file://u@localhost/srv/x', true, 'file://***@localhost/srv/x'],
      ['https://h.example/a@b', false, 'https://h.example/a@b'],
      ['https://h.example/?q=a@b', false, 'https://h.example/?q=a@b'],
      ['file:///srv/x', false, 'file:///srv/x'],
    ];
    for (const [url, has, shown] of table) expect([url, hasCredentials(url), redactUrl(url)]).toEqual([url, has, shown]);
  });

  it('redactLine hides every URL credential on a line and moves the column with it', () => {
    const line = '  war: {url: "https://ci:s3cr3t@m.example/ROOT.war", sha256: unpinned}';
    const r = redactLine(line, line.indexOf('unpinned') + 1);
    expect(r.line).toBe('  war: {url: "https://***@m.example/ROOT.war", sha256: unpinned}');
    expect(r.line.indexOf('unpinned') + 1).toBe(r.column);
    expect(redactLine(line, 14)).toEqual({ line: r.line, column: 14 });
  });

  it('takes linear time on a long hostile value (no backtracking pattern)', () => {
    const t = performance.now();
    for (const text of ['a'.repeat(200_000), '://'.repeat(70_000), `a://${'b'.repeat(200_000)}`, `${'a-'.repeat(100_000)}://`]) redactLine(text, 5);
    // A quadratic scan of these takes tens of seconds.
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('parseAptSource takes a one-line source apart', () => {
    const src = parseAptSource('deb [arch=amd64 trusted=yes signed-by=/k.gpg] http://m.example/ubuntu jammy main universe');
    expect(src).toEqual({
      type: 'deb',
      options: new Map([
        ['arch', 'amd64'],
        ['trusted', 'yes'],
        ['signed-by', '/k.gpg'],
      ]),
      uri: 'http://m.example/ubuntu',
      suite: 'jammy',
      components: ['main', 'universe'],
    });
    expect(unsignedBy(src!)).toBe('trusted=yes');
    expect(unsignedBy(parseAptSource('deb [trusted=no] http://m.example/u jammy main')!)).toBeUndefined();
    expect(parseAptSource('deb file:/srv/mirror ./')).toMatchObject({ uri: 'file:/srv/mirror', suite: './', components: [] });
    expect(parseAptSource('rpm http://x y')).toBeUndefined();
  });
});

describe('regressions found by review', () => {
  const errors = (yaml: string, files?: Record<string, string>) =>
    checkFragment({ yaml, files }).findings.filter((f) => f.severity === 'error').map((f) => [f.path, f.line, f.column, f.message]);

  it('refuses an IPv6 zone index in firewall.trusted instead of crashing', () => {
    expect(errors('firewall:\n  trusted: ["fe80::1%eth0", "fe80::%eth0/64"]\n')).toEqual([
      ['firewall.trusted[0]', 5, 13, '"fe80::1%eth0" is not an IPv4 or IPv6 address or CIDR'],
      ['firewall.trusted[1]', 5, 29, '"fe80::%eth0/64" is not an IPv4 or IPv6 address or CIDR'],
    ]);
  });

  it.each([6800, 6600, 5432])('refuses ssh port %i, which a stack service binds', (port) => {
    expect(errors(`ssh:\n  port: ${port}\n`).map((e) => e.slice(0, 3))).toEqual([['ssh.port', 5, 9]]);
  });

  it('reports a directory given as resin.template as an error, not a crash', () => {
    // Named .xml: a name without it is refused before the file is looked at (files.ts).
    expect(errors('resin: {template: tpl.xml}\n', { 'tpl.xml/x': '' }).map((e) => [e[0], e[3]])).toEqual([['resin.template', 'resin.xml template "tpl.xml" is a directory, not a regular file']]);
  });
});
