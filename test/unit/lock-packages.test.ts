// `cocca-bake lock PROFILE --packages-from RECORD` and `--frozen`: a real build record (made by
// `buildProfile` with the Packer stand-in, test/fixtures/fake-packer; its package list THIS host's
// real one) goes into the lock's `packages` entry, which `render --frozen` turns into the pins
// the bake installs from. The apt side (the pin wins, a gone version fails) is
// test/real/frozen-apt.test.ts.
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProfile } from '../../generator/commands/build/index.js';
import { findPacker } from '../../generator/commands/build/packer-cli.js';
import type { BuildRecord } from '../../generator/commands/build/record.js';
import { checkProfile } from '../../generator/check/index.js';
import { hostPackageList } from '../helpers/host-packages.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';

const CLI = path.resolve('dist/generator/cli.js');
const FAKE = path.resolve('test/fixtures/fake-packer/packer');
let work: string;
let profile: string;
let record: string;
let built: BuildRecord;
let host: string;

const cli = (...args: string[]) => execa('node', [CLI, ...args], { reject: false, cwd: work });
const lockFile = () => path.join(work, 'cocca-bake.lock.json');

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-lock-pkg-'));
  // A profile repository of its own: --root is the profile's folder.
  await fs.mkdir(path.join(work, '.git'));
  profile = path.join(work, 'q.yaml');
  await fs.writeFile(profile, QEMU_PROFILE);
  host = await hostPackageList();
  await fs.writeFile(path.join(work, 'list.tsv'), host);
  process.env.FAKE_PACKER_PACKAGES = path.join(work, 'list.tsv');
  const r = checkProfile(profile);
  built = await buildProfile(r.profile!, r.os!, { buildRoot: path.join(work, 'builds'), packer: await findPacker(FAKE), onProgress: () => {} });
  delete process.env.FAKE_PACKER_PACKAGES;
  record = path.join(path.dirname(built.log), 'build-record.json');
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('lock --packages-from', () => {
  it("writes the build's versions as the profile's packages entry, sorted, keeping the artifacts the lock already holds", async () => {
    // What the artifact lock (generator/lock/file.ts) would have written first.
    const artifacts = { 'https://example.org/ROOT.war': { firstSeen: '2026-11-29T10:00:00.000Z', sha256: 'a'.repeat(64), size: 12 } };
    await fs.writeFile(lockFile(), `${JSON.stringify({ schema: 'cocca-bake/lock/v1', artifacts }, null, 2)}\n`);
    const r = await cli('lock', profile, '--packages-from', record);
    expect(r.exitCode, r.stderr).toBe(0);
    const n = host.trimEnd().split('\n').length;
    expect(r.stderr.split('\n').at(-1)).toBe(`wrote the ${n} package versions of q (debian-12) to ${lockFile()}`);
    const text = await fs.readFile(lockFile(), 'utf8');
    const lock = JSON.parse(text);
    expect(Object.keys(lock)).toEqual(['artifacts', 'packages', 'schema']);
    expect(lock.artifacts).toEqual(artifacts);
    const entry = lock.packages.q;
    expect(Object.keys(entry)).toEqual(['os', 'recordedAt', 'recordedFrom', 'versions']);
    expect(entry.os).toBe('debian-12');
    expect(entry.recordedFrom).toBe(built.digest);
    const [name, version, arch] = host.split('\n').find((l) => l.startsWith('dpkg\t'))!.split('\t');
    expect(entry.versions[`${name}:${arch}`]).toBe(version);
    expect(Object.keys(entry.versions)).toHaveLength(n);
    expect(Object.keys(entry.versions)).toEqual([...Object.keys(entry.versions)].sort());
    expect(text).toBe(`${JSON.stringify(lock, null, 2)}\n`);
  });

  it('render --frozen: the pins in the image before the first apt-get update, one name\\tversion line a package', async () => {
    const out = path.join(work, 'out');
    const r = await cli('render', profile, '--out', out, '--frozen', '--packer-version', '1.6.6');
    expect(r.exitCode, r.stderr).toBe(0);
    const rootfs = path.join(out, 'packer/files/rootfs/usr/local/lib/cocca');
    const list = await fs.readFile(path.join(rootfs, 'frozen-packages.tsv'), 'utf8');
    const [, version] = host.split('\n').find((l) => l.startsWith('dpkg\t'))!.split('\t');
    expect(list.split('\n')).toContain(`dpkg\t${version}`);
    const base = await fs.readFile(path.join(rootfs, 'steps/bake/01-base.packages.sh'), 'utf8');
    expect(base.indexOf('/usr/local/lib/cocca/cocca-apt-frozen pin')).toBeGreaterThan(0);
    expect(base.indexOf('/usr/local/lib/cocca/cocca-apt-frozen pin')).toBeLessThan(base.indexOf('apt_get update'));
    // Without --frozen, no pins.
    const plain = path.join(work, 'plain');
    expect((await cli('render', profile, '--out', plain, '--packer-version', '1.6.6')).exitCode).toBe(0);
    await expect(fs.stat(path.join(plain, 'packer/files/rootfs/usr/local/lib/cocca/frozen-packages.tsv'))).rejects.toThrow(/ENOENT/);
  });

  it('a lock with packages of another OS, of no such profile, or no lock at all: --frozen is a one-line error, nothing written', async () => {
    const saved = await fs.readFile(lockFile(), 'utf8');
    const hint = `record them from a good build: cocca-bake lock ${profile} --packages-from builds/q/STAMP-TARGET/build-record.json`;
    try {
      const other = JSON.parse(saved);
      other.packages.q.os = 'ubuntu-22.04';
      await fs.writeFile(lockFile(), JSON.stringify(other));
      let r = await cli('render', profile, '--out', path.join(work, 'o1'), '--frozen');
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`cocca-bake: --frozen: ${lockFile()}: the packages of q were recorded on ubuntu-22.04, and the profile is debian-12; ${hint}`);
      await expect(fs.stat(path.join(work, 'o1'))).rejects.toThrow(/ENOENT/);

      delete other.packages.q;
      await fs.writeFile(lockFile(), JSON.stringify(other));
      r = await cli('build', profile, '--frozen', '--build-dir', path.join(work, 'b1'));
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`cocca-bake: --frozen: ${lockFile()} has no packages for profile q; ${hint}`);
      await expect(fs.stat(path.join(work, 'b1'))).rejects.toThrow(/ENOENT/);

      await fs.rm(lockFile());
      r = await cli('render', profile, '--out', path.join(work, 'o2'), '--frozen');
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`cocca-bake: --frozen: no ${lockFile()}; ${hint}`);
    } finally {
      await fs.writeFile(lockFile(), saved);
    }
  });

  it('a record that cannot give packages: one line naming it, the lock unchanged', async () => {
    const before = await fs.readFile(lockFile(), 'utf8');
    const copy = path.join(work, 'copy');
    await fs.cp(path.dirname(record), copy, { recursive: true });
    const rec = path.join(copy, 'build-record.json');
    await fs.appendFile(path.join(copy, 'image-packages.tsv'), 'evil\t1.0\tamd64\tevil\t1.0\n');
    let r = await cli('lock', profile, '--packages-from', rec);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cocca-bake: ${path.join(copy, 'image-packages.tsv')} is not the package list the build wrote (its SHA-256 differs from the record's)`);

    const other = JSON.parse(await fs.readFile(rec, 'utf8'));
    await fs.writeFile(rec, JSON.stringify({ ...other, profile: 'ke' }));
    r = await cli('lock', profile, '--packages-from', rec);
    expect(r.stderr).toContain(`cocca-bake: ${rec} is a build of profile ke, not q`);

    await fs.writeFile(rec, JSON.stringify({ ...other, result: 'failed' }));
    r = await cli('lock', profile, '--packages-from', rec);
    expect(r.stderr).toContain(`cocca-bake: ${rec}: that build did not succeed (failed); freeze a good build's packages`);

    await fs.writeFile(rec, JSON.stringify({ ...other, sbom: { missing: "the image's package list did not come back from the build" } }));
    r = await cli('lock', profile, '--packages-from', rec);
    expect(r.stderr).toContain(`cocca-bake: ${rec}: the build has no package list: the image's package list did not come back from the build`);

    r = await cli('lock', profile, '--packages-from', path.join(work, 'nope.json'));
    expect(r.stderr).toContain(`cocca-bake: ${path.join(work, 'nope.json')}: no such file`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await fs.readFile(lockFile(), 'utf8')).toBe(before);
  });

  it('build --frozen with --resume is a usage error', async () => {
    const r = await cli('build', '--resume', record, '--frozen');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('cocca-bake: --frozen is for a new bake; --resume bakes nothing');
  });
});
