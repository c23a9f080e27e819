// Every problem at once (issue 10): when the schema refuses values, the semantic rules still
// judge the rest of the profile, on a repaired copy (generator/profile/repair.ts), and say
// nothing that depends on a refused value. Leaves extend the clean base; a fragment starts on
// line 4.
import { describe, expect, it } from 'vitest';
import { formatPath, type PathSegment } from '../../generator/profile/findings.js';
import { watched } from '../../generator/profile/reads.js';
import { repairDocument } from '../../generator/profile/repair.js';
import { profileSchema, schemaValidator } from '../../generator/profile/schema.js';
import { checkFragment, CLEAN_BASE, expectFindings, type Fragment, type Want } from './profile-helpers.js';

const E = 'error' as const;
const W = 'warning' as const;

describe('schema errors and rule findings in one run', () => {
  it("reports the issue's example: a bad ssh.port, a bad host.fqdn and a CIDR with host bits", () => {
    const r = checkFragment({ yaml: 'host:\n  fqdn: registry\nfirewall:\n  trusted: [10.0.0.5/24]\nssh:\n  port: 70000\n' });
    expectFindings(r.findings, r.dir, [
      [E, 'host.fqdn', 5, 9, '"registry" is not fully qualified: it needs a domain, e.g. registry.nic.example'],
      [E, 'firewall.trusted[0]', 7, 13, '"10.0.0.5/24" has bits set beyond its /24 prefix'],
      [E, 'ssh.port', 9, 9, '70000 is out of range: must be <= 65535'],
    ]);
    expect(r.profile).toBeUndefined();
  });

  const table: Array<Fragment & { name: string; want: Want[] }> = [
    {
      name: 'an unknown key and a type error beside rule errors and warnings',
      yaml: 'sssh:\n  port: 22\nfirewall:\n  trusted: [0.0.0.0/1, 128.0.0.0/1]\n  publicPorts: [80, 443, "x"]\npostgres:\n  database: template1\n',
      want: [
        [E, 'sssh', 4, 1, 'unknown key "sssh"'],
        [W, 'firewall.trusted', 7, 12, /^together these networks hold every IPv4 address/],
        [E, 'firewall.publicPorts[2]', 8, 26, 'must be a whole number, not "x"'],
        [E, 'postgres.database', 10, 13, /^"template1" is the template every new database is copied from/],
      ],
    },
    {
      name: 'a list item the schema refuses: the others keep their own index',
      yaml: 'firewall:\n  trusted: [10.0.0.5/24, 42, {a: 1}, 10.1.0.0/16, 10.2.0.1/16]\n',
      want: [
        [E, 'firewall.trusted[0]', 5, 13, '"10.0.0.5/24" has bits set beyond its /24 prefix'],
        [E, 'firewall.trusted[1]', 5, 26, 'must be a string, not 42'],
        [E, 'firewall.trusted[2]', 5, 30, 'must be a string, not {"a":1}'],
        [E, 'firewall.trusted[4]', 5, 51, '"10.2.0.1/16" has bits set beyond its /16 prefix'],
      ],
    },
    {
      name: 'a value listed twice: the later copy goes, the rules judge the rest',
      yaml: 'ssh:\n  allowUsers: [ubuntu, ubuntu, alice]\n',
      want: [
        [E, 'ssh.allowUsers[0]', 5, 16, '"ubuntu" is listed twice'],
        [W, 'ssh.allowUsers[2]', 5, 32, /^nothing creates "alice"/],
      ],
    },
    {
      name: 'a refused e-mail silences the rule that needs one',
      yaml: 'host:\n  fqdn: srs.coccaregistry.org\ntls:\n  mode: letsencrypt\n  email: not-an-address\n',
      want: [[E, 'tls.email', 8, 10, '"not-an-address" is not a valid value here']],
    },
    {
      name: 'a refused ssh port is not judged as the default 22',
      yaml: 'firewall:\n  publicPorts: [80, 443, 22]\nssh:\n  port: 0\n',
      want: [
        [W, 'firewall.publicPorts[2]', 5, 26, /^port 22 is open to the world but nothing listens on it/],
        [E, 'ssh.port', 7, 9, '0 is out of range: must be >= 1'],
      ],
    },
    {
      name: 'a refused os: no user is judged against another OS',
      yaml: 'os: windows\nssh:\n  allowUsers: [admin]\n',
      want: [[E, 'os', 4, 5, '"windows" is not one of "ubuntu-22.04", "debian-12", "ubuntu-24.04", "debian-13"']],
    },
    {
      name: 'a refused loginUser: AllowUsers, which follows it, is not judged',
      yaml: 'ssh:\n  loginUser: Admin\n',
      want: [[E, 'ssh.loginUser', 5, 14, '"Admin" is not a valid value here']],
    },
    {
      name: "a refused max_connections: the pool is not judged against pgtune's default",
      yaml: 'postgres:\n  tune:\n    connections: 5\nresin:\n  pool:\n    maxConnections: 200\n  jvmArgs: -Xmx4g\n',
      want: [
        [E, 'postgres.tune.connections', 6, 18, '5 is out of range: must be >= 20'],
        [E, 'resin.jvmArgs', 10, 12, /^resin\.jvmArgs sets the heap \(-Xmx4g\)/],
      ],
    },
    {
      name: 'an artifact without its checksum goes whole: no catalog warning in its place',
      yaml: 'openssl:\n  version: 1.1.1z\nartifacts:\n  openssl: {url: "https://mirror.example/o.tar.gz"}\n  keystore: {url: "https://mirror.example/k.jks", sha256: unpinned}\n',
      // Not "the catalog has no openssl 1.1.1z": the artifact meant to give it was refused.
      want: [
        [E, 'artifacts.openssl.sha256', 7, 12, 'missing required key "sha256"'],
        [W, 'artifacts.keystore.sha256', 8, 59, 'keystore download https://mirror.example/k.jks is not pinned to a SHA-256'],
      ],
    },
    {
      name: 'secrets without a source: the schema says so, the rule that wants secrets does not',
      files: { 'base.yaml': CLEAN_BASE.replace(/^secrets:\n.*\n/m, '') },
      yaml: 'secrets:\n  parameterPath: /cocca/x/\n',
      want: [[E, 'secrets.source', 5, 3, 'missing required key "source"']],
    },
    {
      name: 'an AWS target without a region: its other rules are silenced, the rest still run',
      yaml: 'targets:\n  aws:\n    region: 12\n    instanceType: t3.large\njava:\n  home: ".."\n',
      want: [
        [E, 'targets.aws.region', 6, 13, 'must be a string, not 12'],
        [E, 'java.home', 9, 9, '".." is not a directory name inside /usr/lib/jvm: JAVA_HOME would leave it'],
      ],
    },
    {
      name: 'a bad key of copyKmsKeyIds goes, the good one is still judged',
      yaml: 'targets:\n  aws:\n    copyTo: [ap-south-1]\n    copyKmsKeyIds: {us-east-1: alias/a, BAD: alias/b}\n',
      want: [
        [E, 'targets.aws.copyKmsKeyIds.us-east-1', 7, 32, 'us-east-1 is not a copyTo region'],
        [E, 'targets.aws.copyKmsKeyIds.BAD', 7, 41, '"BAD" is not a valid key here'],
      ],
    },
    {
      name: "keys named like Object's own properties are unknown keys, at every level (never a crash, never dropped)",
      yaml: 'constructor: 1\ntoString: {}\nssh: {constructor: 3, port: 0}\n',
      want: [
        [E, 'constructor', 4, 1, 'unknown key "constructor"'],
        [E, 'toString', 5, 1, 'unknown key "toString"'],
        [E, 'ssh.constructor', 6, 7, 'unknown key "constructor"'],
        [E, 'ssh.port', 6, 29, '0 is out of range: must be >= 1'],
      ],
    },
    {
      name: 'a missing host: a stand-in takes its place and is never judged',
      yaml: 'host: null\nfail2ban:\n  banTime: "0"\n',
      want: [
        [E, 'host', 4, 7, /^must be an? object, not null$/],
        [E, 'fail2ban.banTime', 6, 12, /^a banTime of "0" lifts each ban/],
      ],
    },
  ];

  it.each(table)('$name', ({ want, ...fragment }) => {
    const r = checkFragment(fragment);
    expectFindings(r.findings, r.dir, want);
    expect(r.profile).toBeUndefined();
  });
});

