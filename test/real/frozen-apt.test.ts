// --frozen with the real apt: a tiny local flat repository (two versions of a dummy package,
// built with dpkg-deb, indexed with apt-ftparchive) and apt's private configuration (sources,
// lists, caches and preferences under a temp dir; APT_CONFIG). The rendered instance steps run in
// the sandbox (test/real/sandbox.ts: the install lands in its copy-on-write /var and /usr/local).
// The pin makes apt install the recorded old version over the newer one; a pin to a version the
// repository no longer has fails before anything is installed, naming name=version.
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSandboxed } from './sandbox.js';
import { hasTool, isRoot } from './tools.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';

const canRun = isRoot() && (await hasTool('unshare')) && (await hasTool('dpkg-deb')) && (await hasTool('apt-ftparchive'));
const CLI = path.resolve('dist/generator/cli.js');
let work: string;
let repo: string;

/** A package holding one file under /usr/local (the sandbox's copy-on-write tree). */
async function dummyDeb(name: string, version: string): Promise<void> {
  const root = path.join(work, `${name}-${version}`);
  await fs.mkdir(path.join(root, 'DEBIAN'), { recursive: true });
  await fs.mkdir(path.join(root, 'usr/local/share', name), { recursive: true });
  await fs.writeFile(path.join(root, 'usr/local/share', name, 'VERSION'), `${version}\n`);
  await fs.writeFile(path.join(root, 'DEBIAN/control'), `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: cocca-bake tests <tests@example.org>\nDescription: frozen-apt test package\n`);
  await execa('dpkg-deb', ['--root-owner-group', '--build', root, path.join(repo, `${name}_${version}_all.deb`)]);
}

/** Renders the profile with --frozen from a lock holding these versions; returns the instance tree. */
async function frozenTree(versions: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(work, 'p-'));
  await fs.mkdir(path.join(dir, '.git'));
  await fs.writeFile(path.join(dir, 'p.yaml'), QEMU_PROFILE);
  const lock = { schema: 'cocca-bake/lock/v1', artifacts: {}, packages: { q: { os: 'debian-12', recordedFrom: 'f'.repeat(64), recordedAt: '2026-11-30T06:00:00.000Z', versions } } };
  await fs.writeFile(path.join(dir, 'cocca-bake.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  const r = await execa('node', [CLI, 'render', path.join(dir, 'p.yaml'), '--out', path.join(dir, 'out'), '--frozen'], { reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`render --frozen failed:\n${r.all}`);
  return path.join(dir, 'out', 'packer', 'files', 'rootfs');
}

/** apt's private configuration; the dpkg database stays the system's (the sandbox's copy). */
async function aptConfig(): Promise<string> {
  const dir = path.join(work, 'apt');
  for (const d of ['etc/apt.conf.d', 'etc/preferences.d', 'etc/sources.list.d', 'lists/partial', 'cache/archives/partial']) await fs.mkdir(path.join(dir, d), { recursive: true });
  await fs.writeFile(path.join(dir, 'etc/sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
  const conf = path.join(dir, 'apt.conf');
  await fs.writeFile(
    conf,
    [
      `Dir::Etc "${dir}/etc/";`,
      `Dir::Etc::Parts "${dir}/etc/apt.conf.d/";`,
      `Dir::Etc::SourceList "${dir}/etc/sources.list";`,
      `Dir::Etc::SourceParts "${dir}/etc/sources.list.d/";`,
      `Dir::Etc::Preferences "${dir}/etc/preferences";`,
      `Dir::Etc::PreferencesParts "${dir}/etc/preferences.d/";`,
      `Dir::State::Lists "${dir}/lists/";`,
      `Dir::Cache "${dir}/cache/";`,
      `Dir::Cache::Archives "${dir}/cache/archives/";`,
      'Acquire::Languages "none";',
      'APT::Sandbox::User "root";',
      '',
    ].join('\n'),
  );
  return conf;
}

describe.skipIf(!canRun)('--frozen with the real apt (a local flat repository)', () => {
  let conf: string;
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-frozen-apt-'));
    repo = path.join(work, 'repo');
    await fs.mkdir(repo);
    await dummyDeb('cocca-dummy', '1.0-1');
    await dummyDeb('cocca-dummy', '2.0-1');
    const packages = await execa('apt-ftparchive', ['packages', '.'], { cwd: repo });
    await fs.writeFile(path.join(repo, 'Packages'), `${packages.stdout}\n`);
    const release = await execa('apt-ftparchive', ['release', '.'], { cwd: repo });
    await fs.writeFile(path.join(repo, 'Release'), `${release.stdout}\n`);
    conf = await aptConfig();
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  const steps = (conf: string) => `export APT_CONFIG=${conf}
/usr/local/lib/cocca/cocca-apt-frozen pin
apt-get -q update >/dev/null
echo "candidate: $(apt-cache policy cocca-dummy | sed -n 's/^ *Candidate: //p')"
. /usr/local/lib/cocca/lib.sh
COCCA_STEP=test apt_install cocca-dummy
echo "installed: $(dpkg-query -W -f='\${Version}' cocca-dummy) $(cat /usr/local/share/cocca-dummy/VERSION)"
/usr/local/lib/cocca/cocca-apt-frozen unpin
echo "after unpin: $(apt-cache policy cocca-dummy | sed -n 's/^ *Candidate: //p')"
`;

  it('the pin installs the recorded 1.0-1 although the repository has 2.0-1; unpinned, apt takes 2.0-1 again', async () => {
    const rootfs = await frozenTree({ 'cocca-dummy:all': '1.0-1', 'bash:amd64': '5.2.15-2+b7' });
    const r = await runSandboxed(rootfs, steps(conf));
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('candidate: 1.0-1');
    expect(r.output).toContain('installed: 1.0-1 1.0-1');
    expect(r.output).toContain('after unpin: 2.0-1');
    expect(r.output).toMatch(/pinned 2 packages to their recorded versions/);
  });

  it('a recorded version the repository no longer has: the install fails naming name=version, and nothing is installed', async () => {
    const rootfs = await frozenTree({ 'cocca-dummy:all': '0.9-1' });
    const r = await runSandboxed(rootfs, steps(conf).replace('echo "installed', 'echo "not reached'));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('cocca[test]: frozen version gone from the mirror: cocca-dummy=0.9-1 (the mirror has 2.0-1)');
    expect(r.output).toContain('cocca[test]: ERROR: frozen package versions are gone from the mirror: cocca-dummy=0.9-1 (re-lock from a newer build, or build without --frozen)');
    expect(r.output).not.toContain('not reached');
    expect(r.output).not.toMatch(/Unpacking cocca-dummy/);
  });
});
