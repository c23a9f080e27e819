// cocca-bake bundle, from a local flat repository of dummy .debs (dpkg-deb) and local
// downloads: the bundle's repository is checked by the real apt (a private configuration,
// signed-by the key the bundle exported), and a tampered or unsigned one is refused by it.
// The refusals are the CLI's: one line, exit 1 (2 for a bad --at), nothing left behind.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateApt } from '../../generator/apt/private.js';
import { checkProfile } from '../../generator/check/index.js';
import { plan } from '../../generator/components/index.js';
import { planInstalls } from '../../generator/commands/bundle/packages.js';
import { BundleError, makeBundle } from '../../generator/commands/bundle/index.js';
import { bundleSource } from '../../generator/commands/bundle/overlay.js';
import { PGDG_FINGERPRINT } from '../../generator/components/postgres/index.js';
import { OS_MODULES } from '../../generator/os/index.js';
import { LOCK_FILE, LOCK_SCHEMA, serializeLock } from '../../generator/lock/file.js';
import { runCli } from '../helpers/outputs.js';
import { makePki, removePki, startFileServer, type FileServer, type Pki } from '../helpers/tls-server.js';
import { tempTree } from './profile-helpers.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let dir: string;
let inRepo: string;
const files: Record<string, { url: string; sha256: string }> = {};

