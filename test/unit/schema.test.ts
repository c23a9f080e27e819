// Schema errors through checkProfile: each kind, at the line and column that wrote the value.
// Leaves extend test/fixtures/profiles/base/clean.yaml (no findings of its own); a row's
// fragment starts on line 4 of the leaf, after apiVersion, extends and name.
import { describe, expect, it } from 'vitest';
import { profileSchema } from '../../generator/profile/schema.js';
import { checkFragment, CLEAN_BASE, expectFindings, PIN, type Fragment, type Want } from './profile-helpers.js';

const E = 'error' as const;
const W = 'warning' as const;

/**
 * The rules run beside the schema (every problem at once): a standalone leaf with no trusted
 * list, no secrets, no pinned downloads and no target gets these too, reported at `line` (the
 * top of the leaf, or the line of its first key when the document starts with a comment).
 */
const standaloneRules = (line: number, target = true): Want[] => [
  [W, 'artifacts', line, 1, "keystore comes from CoCCA's latest download, which is not pinned to a SHA-256"],
  [W, 'artifacts', line, 1, "war comes from CoCCA's latest download, which is not pinned to a SHA-256"],
  [E, 'firewall.trusted', line, 1, 'no trusted source: ssh is firewalled to trusted sources only, so nobody could log in'],
  [W, 'java.version', line, 1, 'jdk download https://updates.coccaregistry.org/jdk-8u351-linux-x64.tar.gz is not pinned to a SHA-256'],
  [W, 'jdbc.version', line, 1, 'jdbc download https://jdbc.postgresql.org/download/postgresql-42.5.0.jar is not pinned to a SHA-256'],
  [W, 'resin.version', line, 1, 'resin download https://caucho.com/download/resin-4.0.66.tar.gz is not pinned to a SHA-256'],
  [E, 'secrets', line, 1, "first boot needs SOURCE_KEYSTORE_PASSWORD (tls.mode lab: CoCCA's lab keystore is re-keyed with it), and the profile does not say where it comes from"],
  ...(target ? [[W, 'targets', line, 1, 'no build target: render writes user-data only, and no Packer source'] as Want] : []),
];

interface Row extends Fragment {
  name: string;
  want: Want[];
  /** Hints of the findings, in order, where the row checks them. */
  hints?: Array<string | RegExp | undefined>;
}

