// `cocca-bake lock` as an operator runs it: the built CLI against a real HTTPS server on
// 127.0.0.1 whose certificate a throwaway CA signed (openssl, at test start), trusted the way an
// operator trusts an internal CA: NODE_EXTRA_CA_CERTS. No mock of fetch or https.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProfile } from '../../generator/check/index.js';
import { coccaDownloads, catalog } from '../../generator/catalog.js';
import { LOCK_FILE, serializeLock, type LockFile } from '../../generator/lock/file.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';
import { makePki, removePki, startFileServer, type FileServer, type Pki } from '../helpers/tls-server.js';
import { REPO, tempTree } from './profile-helpers.js';

const CLI = path.join(REPO, 'dist/generator/cli.js');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let pki: Pki;
let server: FileServer;
/** What "upstream" serves at first, by path. */
const UPSTREAM: Record<string, Buffer> = {
  '/jdk.tar.gz': randomBytes(300_000),
  '/resin.tar.gz': randomBytes(120_000),
  '/jdbc.jar': randomBytes(9_000),
  '/ROOT.war': randomBytes(2_500_000),
  '/star.jks': randomBytes(3_000),
};

beforeAll(async () => {
  pki = makePki();
  server = await startFileServer(pki);
  for (const [p, b] of Object.entries(UPSTREAM)) server.files.set(p, b);
  server.redirects.set('/moved.war', `${server.origin.replace('https:', 'http:')}/ROOT.war`);
});
afterAll(async () => {
  await server?.close();
  if (pki) removePki(pki);
});

/** A complete profile whose only unpinned downloads are the server's files. */
function labProfile(over: Partial<Record<'jdk' | 'resin' | 'jdbc' | 'war' | 'keystore', string>> = {}, name = 'lab'): string {
  const art = (n: keyof typeof over, file: string) => over[n] ?? `{url: ${server.origin}${file}, sha256: unpinned}`;
  return `apiVersion: cocca-bake/v1
name: ${name}
host:
  fqdn: registry.nic.example
firewall:
  trusted: [198.51.100.0/24]
secrets:
  source: user-data
artifacts:
  jdk: ${art('jdk', '/jdk.tar.gz')}
  resin: ${art('resin', '/resin.tar.gz')}
  jdbc: ${art('jdbc', '/jdbc.jar')}
  war: ${art('war', '/ROOT.war')}
  keystore: ${art('keystore', '/star.jks')}
targets:
  aws:
    region: eu-west-1
    instanceType: t3.xlarge
`;
}

/** The CLI in `cwd`, trusting the test CA unless `trust` is false. */
function run(cwd: string, args: string[], trust = true) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (trust) env.NODE_EXTRA_CA_CERTS = pki.caPem;
  return execa(process.execPath, [CLI, ...args], { cwd, env, extendEnv: false, reject: false });
}

const readLockText = (dir: string) => readFileSync(path.join(dir, LOCK_FILE), 'utf8');
const readLockJson = (dir: string) => JSON.parse(readLockText(dir)) as LockFile;
const url = (p: string) => `${server.origin}${p}`;

function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('internal error');
}

