// `cocca-bake images --package NAME[=VERSION]`: the images whose SBOM lists a package, read
// from real SBOMs: two qemu builds made by `buildProfile` with the Packer stand-in
// (test/fixtures/fake-packer), their package lists THIS host's real one, the second with
// another dpkg version, as a later image would have.
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
let builds: string;
let dpkgVersion: string;
const records: BuildRecord[] = [];

const cli = (...args: string[]) => execa('node', [CLI, ...args], { reject: false, cwd: work });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-images-pkg-'));
  builds = path.join(work, 'builds');
  const host = await hostPackageList();
  dpkgVersion = host.split('\n').find((l) => l.startsWith('dpkg\t'))!.split('\t')[1]!;
  const later = host.replace(/^dpkg\t[^\t]+\t/m, 'dpkg\t9.9.9\t');
  const file = path.join(work, 'q.yaml');
  await fs.writeFile(file, QEMU_PROFILE);
  const r = checkProfile(file);
  let n = 0;
  for (const list of [host, later]) {
    await fs.writeFile(path.join(work, 'list.tsv'), list);
    process.env.FAKE_PACKER_PACKAGES = path.join(work, 'list.tsv');
    // Each build its own folder (a later stamp), as two builds of one profile have.
    const at = new Date(Date.UTC(2026, 10, 30, 6, n++));
    records.push(await buildProfile(r.profile!, r.os!, { buildRoot: builds, packer: await findPacker(FAKE), onProgress: () => {}, now: () => at }));
  }
  delete process.env.FAKE_PACKER_PACKAGES;
  for (const rec of records) expect(rec.sbom && 'file' in rec.sbom, JSON.stringify(rec.sbom)).toBe(true);
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('images --package', () => {
  it('NAME: every image holding it, with its version', async () => {
    const r = await cli('images', '--package', 'dpkg', '--records', builds);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${records[0]!.outputs.qemu!.path}\\s+q\\s+dpkg=${dpkgVersion.replace(/[.+]/g, '\\$&')} \\(amd64\\)\\s+2026-11-30T06:00:00\\.000Z$`));
    expect(lines[1]).toMatch(/\s+q\s+dpkg=9\.9\.9 \(amd64\)\s+2026-11-30T06:01:00\.000Z$/);
  });

  it('NAME=VERSION: only the images at that version; --json for machines', async () => {
    const r = await cli('images', '--package', 'dpkg=9.9.9', '--records', builds, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const hits = JSON.parse(r.stdout);
    expect(hits).toEqual([
      expect.objectContaining({ image: records[1]!.outputs.qemu!.path, profile: 'q', target: 'qemu', package: 'dpkg', version: '9.9.9', arch: 'amd64', record: path.join(path.dirname(records[1]!.log), 'build-record.json') }),
    ]);
  });

  it('a version no image holds: none, said so', async () => {
    const r = await cli('images', '--package', 'dpkg=0.1', '--records', builds);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('no image holds dpkg=0.1 (2 build records read)');
  });

  it('a downloaded file of the same name (the OpenSSL tarball) is not an apt package', async () => {
    const r = await cli('images', '--package', 'resin', '--records', builds, '--json');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('an SBOM changed after the build is not believed: a warning naming it, and its image left out', async () => {
    const copy = path.join(work, 'tampered');
    await fs.cp(builds, copy, { recursive: true });
    const sbom = path.join(copy, path.relative(builds, path.dirname(records[1]!.log)), 'sbom.cdx.json');
    await fs.writeFile(sbom, (await fs.readFile(sbom, 'utf8')).replace('"9.9.9"', '"9.9.8"'));
    const r = await cli('images', '--package', 'dpkg', '--records', copy);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`warning: ${path.join(path.dirname(sbom), 'build-record.json')}: ${sbom} is not the SBOM the build wrote (its SHA-256 differs from the record's)`);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--package', 'Bad_Name'], 2, 'cocca-bake: --package "Bad_Name": not a Debian package name (lower case letters, digits, + - .)'],
    [['--package', 'dpkg=', '--records', 'builds'], 2, 'cocca-bake: --package "dpkg=": not a package version after "="'],
    [['--package', 'dpkg', '--records', 'nowhere'], 1, 'cocca-bake: --records nowhere: no such directory (where build --build-dir put the build records)'],
    [['--package', 'dpkg', '--prune'], 2, 'cocca-bake: --package lists; it does not go with --prune'],
    [[], 2, 'cocca-bake: images needs a profile file (or --package NAME[=VERSION])'],
  ])('images %j: exit %i, one line (execa drops the last newline)', async (args, code, stderr) => {
    const r = await cli('images', ...args);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toBe(stderr);
  });
});
