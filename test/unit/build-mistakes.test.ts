// `cocca-bake build` and an operator's ordinary mistakes, through the built CLI: each is one
// clear line and exit 1, never a stack trace (these were exit 70 with one), and in a
// multi-profile build each profile succeeds or fails on its own, the summary listing both.
// Packer is the stand-in (test/fixtures/fake-packer): no cloud here.
import { execa } from 'execa';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = path.resolve('.');
const CLI = path.join(REPO, 'dist/generator/cli.js');
const FAKE = path.join(REPO, 'test/fixtures/fake-packer/packer');
let work: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-mistakes-'));
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const HEAD = `apiVersion: cocca-bake/v1\nos: debian-12\nhost: {fqdn: q.example}\nfirewall: {trusted: [192.0.2.0/24]}\nsecrets: {source: user-data}\nopenssl: {enabled: false}\njava: {source: apt, package: openjdk-17-jdk-headless}\n`;
const QEMU = `targets: {qemu: {accelerator: tcg, baseImage: {url: "file:///srv/base.qcow2", sha256: "${'a'.repeat(64)}"}}}\n`;
const profile = (name: string, targets = QEMU) => {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\n${HEAD}${targets}`);
  return file;
};

const build = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [CLI, 'build', ...args, '--build-dir', path.join(work, 'builds')], { cwd: REPO, reject: false, env: { COCCA_PACKER: FAKE, ...env } });

function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('internal error');
}
/** Every file the output names exists: no log or record that was never written. */
function expectNamedFilesExist(stderr: string): void {
  for (const [, file] of stderr.matchAll(/(?:record: |last lines of )(\/\S+?):?$/gm)) expect(existsSync(file!), file).toBe(true);
}

describe('build: a user mistake is an error, not a crash', () => {
  it('a profile with no targets', async () => {
    const r = await build([profile('nt', '')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^\[nt\] FAILED: \S+nt\.yaml: profile nt has no build target: add targets\.aws or targets\.qemu$/m);
    expect(r.stderr).toMatch(/^cocca-bake: 1 of 1 builds failed$/m);
    expectNoCrash(r.stderr);
  });

  it('--target aws for a profile with only targets.qemu', async () => {
    const r = await build([profile('q'), '--target', 'aws']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^\[q\] FAILED: \S+q\.yaml: profile q has no targets\.aws$/m);
    expectNoCrash(r.stderr);
  });

  it('--target qemu for a profile with only targets.aws', async () => {
    const r = await build(['profiles/af-south-1.yaml', '--target', 'qemu']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^\[af-south-1\] FAILED: profiles\/af-south-1\.yaml: profile af-south-1 has no targets\.qemu$/m);
    expectNoCrash(r.stderr);
  });

  it('no openssl on the PATH for a qemu build', async () => {
    // A PATH with what the CLI and the Packer stand-in use, and no openssl.
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    for (const tool of ['sh', 'bash', 'sed', 'grep', 'date', 'mkdir', 'basename', 'dirname', 'awk', 'sleep', 'cat']) {
      const found = (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).stdout.trim();
      if (found) symlinkSync(found, path.join(bin, tool));
    }
    const r = await build([profile('q')], { PATH: bin });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^\[q qemu\] FAILED: a qemu build hashes its build user's password with openssl: openssl is not on the PATH \(apt-get install openssl\)$/m);
    expectNoCrash(r.stderr);
    expectNamedFilesExist(r.stderr);
  });

  it('Packer missing: said how to get it, and no log named that does not exist', async () => {
    const r = await build([profile('q')], { COCCA_PACKER: path.join(work, 'no-packer') });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^\[q qemu\] FAILED: cannot run \S+no-packer: install HashiCorp Packer/m);
    expect(r.stderr).not.toContain('packer.log');
    expectNoCrash(r.stderr);
    expectNamedFilesExist(r.stderr);
  });

  it('an error thrown inside one profile\'s build (the build directory is a file)', async () => {
    writeFileSync(path.join(work, 'builds'), 'not a directory');
    const r = await build([profile('q')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^\[q\] FAILED: \S+q\.yaml: .*(ENOTDIR|EEXIST|not a directory)/m);
    expectNoCrash(r.stderr);
  });

  it('a failing bake shows the last lines of packer.log', async () => {
    const r = await build([profile('q')], { FAKE_PACKER_FAIL_AT: 'time.utc' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^ {2}last lines of \S+\/packer\.log:$/m);
    expect(r.stderr).toMatch(/^ {2}\| ==> cocca-q\.qemu\.cocca: cocca\[time\.utc\]: ERROR: bake step time\.utc failed/m);
    expectNamedFilesExist(r.stderr);
  });
});

describe('build: several profiles, each on its own', () => {
  it('one built and one failing: the good one is built and named in the summary', async () => {
    const r = await build([profile('good'), profile('nt', '')]);
    expect(r.exitCode).toBe(1);
    expectNoCrash(r.stderr);
    expect(r.stderr).toMatch(/^\[good qemu\] built in /m);
    expect(r.stderr).toMatch(/^summary: 1 of 2 built$/m);
    expect(r.stderr).toMatch(/^ {2}good +qemu +ok +\S+\/builds\/good\/\S+\/build-record\.json$/m);
    expect(r.stderr).toMatch(/^ {2}nt +- +failed +\S+nt\.yaml: profile nt has no build target/m);
    expectNamedFilesExist(r.stderr);
  });

  it('one invalid profile: its findings, a failed line in the summary, and the valid one still built', async () => {
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, `name: bad\n${HEAD}ssh: {port: 99999}\n${QEMU}`);
    const r = await build([bad, profile('good')]);
    expect(r.exitCode).toBe(1);
    expectNoCrash(r.stderr);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error: ssh\.port/);
    expect(r.stderr).toMatch(/^\[good qemu\] built in /m);
    expect(r.stderr).toMatch(/^summary: 1 of 2 built$/m);
    expect(r.stderr).toMatch(/^ {2}\S*bad\.yaml +- +failed +invalid profile \(1 error above\)$/m);
    expectNamedFilesExist(r.stderr);
  });

  it('only invalid profiles: nothing built, exit 1', async () => {
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, `name: bad\n${HEAD}ssh: {port: 99999}\n${QEMU}`);
    const r = await build([bad]);
    expect(r.exitCode).toBe(1);
    expectNoCrash(r.stderr);
    expect(existsSync(path.join(work, 'builds'))).toBe(false);
  });

  it('--json: a summary line with every outcome', async () => {
    const r = await build([profile('good'), profile('nt', ''), '--json']);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; outcomes?: unknown });
    expect(lines.at(-1)).toMatchObject({ kind: 'summary', outcomes: [{ profile: 'good', target: 'qemu', result: 'ok' }, { profile: 'nt', result: 'failed' }] });
  });
});