describe('lock: first lock', () => {
  it('records every unpinned download: URL, sha256, size, firstSeen; keys sorted; progress with sizes on stderr', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    const before = Date.now();
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.stderr).toContain('wrote cocca-bake.lock.json (5 artifacts)');
    expect(r.exitCode).toBe(0);
    const text = readLockText(dir);
    const lock = JSON.parse(text) as LockFile;
    expect(Object.keys(lock)).toEqual(['artifacts', 'schema']);
    expect(lock.schema).toBe('cocca-bake/lock/v1');
    const urls = Object.keys(UPSTREAM).map(url).sort();
    expect(Object.keys(lock.artifacts)).toEqual(urls);
    for (const [p, body] of Object.entries(UPSTREAM)) {
      const e = lock.artifacts[url(p)]!;
      expect(Object.keys(e)).toEqual(['firstSeen', 'sha256', 'size']);
      expect(e.sha256).toBe(sha(body));
      expect(e.size).toBe(body.length);
      expect(Date.parse(e.firstSeen)).toBeGreaterThanOrEqual(before - 1000);
      expect(e.firstSeen).toBe(new Date(e.firstSeen).toISOString());
      // One progress line per artifact, with its size.
      expect(r.stderr).toContain(`${url(p)}: ${body.length} bytes`);
    }
    expect(r.stderr).toContain(`${url('/ROOT.war')}: 2500000 bytes (2.4 MiB), sha256 ${sha(UPSTREAM['/ROOT.war']!)}`);
    // 2-space indent, sorted keys, a trailing newline: the canonical form.
    expect(text).toBe(serializeLock(lock));
    expect(text).toMatch(/^\{\n {2}"artifacts": \{\n {4}"https:/);
    expect(text.endsWith('}\n')).toBe(true);
    // The download is only hashed: nothing but the profile, its repository marker and the lock.
    expect(readdirSync(dir).sort()).toEqual(['.git', LOCK_FILE, 'lab.yaml']);
  });

  it('two directories locked from the same upstream hold the same bytes but for firstSeen', async () => {
    const a = tempTree({ 'lab.yaml': labProfile() });
    const b = tempTree({ 'lab.yaml': labProfile() });
    expect((await run(a, ['lock', 'lab.yaml'])).exitCode).toBe(0);
    expect((await run(b, ['lock', 'lab.yaml'])).exitCode).toBe(0);
    const noTimes = (t: string) => t.replace(/"firstSeen": "[^"]+"/g, '"firstSeen": "T"');
    expect(noTimes(readLockText(a))).toBe(noTimes(readLockText(b)));
  });
});

describe('lock: re-lock and upstream changes', () => {
  it('re-locking an unchanged upstream leaves the file byte-identical (firstSeen kept)', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    expect((await run(dir, ['lock', 'lab.yaml'])).exitCode).toBe(0);
    const first = readLockText(dir);
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('cocca-bake.lock.json: unchanged (5 artifacts)');
    expect(readLockText(dir)).toBe(first);
    const check = await run(dir, ['lock', '--check', 'lab.yaml']);
    expect(check.exitCode).toBe(0);
    expect(check.stderr).toContain('5 downloads match the lock');
    expect(readLockText(dir)).toBe(first);
  });

  it('an upstream file that changed: --check exits 1 naming it, lock refuses, --update accepts it', async () => {
    const changed = '/changed/ROOT.war';
    server.files.set(changed, UPSTREAM['/ROOT.war']!);
    try {
      const dir = tempTree({ 'lab.yaml': labProfile({ war: `{url: ${url(changed)}, sha256: unpinned}` }) });
      expect((await run(dir, ['lock', 'lab.yaml'])).exitCode).toBe(0);
      const locked = readLockText(dir);
      const old = sha(UPSTREAM['/ROOT.war']!);
      const replaced = randomBytes(2_600_000);
      server.files.set(changed, replaced);

      // The operator's "did CoCCA replace ROOT.war?"
      const check = await run(dir, ['lock', '--check', 'lab.yaml']);
      expect(check.exitCode).toBe(1);
      expect(check.stderr).toContain(`cocca-bake: cocca-bake.lock.json: ${url(changed)} changed upstream: locked sha256 ${old} (2500000 bytes (2.4 MiB), first seen `);
      expect(check.stderr).toContain(`now ${sha(replaced)} (2600000 bytes (2.5 MiB))`);
      expect(check.stderr.match(/changed upstream/g)).toHaveLength(1);
      expect(readLockText(dir)).toBe(locked);

      const refused = await run(dir, ['lock', 'lab.yaml']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(`${url(changed)} changed upstream: locked sha256 ${old}`);
      expect(refused.stderr).toContain(`accept it with --update ${url(changed)}`);
      expect(refused.stderr).toContain('no lock file written');
      expect(readLockText(dir)).toBe(locked);

      // --update names what it accepts; a URL no profile uses is a usage error.
      const wrong = await run(dir, ['lock', 'lab.yaml', '--update', url('/elsewhere.war')]);
      expect(wrong.exitCode).toBe(2);
      expect(wrong.stderr).toContain(`--update ${url('/elsewhere.war')}: no profile named uses this URL unpinned`);

      const updated = await run(dir, ['lock', 'lab.yaml', '--update', url(changed)]);
      expect(updated.exitCode).toBe(0);
      expect(updated.stderr).toContain(`${url(changed)} updated: sha256 ${old} -> ${sha(replaced)} (--update)`);
      const after = readLockJson(dir);
      const before = JSON.parse(locked) as LockFile;
      expect(after.artifacts[url(changed)]).toMatchObject({ sha256: sha(replaced), size: replaced.length });
      // The others are untouched.
      for (const p of ['/jdk.tar.gz', '/resin.tar.gz', '/jdbc.jar', '/star.jks']) expect(after.artifacts[url(p)]).toEqual(before.artifacts[url(p)]);
      expect((await run(dir, ['lock', '--check', 'lab.yaml'])).exitCode).toBe(0);
    } finally {
      server.files.delete(changed);
    }
  });

  it('--check exits 1 for a download the lock has no entry for, and writes nothing', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    const r = await run(dir, ['lock', '--check', 'lab.yaml']);
    expect(r.exitCode).toBe(1);
    for (const p of Object.keys(UPSTREAM)) expect(r.stderr).toContain(`cocca-bake.lock.json: no entry for ${url(p)} (run cocca-bake lock)`);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('drops entries no profile uses any more (saying so), keeps the ones a sibling profile uses, and keeps `packages` untouched', async () => {
    const dir = tempTree({
      'lab.yaml': labProfile(),
      'other.yaml': labProfile({ keystore: `{url: ${url('/other.jks')}, sha256: unpinned}` }, 'other'),
    });
    const packages = { lab: { os: 'ubuntu-22.04', recordedAt: '2026-01-01T00:00:00.000Z', recordedFrom: 'builds/x.json', versions: { 'libssl3:amd64': '3.0.2-0ubuntu1.18' } } };
    const entry = { firstSeen: '2026-01-01T00:00:00.000Z', sha256: 'a'.repeat(64), size: 1 };
    writeFileSync(path.join(dir, LOCK_FILE), serializeLock({ schema: 'cocca-bake/lock/v1', artifacts: { [url('/gone.war')]: entry, [url('/other.jks')]: entry }, packages }));
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`cocca-bake.lock.json: dropped ${url('/gone.war')}: no profile of . downloads it unpinned any more`);
    const lock = readLockJson(dir);
    expect(lock.packages).toEqual(packages);
    expect(lock.artifacts[url('/gone.war')]).toBeUndefined();
    // other.yaml was not named, but the lock serves its directory: its entry stays, not downloaded.
    expect(lock.artifacts[url('/other.jks')]).toEqual(entry);
    expect(server.hits).not.toContain('/other.jks');
  });
});

describe('lock: pins and what reads the lock', () => {
  it('a profile\'s explicit sha256 wins: no entry written; a lock entry that disagrees is a warning naming both', async () => {
    const pin = sha(UPSTREAM['/ROOT.war']!);
    const dir = tempTree({ 'lab.yaml': labProfile({ war: `{url: ${url('/ROOT.war')}, sha256: ${pin}}` }) });
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.exitCode).toBe(0);
    const lock = readLockJson(dir);
    expect(Object.keys(lock.artifacts)).toHaveLength(4);
    expect(lock.artifacts[url('/ROOT.war')]).toBeUndefined();
    expect(r.stderr).not.toContain(`${url('/ROOT.war')}:`);

    // Someone hand-edits (or another profile locked) a different sha256 for the pinned URL.
    const other = 'b'.repeat(64);
    lock.artifacts[url('/ROOT.war')] = { sha256: other, size: 1, firstSeen: '2026-01-01T00:00:00.000Z' };
    writeFileSync(path.join(dir, LOCK_FILE), serializeLock(lock));
    const v = await run(dir, ['validate', 'lab.yaml']);
    expect(v.exitCode).toBe(0);
    expect(v.stderr).toContain(`lab.yaml:13:`);
    expect(v.stderr).toContain(`warning: artifacts.war.sha256: war download ${url('/ROOT.war')}: the profile pins sha256 ${pin}, but cocca-bake.lock.json records ${other}; the pin is used`);
    const out = path.join(dir, 'out');
    expect((await run(dir, ['render', 'lab.yaml', '--out', out, '--packer-version', '1.9.0'])).exitCode).toBe(0);
    const rendered = renderedText(out);
    expect(rendered).toContain(`fetch ${url('/ROOT.war')} ${pin} `);
    expect(rendered).not.toContain(other);
    // Re-locking drops the entry nothing unpinned uses.
    const again = await run(dir, ['lock', 'lab.yaml']);
    expect(again.stderr).toContain(`dropped ${url('/ROOT.war')}`);
    expect(readLockJson(dir).artifacts[url('/ROOT.war')]).toBeUndefined();
  });

  it('validate --strict fails before locking and passes after', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    const before = await run(dir, ['validate', '--strict', 'lab.yaml']);
    expect(before.exitCode).toBe(1);
    expect(before.stderr).toContain('1 profile: 0 valid, 1 invalid (0 errors, 5 warnings)');
    expect((await run(dir, ['lock', 'lab.yaml'])).exitCode).toBe(0);
    const after = await run(dir, ['validate', '--strict', 'lab.yaml']);
    expect(after.stderr).toBe('1 profile: 1 valid, 0 invalid (0 errors, 0 warnings)');
    expect(after.exitCode).toBe(0);
  });

  it('render reads the lock: the rendered steps carry the locked sha256', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    const out1 = path.join(dir, 'unlocked');
    expect((await run(dir, ['render', 'lab.yaml', '--out', out1, '--packer-version', '1.9.0'])).exitCode).toBe(0);
    expect(renderedText(out1)).toContain(`fetch ${url('/ROOT.war')} unpinned `);
    expect((await run(dir, ['lock', 'lab.yaml'])).exitCode).toBe(0);
    const out2 = path.join(dir, 'locked');
    expect((await run(dir, ['render', 'lab.yaml', '--out', out2, '--packer-version', '1.9.0'])).exitCode).toBe(0);
    const text = renderedText(out2);
    expect(text).toContain(`fetch ${url('/ROOT.war')} ${sha(UPSTREAM['/ROOT.war']!)} `);
    expect(text).toContain(`fetch ${url('/jdbc.jar')} ${sha(UPSTREAM['/jdbc.jar']!)} `);
    // No download of the stack is left unpinned (the PGDG key's script is checked against its fingerprint instead).
    expect(text).not.toMatch(/fetch https:\S+ unpinned /);
    // user-data resolves through the same check.
    const ud = await run(dir, ['user-data', 'lab.yaml', '--mode', 'full', '--secrets', writeSecrets(dir)]);
    expect(ud.exitCode).toBe(0);
    expect(ud.stdout).toContain(sha(UPSTREAM['/resin.tar.gz']!));
  });
});