async function dummyDeb(out: string, name: string, depends?: string, version = '1.0-1'): Promise<void> {
  const root = path.join(out, `.build-${name}`);
  await fs.mkdir(path.join(root, 'DEBIAN'), { recursive: true });
  await fs.mkdir(path.join(root, 'usr/share/doc', name), { recursive: true });
  await fs.writeFile(path.join(root, 'usr/share/doc', name, 'README'), `dummy ${name}\n`);
  const control = [`Package: ${name}`, `Version: ${version}`, 'Architecture: all', 'Maintainer: cocca-bake tests <t@example.invalid>', ...(depends ? [`Depends: ${depends}`] : []), `Description: dummy ${name} for the bundle test`, ''];
  await fs.writeFile(path.join(root, 'DEBIAN/control'), control.join('\n'));
  await execa('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, path.join(out, `${name}_${version}_all.deb`)]);
  await fs.rm(root, { recursive: true });
}

const profileYaml = (extra = '', sources = `deb [trusted=yes] file:${'IN'} ./`) => `apiVersion: cocca-bake/v1
name: bundled
role: registry
os: debian-12
host: {fqdn: registry.nic.example}
firewall: {trusted: [198.51.100.0/24]}
secrets: {source: user-data}
apt:
  sources: ["${sources}"]
postgres: {version: 15, source: apt}
java: {source: apt, package: openjdk-17-jdk-headless}
openssl: {enabled: false}
artifacts:
${Object.entries(files).map(([k, v]) => `  ${k}: {url: "${v.url}", sha256: ${v.sha256}}`).join('\n')}
${extra}`;

beforeAll(async () => {
  dir = tempTree({});
  // Downloads: small files served as file: URLs.
  const dl = path.join(dir, 'downloads');
  await fs.mkdir(dl);
  for (const [name, file] of [['resin', 'resin-4.0.66.tar.gz'], ['war', 'ROOT.war'], ['keystore', 'site.jks'], ['jdbc', 'postgresql-42.5.0.jar']] as const) {
    const body = `the ${name} download\n`;
    await fs.writeFile(path.join(dl, file), body);
    files[name] = { url: `file://${dl}/${file}`, sha256: sha(body) };
  }
  // The input repository: one dummy .deb per package the plan installs; curl needs one more.
  inRepo = path.join(dir, 'in');
  await fs.mkdir(inRepo);
  await fs.writeFile(path.join(dir, 'probe.yaml'), profileYaml().replace('IN', inRepo));
  const r = checkProfile(path.join(dir, 'probe.yaml'));
  expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  const names = [...new Set(planInstalls(plan(r.profile!, r.os!)).flat())];
  expect(names).toEqual(expect.arrayContaining(['build-essential', 'curl', 'postgresql-15', 'openjdk-17-jdk-headless', 'ufw', 'fail2ban']));
  for (const n of names) await dummyDeb(inRepo, n, n === 'curl' ? 'libdummy-curl (>= 1.0)' : undefined);
  await dummyDeb(inRepo, 'libdummy-curl');
  await dummyDeb(inRepo, 'not-needed');
  const { stdout } = await execa('apt-ftparchive', ['packages', '.'], { cwd: inRepo });
  await fs.writeFile(path.join(inRepo, 'Packages'), stdout);
  await fs.writeFile(path.join(inRepo, 'Release'), (await execa('apt-ftparchive', ['release', '.'], { cwd: inRepo })).stdout);
  await fs.writeFile(path.join(dir, 'p.yaml'), profileYaml().replace('IN', inRepo));
}, 120_000);

/**
 * apt reading the bundle at `bundle` as a build machine would: signed-by its exported key.
 * copy: rather than file:, so apt copies each .deb (checking its hash) where the test sees it.
 */
async function aptOf(bundle: string, name: string) {
  return privateApt(path.join(dir, name), [`deb [signed-by=${bundle}/bundle-key.asc] copy:${bundle}/apt ./`]);
}

describe('cocca-bake bundle', () => {
  let out: string;
  beforeAll(async () => {
    out = path.join(dir, 'bundle');
    const r = await runCli(['bundle', path.join(dir, 'p.yaml'), '--out', out, '--at', 'file:///srv/cocca-bundle']);
    expect(r.stderr).toMatch(/wrote .*: \d+ packages, 4 downloads/);
    expect(r.exitCode).toBe(0);
  }, 120_000);

  it('holds every package the plan installs with its dependencies, and nothing else, signed', async () => {
    const m = JSON.parse(await fs.readFile(path.join(out, 'bundle.json'), 'utf8'));
    const names = m.packages.map((p: { name: string }) => p.name);
    expect(names).toContain('libdummy-curl');
    expect(names).toContain('postgresql-15');
    expect(names).not.toContain('not-needed');
    expect(m.os).toBe('debian-12');
    expect(m.key.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    for (const p of m.packages) expect(sha(await fs.readFile(path.join(out, p.file)))).toBe(p.sha256);
    for (const f of ['apt/Packages', 'apt/Release', 'apt/InRelease', 'apt/Release.gpg', 'bundle-key.asc', 'README.txt']) await fs.access(path.join(out, f));
    // Only the public half left the throwaway GnuPG home; nothing else of gpg's is in the bundle.
    const all = (await fs.readdir(out, { recursive: true })).map(String);
    expect(all.filter((f) => /gpg|\.tmp|\.work/.test(f) && !f.endsWith('Release.gpg'))).toEqual([]);
    expect(await fs.readFile(path.join(out, 'bundle-key.asc'), 'utf8')).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n/);
    expect(m.artifacts.map((a: { file: string; sha256: string }) => [a.file, a.sha256]).sort()).toEqual(
      Object.values(files).map((f) => [`artifacts/${path.basename(f.url)}`, f.sha256]).sort(),
    );
  });

  it('overlays the profile: the bundle its only apt source (signed-by its key, carried in apt.keys), every download from it', async () => {
    const overlay = path.join(out, 'profiles', 'bundled.yaml');
    const text = await fs.readFile(overlay, 'utf8');
    expect(text).not.toMatch(/trusted=yes/);
    const r = checkProfile(overlay);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const p = r.profile!;
    expect(p.apt.sources).toEqual(['deb [signed-by=/etc/apt/keyrings/cocca-bundle.asc] file:///srv/cocca-bundle/apt ./']);
    expect(p.apt.keys!['cocca-bundle']).toBe(await fs.readFile(path.join(out, 'bundle-key.asc'), 'utf8'));
    expect(p.downloads.resin).toEqual({ url: 'file:///srv/cocca-bundle/artifacts/resin-4.0.66.tar.gz', sha256: files.resin!.sha256 });
    expect(p.downloads.war.url).toBe('file:///srv/cocca-bundle/artifacts/ROOT.war');
    expect(p.host.fqdn).toBe('registry.nic.example');
  });

  it('is accepted by the real apt, signed-by the exported key', async () => {
    const apt = await aptOf(out, 'apt-ok');
    const update = await apt.aptGet(['update']);
    expect(update.all).not.toMatch(/unauthenticated|not signed|trusted/i);
    // apt keeps the InRelease it verified (the signed one, not the bare Release).
    expect((await fs.readdir(path.join(apt.dir, 'state/lists'))).filter((f) => f.includes('Release')).sort()).toEqual([`${out.replaceAll('/', '_')}_apt_._InRelease`]);
    await apt.aptGet(['install', '--download-only', 'curl']);
    expect((await fs.readdir(apt.archives)).filter((f) => f.endsWith('.deb')).sort()).toEqual(['curl_1.0-1_all.deb', 'libdummy-curl_1.0-1_all.deb']);
  });

  it('is refused by apt when Packages was changed, or when the signature is gone', async () => {
    const tampered = path.join(dir, 'tampered');
    await execa('cp', ['-a', out, tampered]);
    const pk = path.join(tampered, 'apt', 'Packages');
    await fs.writeFile(pk, (await fs.readFile(pk, 'utf8')).replace('Version: 1.0-1', 'Version: 1.0-2'));
    await expect((await aptOf(tampered, 'apt-tampered')).aptGet(['update'])).rejects.toThrow(/Hash Sum mismatch|unexpected size|Hashes of expected file/);

    const unsigned = path.join(dir, 'unsigned');
    await execa('cp', ['-a', out, unsigned]);
    await fs.rm(path.join(unsigned, 'apt', 'InRelease'));
    await fs.rm(path.join(unsigned, 'apt', 'Release.gpg'));
    await expect((await aptOf(unsigned, 'apt-unsigned')).aptGet(['update'])).rejects.toThrow(/is not signed/);
  });
});

describe('cocca-bake bundle, again', () => {
  it("bundles from a bundle's overlay: its source is trusted through the key apt.keys carries", async () => {
    const first = path.join(dir, 'first');
    expect((await runCli(['bundle', path.join(dir, 'p.yaml'), '--out', first, '--at', `file://${first}`])).exitCode).toBe(0);
    const second = path.join(dir, 'second');
    const r = await runCli(['bundle', path.join(first, 'profiles', 'bundled.yaml'), '--out', second]);
    expect(r.stderr).toMatch(/wrote /);
    expect(r.exitCode).toBe(0);
    const versions = async (b: string) => JSON.parse(await fs.readFile(path.join(b, 'bundle.json'), 'utf8')).packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`);
    expect(await versions(second)).toEqual(await versions(first));
    const m = JSON.parse(await fs.readFile(path.join(second, 'bundle.json'), 'utf8'));
    expect(m.resolvedFrom).toEqual([`deb [signed-by=/etc/apt/keyrings/cocca-bundle.asc] file://${first}/apt ./`]);
    expect(m.key.fingerprint).not.toBe(JSON.parse(await fs.readFile(path.join(first, 'bundle.json'), 'utf8')).key.fingerprint);
  }, 60_000);

  it('--allow-unpinned takes an unpinned download as it is and records its SHA-256 in the overlay', async () => {
    const yaml = profileYaml().replace('IN', inRepo).replace(`sha256: ${files.war!.sha256}`, 'sha256: unpinned');
    await fs.writeFile(path.join(dir, 'loose.yaml'), yaml);
    const out = path.join(dir, 'loose');
    const refused = await runCli(['bundle', path.join(dir, 'loose.yaml'), '--out', out]);
    expect(refused.stderr).toMatch(/not pinned to a SHA-256, so a bundle cannot vouch for them: bundled: artifacts\.war file:/);
    expect(refused.exitCode).toBe(1);
    const r = await runCli(['bundle', path.join(dir, 'loose.yaml'), '--out', out, '--allow-unpinned']);
    expect(r.exitCode, r.stderr).toBe(0);
    const war = JSON.parse(await fs.readFile(path.join(out, 'bundle.json'), 'utf8')).artifacts.find((a: { file: string }) => a.file === 'artifacts/ROOT.war');
    expect(war).toMatchObject({ sha256: files.war!.sha256, sha256From: 'computed' });
    expect(checkProfile(path.join(out, 'profiles', 'bundled.yaml')).profile!.downloads.war.sha256).toBe(files.war!.sha256);
  }, 60_000);

  it("holds an unpinned download to the lock's SHA-256 beside the profile (no --allow-unpinned), and refuses it when the file differs", async () => {
    const locked = path.join(dir, 'locked');
    await fs.mkdir(locked);
    await fs.writeFile(path.join(locked, 'loose.yaml'), profileYaml().replace('IN', inRepo).replace(`sha256: ${files.war!.sha256}`, 'sha256: unpinned'));
    const lockWith = (sha256: string) => fs.writeFile(path.join(locked, LOCK_FILE), serializeLock({ schema: LOCK_SCHEMA, artifacts: { [files.war!.url]: { sha256, size: 15, firstSeen: '2026-11-30T00:00:00.000Z' } } }));
    await lockWith(files.war!.sha256);
    const out = path.join(locked, 'b');
    const r = await runCli(['bundle', path.join(locked, 'loose.yaml'), '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const war = JSON.parse(await fs.readFile(path.join(out, 'bundle.json'), 'utf8')).artifacts.find((a: { file: string }) => a.file === 'artifacts/ROOT.war');
    expect(war).toMatchObject({ sha256: files.war!.sha256, sha256From: 'pinned' });
    await lockWith(sha('another war\n'));
    const bad = await runCli(['bundle', path.join(locked, 'loose.yaml'), '--out', path.join(locked, 'b2')]);
    expect(bad.stderr).toMatch(/ROOT\.war has SHA-256 [0-9a-f]{64}, but bundled's artifacts\.war is pinned to/);
    expect(bad.exitCode).toBe(1);
  }, 60_000);
});

describe('cocca-bake bundle refuses', () => {
  const refused = async (args: string[], code: number, why: RegExp) => {
    const r = await runCli(['bundle', ...args]);
    expect(r.stderr).toMatch(why);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('cocca-bake:'))).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.exitCode).toBe(code);
  };

  it('a directory that is not empty', async () => {
    const out = path.join(dir, 'full');
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'x'), 'x');
    await refused([path.join(dir, 'p.yaml'), '--out', out], 1, /--out .*full is not empty/);
  });

  it('a --at that is not a file:// or http(s):// base (usage)', async () => {
    await refused([path.join(dir, 'p.yaml'), '--out', path.join(dir, 'n1'), '--at', 'ftp://x/y'], 2, /--at ftp:\/\/x\/y: a file:\/\/\/path or an http\(s\):\/\/ base/);
  });

  it('profiles for two OSes', async () => {
    await fs.writeFile(path.join(dir, 'd13.yaml'), profileYaml().replace('IN', inRepo).replace('name: bundled', 'name: other').replace('os: debian-12', 'os: debian-13').replace('version: 15', 'version: 17').replace('openjdk-17', 'openjdk-21'));
    await refused([path.join(dir, 'p.yaml'), path.join(dir, 'd13.yaml'), '--out', path.join(dir, 'n2')], 1, /one bundle is for one OS, and these profiles are for debian-12 and debian-13/);
  });

  it('an unpinned download, naming it', async () => {
    await fs.writeFile(path.join(dir, 'unpinned.yaml'), profileYaml().replace('IN', inRepo).replace(/^  war: .*\n/m, ''));
    await refused([path.join(dir, 'unpinned.yaml'), '--out', path.join(dir, 'n3')], 1, /not pinned to a SHA-256.*bundled: artifacts\.war https:\/\/.*--allow-unpinned/);
  });

  it('a signed-by keyring missing on this machine', async () => {
    await fs.writeFile(path.join(dir, 'nokey.yaml'), profileYaml('', `deb [signed-by=/nonexistent/site.gpg] file:${inRepo} ./`));
    await refused([path.join(dir, 'nokey.yaml'), '--out', path.join(dir, 'n4')], 1, /signed-by \/nonexistent\/site\.gpg, which is not on this machine/);
  });

  it('a package its sources do not have, with apt\'s word for it, leaving nothing behind', async () => {
    const empty = path.join(dir, 'empty-repo');
    await fs.mkdir(empty);
    await fs.writeFile(path.join(empty, 'Packages'), '');
    await fs.writeFile(path.join(empty, 'Release'), (await execa('apt-ftparchive', ['release', '.'], { cwd: empty })).stdout);
    await fs.writeFile(path.join(dir, 'empty.yaml'), profileYaml('', `deb [trusted=yes] file:${empty} ./`));
    const r = await runCli(['bundle', path.join(dir, 'empty.yaml'), '--out', path.join(dir, 'n6')]);
    expect(r.stderr).toMatch(/^cocca-bake: apt could not make the bundle: apt-get -q install --download-only --no-install-recommends build-essential .* exited 100:/m);
    expect(r.stderr).toMatch(/Unable to locate package build-essential/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.exitCode).toBe(1);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('n6'))).toEqual([]);
  });

  it('a download whose SHA-256 is not the pinned one, leaving nothing behind', async () => {
    const changed = path.join(dir, 'downloads-changed');
    await execa('cp', ['-a', path.join(dir, 'downloads'), changed]);
    await fs.writeFile(path.join(changed, 'ROOT.war'), 'another war\n');
    await fs.writeFile(path.join(dir, 'changed.yaml'), profileYaml().replace('IN', inRepo).replaceAll(`${dir}/downloads/`, `${changed}/`));
    const out = path.join(dir, 'n5');
    await refused([path.join(dir, 'changed.yaml'), '--out', out], 1, /ROOT\.war has SHA-256 [0-9a-f]{64}, but bundled's artifacts\.war is pinned to/);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('n5'))).toEqual([]);
  });
});