/** Every path the schema describes, list items as [0]. */
function schemaPaths(node: Record<string, unknown>, at: PathSegment[] = []): PathSegment[][] {
  const out: PathSegment[][] = at.length > 0 ? [at] : [];
  const props = node.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [k, child] of Object.entries(props ?? {})) out.push(...schemaPaths(child, [...at, k]));
  const items = node.items as Record<string, unknown> | undefined;
  if (items) out.push(...schemaPaths(items, [...at, 0]));
  return out;
}

/** `value` at `at`, as a YAML flow document (JSON is YAML). */
function fragmentAt(at: PathSegment[], value: unknown): string {
  let v = value;
  for (const seg of [...at].reverse()) v = typeof seg === 'number' ? [v] : { [seg]: v };
  const top = v as Record<string, unknown>;
  return Object.entries(top)
    .map(([k, x]) => `${k}: ${JSON.stringify(x)}\n`)
    .join('');
}

describe('no rule ever throws on a repaired profile', () => {
  // Every wrong shape at every path the schema knows: the rules run on what is left, and
  // checkProfile returns findings (a rule that threw would be exit 70).
  const paths = schemaPaths(profileSchema() as Record<string, unknown>).filter((at) => !['apiVersion', 'extends', 'name'].includes(String(at[0])));
  const wrong: unknown[] = [null, { x: 1 }, [1], -1, 'x'];
  // A rule error in the base that no other path touches: proof that the rules ran each time.
  const base = `${CLEAN_BASE}postgres:\n  database: template0\n`;
  it(`holds for ${paths.length} paths and ${wrong.length} wrong values each`, () => {
    let refused = 0;
    for (const at of paths) {
      for (const value of wrong) {
        const what = `${formatPath(at)} = ${JSON.stringify(value)}`;
        const r = checkFragment({ yaml: fragmentAt(at, value), files: { 'base.yaml': base } });
        const errors = r.findings.filter((f) => f.severity === 'error');
        expect(r.profile === undefined, what).toBe(errors.length > 0);
        if (at[0] !== 'postgres') expect(errors.map((f) => f.path), what).toContain('postgres.database');
        if (errors.some((f) => f.path !== 'postgres.database')) refused += 1;
      }
    }
    // Most of them are refused: the test exercises the repair, not only valid profiles.
    expect(refused).toBeGreaterThan(paths.length * 3);
  });
});