describe('lock: build reads it', () => {
  // Packer is the stand-in of test/fixtures/fake-packer (a qemu build cannot run in a unit test).
  it('the build record carries the locked sha256 of each download', async () => {
    const arts = `artifacts:\n  resin: {url: ${url('/resin.tar.gz')}, sha256: unpinned}\n  jdbc: {url: ${url('/jdbc.jar')}, sha256: unpinned}\n  war: {url: ${url('/ROOT.war')}, sha256: unpinned}\n  keystore: {url: ${url('/star.jks')}, sha256: unpinned}\n`;
    const dir = tempTree({ 'q.yaml': QEMU_PROFILE + arts });
    const locked = await run(dir, ['lock', 'q.yaml']);
    expect(locked.stderr).toContain('wrote cocca-bake.lock.json (4 artifacts)');
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: pki.caPem, COCCA_PACKER: path.join(REPO, 'test/fixtures/fake-packer/packer') };
    const b = await execa(process.execPath, [CLI, 'build', 'q.yaml', '--build-dir', 'builds', '--target', 'qemu'], { cwd: dir, env, reject: false });
    expect(b.stderr).not.toContain('not pinned');
    expect(b.exitCode).toBe(0);
    const [stamp] = readdirSync(path.join(dir, 'builds/q'));
    const record = JSON.parse(readFileSync(path.join(dir, 'builds/q', stamp!, 'build-record.json'), 'utf8')) as { artifacts: Record<string, { url: string; sha256: string }> };
    expect(record.artifacts).toEqual({
      resin: { url: url('/resin.tar.gz'), sha256: sha(UPSTREAM['/resin.tar.gz']!) },
      jdbc: { url: url('/jdbc.jar'), sha256: sha(UPSTREAM['/jdbc.jar']!) },
      war: { url: url('/ROOT.war'), sha256: sha(UPSTREAM['/ROOT.war']!) },
      keystore: { url: url('/star.jks'), sha256: sha(UPSTREAM['/star.jks']!) },
    });
  });
});