/** A throwaway signing key in a GnuPG home of its own (short path: gpg-agent's socket lives there). */
async function throwawayKey(label: string) {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-gpg-t-'));
  await fs.chmod(home, 0o700);
  const gpg = (args: string[], cwd?: string) => execa('gpg', ['--batch', '--no-tty', '--quiet', ...args], { env: { GNUPGHOME: home }, cwd });
  await gpg(['--passphrase', '', '--quick-gen-key', label, 'ed25519', 'sign', 'never']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec((await gpg(['--with-colons', '--list-secret-keys'])).stdout)![1]!;
  const publicKey = `${(await gpg(['--armor', '--export', fingerprint])).stdout}\n`;
  const clearsign = (file: string, out: string) => gpg(['--local-user', fingerprint, '--clearsign', '--output', out, file]);
  const done = async () => {
    await execa('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: home }, reject: false });
    await fs.rm(home, { recursive: true, force: true });
  };
  return { fingerprint, publicKey, clearsign, done };
}

// PGDG stand-in: apt.postgresql.org is not reachable here. Its key is served over HTTPS by a
// local server with a throwaway CA (trusted by this process's global agent, as
// NODE_EXTRA_CA_CERTS does for the CLI); its repository is a local directory laid out as PGDG's
// (dists/bookworm-pgdg/main), signed with that key, read by apt as copy: (apt's own https would
// need the throwaway CA, which nothing in the product configures). PGDG holds a newer
// postgresql-15 than the profile's own source, depending on a package only PGDG has.
describe('cocca-bake bundle, postgres.source pgdg', () => {
  const PG_VERSION = '15.10-1.pgdg120+1';
  const COMMON_VERSION = '262.pgdg120+1';
  let pki: Pki;
  let server: FileServer;
  let pgdgKey: Awaited<ReturnType<typeof throwawayKey>>;
  let otherKey: Awaited<ReturnType<typeof throwawayKey>>;
  let pgdgRepo: string;
  let out: string;
  const savedCa = https.globalAgent.options.ca;
  const origin = (over: Partial<{ repository: string; keyUrl: string; fingerprint: string }> = {}) => ({
    repository: `file://${pgdgRepo}`,
    keyUrl: `${server.origin}/media/keys/pgdg.asc`,
    fingerprint: pgdgKey.fingerprint,
    ...over,
  });
  const bundleOf = async (name: string, pgdg: ReturnType<typeof origin>) => {
    const file = path.join(dir, 'pg.yaml');
    const r = checkProfile(file);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    return makeBundle([{ file, profile: r.profile!, os: r.os! }], { out: path.join(dir, name), at: 'file:///srv/cocca-bundle', allowUnpinned: false, pgdg });
  };

  /** A PGDG-shaped repository at `root`, its InRelease signed by `key`. */
  async function pgdgRepository(root: string, key: typeof pgdgKey) {
    const pool = path.join(root, 'pool', 'main');
    await fs.mkdir(pool, { recursive: true });
    await dummyDeb(pool, 'postgresql-15', 'postgresql-common (>= 262)', PG_VERSION);
    await dummyDeb(pool, 'postgresql-common', undefined, COMMON_VERSION);
    const dists = path.join(root, 'dists', 'bookworm-pgdg');
    await fs.mkdir(path.join(dists, 'main', 'binary-amd64'), { recursive: true });
    await fs.writeFile(path.join(dists, 'main', 'binary-amd64', 'Packages'), `${(await execa('apt-ftparchive', ['packages', 'pool'], { cwd: root })).stdout}\n`);
    const set = (k: string, v: string) => ['-o', `APT::FTPArchive::Release::${k}=${v}`];
    const release = await execa('apt-ftparchive', [...set('Origin', 'apt.postgresql.org'), ...set('Suite', 'bookworm-pgdg'), ...set('Codename', 'bookworm-pgdg'), ...set('Components', 'main'), ...set('Architectures', 'amd64'), 'release', 'dists/bookworm-pgdg'], { cwd: root });
    await fs.writeFile(path.join(dists, 'Release'), `${release.stdout}\n`);
    await key.clearsign(path.join(dists, 'Release'), path.join(dists, 'InRelease'));
  }

  beforeAll(async () => {
    pki = makePki();
    server = await startFileServer(pki);
    https.globalAgent.options.ca = [...rootCertificates, await fs.readFile(pki.caPem, 'utf8')];
    pgdgKey = await throwawayKey('PGDG stand-in <pgdg@example.invalid>');
    otherKey = await throwawayKey('not PGDG <other@example.invalid>');
    server.files.set('/media/keys/pgdg.asc', Buffer.from(pgdgKey.publicKey));
    pgdgRepo = path.join(dir, 'pgdg');
    await pgdgRepository(pgdgRepo, pgdgKey);
    await fs.writeFile(path.join(dir, 'pg.yaml'), profileYaml().replace('IN', inRepo).replace('name: bundled', 'name: pgbundled').replace('source: apt}', 'source: pgdg}'));
    out = (await bundleOf('pg-bundle', origin())).dir;
  }, 120_000);

  afterAll(async () => {
    https.globalAgent.options.ca = savedCa;
    await server?.close();
    if (pki) removePki(pki);
    await pgdgKey?.done();
    await otherKey?.done();
  });

  it("resolves from PGDG too, signed-by its checked key, holds PGDG's packages at PGDG's versions, and says where they came from", async () => {
    expect(server.hits).toContain('/media/keys/pgdg.asc');
    const m = JSON.parse(await fs.readFile(path.join(out, 'bundle.json'), 'utf8'));
    const version = (n: string) => m.packages.find((p: { name: string }) => p.name === n)?.version;
    expect(version('postgresql-15')).toBe(PG_VERSION);
    expect(version('postgresql-common')).toBe(COMMON_VERSION);
    expect(version('postgresql-client-15')).toBe('1.0-1');
    const pgdgLine = `deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] file://${pgdgRepo} bookworm-pgdg main`;
    expect(m.resolvedFrom).toEqual([`deb [trusted=yes] file:${inRepo} ./`, pgdgLine]);
    expect(m.suites).toEqual(['./', 'bookworm-pgdg']);
    expect(m.pgdg).toEqual({ repository: `file://${pgdgRepo}`, suite: 'bookworm-pgdg', keyUrl: `${server.origin}/media/keys/pgdg.asc`, keyFingerprint: pgdgKey.fingerprint });
    for (const p of m.packages) expect(sha(await fs.readFile(path.join(out, p.file)))).toBe(p.sha256);
    // PGDG's key was only a means: the bundle carries its own key alone.
    const all = (await fs.readdir(out, { recursive: true })).map(String);
    expect(all.filter((f) => /pgdg\.asc|\.work/.test(f))).toEqual([]);
  });

  it('overlays postgres.source apt: the bake takes PostgreSQL from the bundle and never adds PGDG', async () => {
    const r = checkProfile(path.join(out, 'profiles', 'pgbundled.yaml'));
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // The profile was warned that PGDG is added beside apt.sources; the overlay is not.
    expect(checkProfile(path.join(dir, 'pg.yaml')).findings.map((f) => f.path)).toContain('postgres.source');
    expect(r.findings.map((f) => f.path)).not.toContain('postgres.source');
    expect(r.profile!.postgres).toMatchObject({ source: 'apt', version: 15 });
    expect(r.profile!.apt.sources).toEqual([bundleSource('file:///srv/cocca-bundle')]);
    const steps = Object.values(plan(r.profile!, r.os!).steps).flat();
    expect(steps.map((s) => `${s.component}.${s.name}`)).not.toContain('postgres.repository');
    expect(steps.map((s) => s.script).join('\n')).not.toMatch(/pgdg|postgresql\.org/);
    // The copy it extends still says pgdg, as the profile was written.
    expect(await fs.readFile(path.join(out, 'profiles', 'source', 'pgbundled.yaml'), 'utf8')).toMatch(/source: pgdg/);
  });

  it("is installed from by the real apt, signed-by the bundle's key: PGDG's postgresql-15 and what it depends on", async () => {
    const apt = await aptOf(out, 'apt-pgdg');
    await apt.aptGet(['update']);
    await apt.aptGet(['install', '--download-only', 'postgresql-15']);
    expect((await fs.readdir(apt.archives)).filter((f) => f.endsWith('.deb')).sort()).toEqual([`postgresql-15_${PG_VERSION}_all.deb`, `postgresql-common_${COMMON_VERSION}_all.deb`]);
  });

  it("refuses a PGDG key whose fingerprint is not PGDG's, naming both, leaving nothing behind", async () => {
    const err = await bundleOf('pg-badkey', origin({ fingerprint: PGDG_FINGERPRINT })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    const message = (err as Error).message;
    expect(message).toBe(`PGDG's key at ${server.origin}/media/keys/pgdg.asc has fingerprint ${pgdgKey.fingerprint}, expected ${PGDG_FINGERPRINT}: not trusting it`);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('pg-badkey'))).toEqual([]);
  });

  it('refuses a PGDG repository signed by another key than the one checked (apt says so), leaving nothing behind', async () => {
    const forged = path.join(dir, 'pgdg-forged');
    await pgdgRepository(forged, otherKey);
    const err = await bundleOf('pg-forged', origin({ repository: `file://${forged}` })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/^apt could not make the bundle: apt-get -q update exited 100:[\s\S]*(NO_PUBKEY|not signed|could not be verified)/);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('pg-forged'))).toEqual([]);
  });

  it("refuses a PGDG key it cannot download, in one line, leaving nothing behind", async () => {
    const err = await bundleOf('pg-nokey', origin({ keyUrl: `${server.origin}/media/keys/gone.asc` })).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`PGDG's key: ${server.origin}/media/keys/gone.asc: HTTP 404 Not Found`);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('pg-nokey'))).toEqual([]);
  });
});

describe('the overlay of a pgdg profile (postgres.source apt, the bundle its only source)', () => {
  it.each(OS_MODULES.flatMap((m) => [15, 16, 17].map((v) => [m.name, v] as const)))('checks on %s with PostgreSQL %d', async (osName, version) => {
    const file = path.join(dir, `overlay-${osName}-${version}.yaml`);
    await fs.writeFile(
      file,
      profileYaml('', bundleSource('file:///srv/cocca-bundle')).replace('os: debian-12', `os: ${osName}`).replace('version: 15, source: apt', `version: ${version}, source: apt`),
    );
    const r = checkProfile(file);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(r.profile!.postgres).toMatchObject({ source: 'apt', version });
    expect(planInstalls(plan(r.profile!, r.os!)).flat()).toEqual(expect.arrayContaining([`postgresql-${version}`, `postgresql-client-${version}`]));
  });
});