const table: Row[] = [
  // Unknown keys: reported at the key, with a did-you-mean hint when one is close.
  {
    name: 'unknown top-level key',
    yaml: 'fireall:\n  trusted: [10.0.0.0/8]\n',
    want: [[E, 'fireall', 4, 1, 'unknown key "fireall"']],
    hints: ['did you mean "firewall"?'],
  },
  {
    name: 'unknown nested key',
    yaml: 'ssh:\n  port: 2222\n  prot: 2222\n',
    want: [[E, 'ssh.prot', 6, 3, 'unknown key "prot"']],
    hints: ['did you mean "port"?'],
  },
  {
    name: 'unknown key in a flow mapping, at the key',
    yaml: 'ssh: {port: 2222, alowUsers: [ubuntu]}\n',
    want: [[E, 'ssh.alowUsers', 4, 19, 'unknown key "alowUsers"']],
    hints: ['did you mean "allowUsers"?'],
  },
  {
    name: 'unknown key with nothing close: the allowed keys',
    yaml: 'time:\n  zzzzzzzz: 1\n',
    want: [[E, 'time.zzzzzzzz', 5, 3, 'unknown key "zzzzzzzz"']],
    hints: ['keys allowed here: timezone, ntp'],
  },
  {
    name: 'unknown key under a list-free deep path',
    yaml: 'postgres:\n  tune:\n    dbtype: web\n',
    want: [[E, 'postgres.tune.dbtype', 6, 5, 'unknown key "dbtype"']],
    hints: ['did you mean "dbType"?'],
  },
  // Wrong types
  {
    name: 'a string where a number goes',
    yaml: 'ssh:\n  port: "22"\n',
    want: [[E, 'ssh.port', 5, 9, 'must be a whole number, not "22"']],
    hints: [/^The ssh port\./],
  },
  {
    name: 'a fraction where a whole number goes',
    yaml: 'ssh:\n  port: 22.5\n',
    want: [[E, 'ssh.port', 5, 9, 'must be a whole number, not 22.5']],
  },
  {
    name: 'a YAML 1.1 boolean (yes) is a string in YAML 1.2',
    yaml: 'time:\n  ntp: yes\n',
    want: [[E, 'time.ntp', 5, 8, 'must be a boolean, not "yes"']],
  },
  {
    name: 'a list where a string goes',
    yaml: 'host:\n  fqdn: [a, b]\n',
    want: [[E, 'host.fqdn', 5, 9, 'must be a string, not ["a","b"]']],
  },
  {
    name: 'a string where a list goes',
    yaml: 'firewall:\n  trusted: 10.0.0.0/8\n',
    want: [[E, 'firewall.trusted', 5, 12, /^must be an? array, not "10\.0\.0\.0\/8"$/]],
  },
  {
    name: 'a number in a list of strings',
    yaml: 'ssh:\n  allowUsers: [ubuntu, 42]\n',
    want: [[E, 'ssh.allowUsers[1]', 5, 24, 'must be a string, not 42']],
  },
  // enum and const
  {
    name: 'enum',
    yaml: 'role: dns\n',
    want: [[E, 'role', 4, 7, '"dns" is not one of "registry", "whois-dr"']],
    hints: [/`registry` installs CoCCA's ROOT\.war/],
  },
  {
    name: 'enum of numbers',
    yaml: 'postgres:\n  version: 14\n',
    want: [[E, 'postgres.version', 5, 12, '14 is not one of 15, 16, 17']],
  },
  {
    name: 'const: time.timezone is always UTC',
    yaml: 'time:\n  timezone: Europe/Paris\n',
    want: [[E, 'time.timezone', 5, 13, 'must be "UTC", not "Europe/Paris"']],
    hints: [/^Always UTC/],
  },
  {
    name: 'const: password authentication stays off',
    yaml: 'ssh:\n  passwordAuthentication: true\n',
    want: [[E, 'ssh.passwordAuthentication', 5, 27, 'must be false, not true']],
  },
  // Ranges
  {
    name: 'ssh port above 65535',
    yaml: 'ssh:\n  port: 70000\n',
    want: [[E, 'ssh.port', 5, 9, '70000 is out of range: must be <= 65535']],
  },
  {
    name: 'ssh port 0',
    yaml: 'ssh:\n  port: 0\n',
    want: [[E, 'ssh.port', 5, 9, '0 is out of range: must be >= 1']],
  },
  {
    name: 'a public port out of range, at the item',
    yaml: 'firewall:\n  publicPorts: [80, 0, 443]\n',
    want: [[E, 'firewall.publicPorts[1]', 5, 21, '0 is out of range: must be >= 1']],
  },
  {
    name: 'a trusted port out of range in a block list',
    yaml: 'firewall:\n  trustedPorts:\n    - 53\n    - 65536\n',
    want: [[E, 'firewall.trustedPorts[1]', 7, 7, '65536 is out of range: must be <= 65535']],
  },
  {
    name: 'clientAliveCountMax 0 (no timeout on OpenSSH 8.2+)',
    yaml: 'ssh:\n  clientAliveCountMax: 0\n',
    want: [[E, 'ssh.clientAliveCountMax', 5, 24, '0 is out of range: must be >= 1']],
  },
  {
    name: 'volume below the schema minimum',
    yaml: 'targets:\n  aws:\n    volumeSizeGiB: 4\n',
    want: [[E, 'targets.aws.volumeSizeGiB', 6, 20, '4 is out of range: must be >= 8']],
  },
  // sha256 and URLs
  {
    name: 'malformed sha256 (short)',
    yaml: 'artifacts:\n  war: {url: https://mirror.example/ROOT.war, sha256: 0123abc}\n',
    want: [[E, 'artifacts.war.sha256', 5, 55, '"0123abc" is not a valid value here']],
    hints: [/^Lower-case hex SHA-256 of the file \(64 characters\), or `unpinned`/],
  },
  {
    name: 'malformed sha256 (upper-case hex)',
    yaml: `artifacts:\n  war:\n    url: https://mirror.example/ROOT.war\n    sha256: ${PIN.toUpperCase()}\n`,
    want: [[E, 'artifacts.war.sha256', 7, 13, `"${PIN.toUpperCase()}" is not a valid value here`]],
  },
  {
    name: 'malformed sha256 (65 characters)',
    yaml: `artifacts:\n  war:\n    url: https://mirror.example/ROOT.war\n    sha256: ${PIN}0\n`,
    want: [[E, 'artifacts.war.sha256', 7, 13, `"${PIN}0" is not a valid value here`]],
  },
  {
    name: 'unpinned is accepted by the schema (a warning from the rules)',
    yaml: 'artifacts:\n  war: {url: https://mirror.example/ROOT.war, sha256: unpinned}\n',
    want: [['warning', 'artifacts.war.sha256', 5, 55, 'war download https://mirror.example/ROOT.war is not pinned to a SHA-256']],
  },
  {
    name: 'plain http:// refused',
    yaml: `artifacts:\n  jdk: {url: "http://mirror.example/jdk.tar.gz", sha256: ${PIN}}\n`,
    want: [[E, 'artifacts.jdk.url', 5, 14, '"http://mirror.example/jdk.tar.gz" is not a valid value here']],
    hints: [/plain http is refused/],
  },
  {
    name: 'file:// accepted (for a qcow2: an AMI cannot read it, a rule says)',
    files: { 'base.yaml': CLEAN_BASE.replace(/^targets:[\s\S]*$/m, `targets:\n  qemu:\n    baseImage: {url: https://mirror.example/jammy.img, sha256: ${PIN}}\n`) },
    yaml: `artifacts:\n  jdk: {url: "file:///srv/mirror/jdk.tar.gz", sha256: ${PIN}}\n`,
    want: [],
  },
  {
    name: 'a backup must be pinned: unpinned refused there',
    yaml: 'postgres:\n  backup:\n    url: https://mirror.example/registry.sql.gz\n    sha256: unpinned\n',
    want: [[E, 'postgres.backup.sha256', 7, 13, '"unpinned" is not a valid value here']],
  },
  {
    name: 'an artifact missing its url, at the artifact',
    yaml: `artifacts:\n  openssl: {sha256: ${PIN}}\n`,
    want: [[E, 'artifacts.openssl.url', 5, 12, 'missing required key "url"']],
    hints: [/^An https:\/\/ URL/],
  },
  // User names
  {
    name: 'bad user names: upper case, a space, a leading dash',
    yaml: 'ssh:\n  loginUser: Root\n  allowUsers: ["a b", "-x", Root]\n',
    want: [
      [E, 'ssh.loginUser', 5, 14, '"Root" is not a valid value here'],
      [E, 'ssh.allowUsers[0]', 6, 16, '"a b" is not a valid value here'],
      [E, 'ssh.allowUsers[1]', 6, 23, '"-x" is not a valid value here'],
      [E, 'ssh.allowUsers[2]', 6, 29, '"Root" is not a valid value here'],
    ],
    hints: [/^The user operators and Packer reach the server with/, /^A Linux user name/, /^A Linux user name/, /^A Linux user name/],
  },
  {
    name: 'a user name longer than 32 characters',
    yaml: `ssh:\n  loginUser: ${'u'.repeat(33)}\n`,
    want: [[E, 'ssh.loginUser', 5, 14, `"${'u'.repeat(33)}" is not a valid value here`]],
  },
  {
    name: 'a 32-character user name and _ are fine',
    yaml: `ssh:\n  allowUsers: [ubuntu, ${'u'.repeat(32)}, _svc, a-b_1]\n`,
    // The schema takes them; nothing creates them on the image (the rules' warning).
    want: [
      [W, 'ssh.allowUsers[1]', 5, 24, `nothing creates "${'u'.repeat(32)}" on ubuntu-22.04 images: AllowUsers lets it in only once something else does`],
      [W, 'ssh.allowUsers[2]', 5, 58, 'nothing creates "_svc" on ubuntu-22.04 images: AllowUsers lets it in only once something else does'],
      [W, 'ssh.allowUsers[3]', 5, 64, 'nothing creates "a-b_1" on ubuntu-22.04 images: AllowUsers lets it in only once something else does'],
    ],
  },
  {
    name: 'an empty allowUsers',
    yaml: 'ssh:\n  allowUsers: []\n',
    want: [[E, 'ssh.allowUsers', 5, 15, 'must list at least 1 item']],
  },
  {
    name: 'an ssh key of an unsupported type',
    yaml: 'ssh:\n  authorizedKeys: ["ssh-dss AAAAB3Nza"]\n',
    want: [[E, 'ssh.authorizedKeys[0]', 5, 20, '"ssh-dss AAAAB3Nza" is not a valid value here']],
  },
  {
    name: 'a bad AWS region and account id',
    yaml: 'targets:\n  aws:\n    copyTo: [eu-west]\n    shareWith: ["12345"]\n',
    want: [
      [E, 'targets.aws.copyTo[0]', 6, 14, '"eu-west" is not a valid value here'],
      [E, 'targets.aws.shareWith[0]', 7, 17, '"12345" is not a valid value here'],
    ],
  },
  {
    name: 'a map replaced by null',
    yaml: 'ssh:\n',
    want: [[E, 'ssh', 4, 1, /^must be an? object, not null$/]],
  },
  // Several at once: all of them, in line order.
  {
    name: 'several errors in one profile',
    yaml: 'role: dns\nssh:\n  port: 0\n  prot: 1\ntime:\n  timezone: CET\nfirewall:\n  publicPorts: [80, 99999]\n',
    want: [
      [E, 'role', 4, 7, '"dns" is not one of "registry", "whois-dr"'],
      [E, 'ssh.port', 6, 9, '0 is out of range: must be >= 1'],
      [E, 'ssh.prot', 7, 3, 'unknown key "prot"'],
      [E, 'time.timezone', 9, 13, 'must be "UTC", not "CET"'],
      [E, 'firewall.publicPorts[1]', 11, 21, '99999 is out of range: must be <= 65535'],
    ],
  },
  // Standalone leaves (no base)
  {
    name: 'a missing required key, at the top of the leaf',
    base: null,
    yaml: '# no host\napiVersion: cocca-bake/v1\nname: t\n',
    want: [...standaloneRules(2).slice(0, 3), [E, 'host', 2, 1, 'missing required key "host"'], ...standaloneRules(2).slice(3)],
    hints: [...standaloneRules(2).slice(0, 3).map(() => expect.any(String)), "The server's identity.", ...standaloneRules(2).slice(3).map(() => expect.any(String))],
  },
  {
    name: 'a missing host.fqdn, at host',
    base: null,
    yaml: 'apiVersion: cocca-bake/v1\nname: t\nhost: {}\n',
    want: [...standaloneRules(1), [E, 'host.fqdn', 3, 7, 'missing required key "fqdn"']],
  },
  {
    name: 'a bad profile name',
    base: null,
    yaml: 'apiVersion: cocca-bake/v1\nname: Bad_Name\nhost: {fqdn: registry.nic.example}\n',
    want: [...standaloneRules(1), [E, 'name', 2, 7, '"Bad_Name" is not a valid value here']],
  },
  {
    name: 'an AWS target without a region',
    base: null,
    yaml: 'apiVersion: cocca-bake/v1\nname: t\nhost: {fqdn: registry.nic.example}\ntargets:\n  aws:\n    instanceType: t3.xlarge\n',
    // No "no build target" warning: it would judge targets, which lost its aws to the repair.
    want: [...standaloneRules(1, false), [E, 'targets.aws.region', 6, 5, 'missing required key "region"']],
  },
  // In the base: the error names the base file and its line.
  {
    name: 'an error in the base, reported in the base file',
    files: { 'base.yaml': `${CLEAN_BASE}sssh:\n  port: 22\n` },
    yaml: 'ssh:\n  port: 0\n',
    want: [
      [E, 'sssh', 22, 1, 'unknown key "sssh"', 'base.yaml'],
      [E, 'ssh.port', 5, 9, '0 is out of range: must be >= 1'],
    ],
    hints: ['did you mean "ssh"?', /^The ssh port/],
  },
  {
    name: "a wrong type in the base is reported in the leaf when the leaf overrides it",
    files: { 'base.yaml': `${CLEAN_BASE}resin:\n  version: 4\n` },
    yaml: 'resin:\n  version: "4.0"\n',
    want: [[E, 'resin.version', 5, 12, '"4.0" is not a valid value here']],
  },
];

describe('schema findings through checkProfile', () => {
  it.each(table)('$name', (row) => {
    const r = checkFragment(row);
    expectFindings(r.findings, r.dir, row.want);
    if (row.want.some(([sev]) => sev === 'error')) expect(r.profile).toBeUndefined();
    if (row.hints) {
      expect(r.findings.map((f) => f.hint)).toEqual(row.hints.map((h) => (h instanceof RegExp ? expect.stringMatching(h) : h)));
    }
  });

  it('has no pattern that takes quadratic time on a long hostile value', () => {
    const patterns = new Set<string>();
    const walk = (n: unknown): void => {
      if (!n || typeof n !== 'object') return;
      const pattern = (n as { pattern?: unknown }).pattern;
      if (typeof pattern === 'string') patterns.add(pattern);
      Object.values(n).forEach(walk);
    };
    walk(profileSchema());
    const n = 20_000;
    const values = ['a'.repeat(n), '.'.repeat(n), `a@${'.'.repeat(n)} `, ' '.repeat(n), `deb http:x${' a'.repeat(n)}  `, `ssh-rsa ${'A'.repeat(n)}!`, `/${'a/'.repeat(n)}!`, `${'0'.repeat(n)}!`, `a@${'a.'.repeat(n)}@`];
    for (const p of patterns) {
      const re = new RegExp(p, 'u'); // as ajv compiles them
      const t = performance.now();
      for (const v of values) re.test(`${v}!`);
      // Linear patterns take a few milliseconds here; a quadratic one about half a second.
      expect([p, performance.now() - t < 150]).toEqual([p, true]);
    }
    expect(patterns.size).toBeGreaterThan(15);
  });

  it('reports a value listed twice, once', () => {
    const r = checkFragment({ yaml: 'firewall:\n  publicPorts: [80, 443, 80]\n' });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect([f.severity, f.line, f.message]).toEqual(['error', 5, '80 is listed twice']);
    // Either occurrence is a fair place to point at: [80, 443, 80] starts at column 16.
    expect([
      ['firewall.publicPorts[0]', 17],
      ['firewall.publicPorts[2]', 27],
    ]).toContainEqual([f.path, f.column]);
  });

  it('rejects a whole document of the wrong shape without a stack trace', () => {
    const r = checkFragment({ base: null, yaml: '- a\n- b\n' });
    expectFindings(r.findings, r.dir, [[E, '', 1, 1, 'a profile is a YAML mapping (key: value lines)']]);
  });
});

describe('schema defaults', () => {
  const minimal = 'apiVersion: cocca-bake/v1\nname: minimal\nhost:\n  fqdn: registry.nic.example\nfirewall:\n  trusted: [198.51.100.0/24]\nsecrets:\n  source: user-data\n';

  it('fills every default into a minimal profile', () => {
    const r = checkFragment({ base: null, yaml: minimal });
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const p = r.profile!;
    // toMatchObject: later schema versions may add keys; these defaults must stay.
    expect(p).toBeDefined();
    expect(p.role).toBe('registry');
    expect(p.os).toBe('ubuntu-22.04');
    expect(p.time).toMatchObject({ timezone: 'UTC', ntp: true });
    expect(p.updates).toMatchObject({ unattendedSecurity: true });
    expect(p.firewall).toMatchObject({ trusted: ['198.51.100.0/24'], publicPorts: [80, 443], trustedPorts: [53] });
    expect(p.ssh.loginUser).toBeUndefined();
    expect(p.ssh).toMatchObject({
      port: 22,
      allowUsers: ['ubuntu'],
      authorizedKeys: [],
      listenAddress: 'any',
      loginGraceTime: 30,
      maxAuthTries: 3,
      maxStartups: 2,
      clientAliveInterval: 300,
      clientAliveCountMax: 2,
      permitRootLogin: 'no',
      passwordAuthentication: false,
      allowTcpForwarding: false,
      x11Forwarding: false,
    });
    expect(p.fail2ban).toMatchObject({ maxRetry: 5, findTime: '10m', banTime: '1h' });
    expect(p.postgres).toMatchObject({ version: 15, database: 'registry', authMethod: 'md5', tune: { dbType: 'web', storage: 'ssd' } });
    expect(p.openssl).toMatchObject({ enabled: true, version: '1.1.1s', runTests: true, divertSystemBinary: true });
    expect(p.java).toMatchObject({ source: 'tarball', version: '8u351', package: 'openjdk-8-jdk-headless' });
    expect(p.resin).toEqual({ version: '4.0.66', runAs: 'resin', jvmArgs: '', heap: { percent: 25 }, pool: {}, logs: { keepDays: 14, maxMiB: 2048 } });
    expect(p.secrets).toEqual({ source: 'user-data' });
    expect(p.tls).toMatchObject({ mode: 'lab', staging: false });
    expect(p.jdbc).toMatchObject({ version: '42.5.0' });
    expect(p.artifacts).toEqual({});
    expect(p.targets).toEqual({});
  });

  it('fills the AWS target defaults', () => {
    const r = checkFragment({ yaml: '' });
    expect(r.findings).toEqual([]);
    expect(r.profile!.targets.aws).toEqual({
      region: 'eu-west-1',
      instanceType: 't3.xlarge',
      volumeSizeGiB: 150,
      volumeType: 'gp3',
      copyTo: [],
      shareWith: [],
      public: false,
      keep: 3,
    });
  });

  it('derives allowUsers from a set loginUser or the targets\' image users, and keeps an explicit allowUsers', () => {
    expect(checkFragment({ yaml: 'ssh:\n  loginUser: ubuntu\n' }).profile!.ssh).toMatchObject({ loginUser: 'ubuntu', allowUsers: ['ubuntu'] });
    expect(checkFragment({ yaml: 'ssh:\n  allowUsers: [ubuntu, ops]\n' }).profile!.ssh).toMatchObject({ allowUsers: ['ubuntu', 'ops'] });
    // debian-12: the AMI's user (admin) and the qcow2's (debian) differ.
    expect(checkFragment({ yaml: 'os: debian-12\n' }).profile!.ssh.allowUsers).toEqual(['admin']);
    const both = checkFragment({ yaml: `os: debian-12\ntargets:\n  qemu:\n    baseImage: {url: https://mirror.example/d.qcow2, sha256: ${'a'.repeat(64)}}\n` });
    expect(both.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(both.profile!.ssh.allowUsers).toEqual(['admin', 'debian']);
  });

  it('does not override values the profile sets', () => {
    const p = checkFragment({ yaml: 'ssh:\n  port: 2222\npostgres:\n  database: cocca\nfirewall:\n  publicPorts: [443]\n' }).profile!;
    expect(p.ssh.port).toBe(2222);
    expect(p.postgres.database).toBe('cocca');
    expect(p.firewall.publicPorts).toEqual([443]);
    expect(p.firewall.trustedPorts).toEqual([53]);
  });
});