describe('lock: the example profiles', () => {
  // Their real URLs (CoCCA, Caucho, jdbc.postgresql.org) are out of reach here, so the lock is
  // written by hand: this row proves the catalog's and CoCCA's defaults take it, as the
  // server-backed rows above prove `lock` writes it.
  it("every unpinned catalog and CoCCA download takes the lock's sha256; nothing else changes", () => {
    const files: Record<string, string> = {};
    for (const f of ['af-south-1.yaml', 'ap-southeast-2.yaml', 'eu-west-1.yaml', 'whois-dr.yaml', 'base/cocca.yaml', 'profile.schema.json']) {
      files[`profiles/${f}`] = readFileSync(path.join(REPO, 'profiles', f), 'utf8');
    }
    const urls = [catalog.jdk['8u351'].url, catalog.resin['4.0.66'].url, catalog.jdbc['42.5.0'].url, coccaDownloads.war.registry.url, coccaDownloads.war['whois-dr'].url, coccaDownloads.keystore.url];
    const hash = (u: string) => sha(Buffer.from(u));
    const dir = tempTree(files);
    const profiles = ['af-south-1', 'ap-southeast-2', 'eu-west-1', 'whois-dr'].map((n) => path.join(dir, 'profiles', `${n}.yaml`));
    const unlocked = profiles.map((f) => checkProfile(f));
    expect(unlocked.map((r) => r.findings.filter((f) => /not pinned/.test(f.message)).length)).toEqual([5, 4, 5, 5]); // ap-southeast-2's Temurin JDK is pinned by the catalog
    expect(unlocked[3]!.lockable!.map((a) => a.url)).toEqual([urls[0], urls[1], urls[2], urls[4], urls[5]]);
    const lock: LockFile = { schema: 'cocca-bake/lock/v1', artifacts: Object.fromEntries(urls.map((u) => [u, { sha256: hash(u), size: 1, firstSeen: '2026-01-01T00:00:00.000Z' }])) };
    writeFileSync(path.join(dir, 'profiles', LOCK_FILE), serializeLock(lock));
    const locked = profiles.map((f) => checkProfile(f));
    // Only whois-dr's port 43 (CoCCA's own resin.xml serves it) is left.
    expect(locked.map((r) => r.findings.map((f) => f.path))).toEqual([[], [], [], ['firewall.publicPorts[2]']]);
    const registry = locked[0]!.profile!.downloads;
    expect(registry.war).toEqual({ url: urls[3], sha256: hash(urls[3]!) });
    expect(registry.resin).toEqual({ url: urls[1], sha256: hash(urls[1]!) });
    expect(registry.openssl).toEqual(catalog.openssl['1.1.1s']); // pinned by the catalog: the lock has no say
    expect(locked[3]!.profile!.downloads.war).toEqual({ url: urls[4], sha256: hash(urls[4]!) });
    // What lock would download is the same with or without a lock.
    expect(locked.map((r) => r.lockable)).toEqual(unlocked.map((r) => r.lockable));
  });
});