describe('repairDocument', () => {
  it('removes refused values, keeps list positions, and fills a stand-in for a top-level key', () => {
    const raw = {
      apiVersion: 'cocca-bake/v1',
      name: 'Bad Name',
      host: { fqdn: 'srs.coccaregistry.org' },
      firewall: { trusted: [1, '10.0.0.0/8', 2, '10.1.0.0/16'] },
      targets: { qemu: { qemuArgs: [['-a'], [3, '-b'], ['-c']] } },
      bogus: true,
    };
    const r = repairDocument(raw, schemaValidator())!;
    expect(r.removed.map(formatPath).sort()).toEqual(['bogus', 'firewall.trusted[0]', 'firewall.trusted[2]', 'name', 'targets.qemu.qemuArgs[1][0]']);
    const doc = r.doc as { name: string; firewall: { trusted: string[] }; targets: { qemu: { qemuArgs: string[][] } } };
    expect(doc.name).toBe('unnamed');
    expect(doc.firewall.trusted).toEqual(['10.0.0.0/8', '10.1.0.0/16']);
    expect(r.original(['firewall', 'trusted', 1])).toEqual(['firewall', 'trusted', 3]);
    expect(doc.targets.qemu.qemuArgs[1]).toEqual(['-b']);
    expect(r.original(['targets', 'qemu', 'qemuArgs', 1, 0])).toEqual(['targets', 'qemu', 'qemuArgs', 1, 1]);
    // The original is not touched.
    expect(raw.firewall.trusted).toHaveLength(4);
  });

  it('gives up on a top-level key it has no stand-in for', () => {
    expect(repairDocument({ name: 't', host: { fqdn: 'a.b' } }, schemaValidator())).toBeUndefined();
  });
});

describe('watched: what a function reads', () => {
  it('reports each value read and written, not list lengths or methods', () => {
    const reads: string[] = [];
    const writes: string[] = [];
    const doc = watched({ a: { b: [1, 2, 3] }, c: 'x' }, { onRead: (at) => reads.push(formatPath(at)), onWrite: (at) => writes.push(formatPath(at)) });
    expect(doc.a.b.includes(2)).toBe(true);
    doc.c = 'y';
    expect(reads).toEqual(['a', 'a.b', 'a.b[0]', 'a.b[1]']);
    expect(writes).toEqual(['c']);
    // The same node gives the same proxy.
    expect(doc.a).toBe(doc.a);
  });
});