describe('lock: what is refused', () => {
  it('a server whose certificate is not trusted (no NODE_EXTRA_CA_CERTS): one clear line, nothing written', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    const r = await run(dir, ['lock', 'lab.yaml'], false);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^cocca-bake: ${escape(url('/ROOT.war'))}: the server's certificate is not trusted \\([A-Z_]+\\); an internal CA goes in NODE_EXTRA_CA_CERTS \\(no lock file written\\)$`));
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it.each([
    ['no profile', ['lock'], "error: missing required argument 'file'"],
    ['--check with --update', ['lock', '--check', '--update', 'https://h/x', 'lab.yaml'], 'cocca-bake: --check writes nothing, so --update does not go with it'],
  ])('usage errors exit 2: %s', async (_name, args, message) => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    const r = await run(dir, args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('an http:// URL is refused before anything is downloaded', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile({ war: `{url: ${url('/ROOT.war').replace('https:', 'http:')}, sha256: unpinned}` }) });
    const hits = server.hits.length;
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/lab\.yaml:13:\d+: error: artifacts\.war\.url: /);
    expect(r.stderr).toContain('cocca-bake: lab.yaml: not a valid profile, nothing locked');
    expect(server.hits.length).toBe(hits);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expectNoCrash(r.stderr);
  });

  it('a redirect to http is refused, and an existing lock is left as it was', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile() });
    expect((await run(dir, ['lock', 'lab.yaml'])).exitCode).toBe(0);
    const locked = readLockText(dir);
    writeFileSync(path.join(dir, 'lab.yaml'), labProfile({ war: `{url: ${url('/moved.war')}, sha256: unpinned}` }));
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cocca-bake: ${url('/moved.war')}: redirected to ${url('/ROOT.war').replace('https:', 'http:')}, which is not https (no lock file written)`);
    expect(readLockText(dir)).toBe(locked);
    expect(readdirSync(dir).sort()).toEqual(['.git', LOCK_FILE, 'lab.yaml']);
  });

  it('a 404 names the URL', async () => {
    const dir = tempTree({ 'lab.yaml': labProfile({ jdbc: `{url: ${url('/missing.jar')}, sha256: unpinned}` }) });
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cocca-bake: ${url('/missing.jar')}: HTTP 404 Not Found (no lock file written)`);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it.each([
    ['not JSON', '{\n  "schema": "cocca-bake/lock/v1",\n  "artifacts": {,\n}\n', /^cocca-bake\.lock\.json:3:17: error: not valid JSON \(.+\)$/m],
    ['another schema', '{"schema": "cocca-bake/lock/v9", "artifacts": {}}\n', /^cocca-bake\.lock\.json:1:2: error: schema: expected "cocca-bake\/lock\/v1", found "cocca-bake\/lock\/v9"$/m],
    [
      'a bad sha256',
      '{\n  "schema": "cocca-bake/lock/v1",\n  "artifacts": {\n    "https://h/x.war": {"sha256": "xyz", "size": 1, "firstSeen": "2026-01-01T00:00:00Z"}\n  }\n}\n',
      /^cocca-bake\.lock\.json:4:5: error: artifacts\["https:\/\/h\/x\.war"\]\.sha256: expected 64 lower-case hex characters$/m,
    ],
    ['a negative size', '{"schema": "cocca-bake/lock/v1", "artifacts": {"https://h/x": {"sha256": "' + 'a'.repeat(64) + '", "size": -1, "firstSeen": "2026-01-01T00:00:00Z"}}}', /error: artifacts\["https:\/\/h\/x"\]\.size: expected a whole number of bytes$/m],
  ])('a malformed lock file (%s) names the file and where: validate and lock exit 1, nothing written', async (_name, text, line) => {
    const dir = tempTree({ 'lab.yaml': labProfile(), [LOCK_FILE]: text });
    const v = await run(dir, ['validate', 'lab.yaml']);
    expect(v.exitCode).toBe(1);
    expect(v.stderr).toMatch(line);
    expectNoCrash(v.stderr);
    const r = await run(dir, ['lock', 'lab.yaml']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(line);
    expect(readLockText(dir)).toBe(text);
  });
});

function renderedText(out: string): string {
  const all: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else all.push(readFileSync(p, 'utf8'));
    }
  };
  walk(out);
  return all.join('\n');
}

function writeSecrets(dir: string): string {
  const file = path.join(dir, 'secrets.env');
  writeFileSync(file, 'COCCA_SOURCE_KEYSTORE_PASSWORD=not-a-real-one\n');
  return file;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
