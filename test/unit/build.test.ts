// `cocca-bake build` orchestration, with a stand-in for Packer (test/fixtures/fake-packer:
// AWS cannot be had here) and an injected AWS publisher. The real Packer build is proven in
// test/e2e (qemu under TCG).
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WaitOptions } from '../../generator/aws/client.js';
import { publisherWith } from '../../generator/commands/build/aws.js';
import { buildMany, buildProfile, type AwsPublisher, type ProgressEvent } from '../../generator/commands/build/index.js';
import { findPacker } from '../../generator/commands/build/packer-cli.js';
import { parseLine } from '../../generator/commands/build/progress.js';
import { recordDigest, type BuildRecord } from '../../generator/commands/build/record.js';
import { checkProfile } from '../../generator/check/index.js';
import { awsError, world } from '../helpers/ec2-fake.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';

const FAKE = path.resolve('test/fixtures/fake-packer/packer');
let work: string;
let calls: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-build-'));
  calls = path.join(work, 'calls.log');
  process.env.FAKE_PACKER_LOG = calls;
  delete process.env.FAKE_PACKER_FAIL_AT;
  delete process.env.FAKE_PACKER_VERSION;
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const compiled = (file: string) => {
  const r = checkProfile(file);
  if (!r.profile) throw new Error(`invalid test profile ${file}`);
  return r;
};

const qemuProfile = async () => {
  const file = path.join(work, 'q.yaml');
  await fs.writeFile(
    file,
    QEMU_PROFILE,
  );
  return compiled(file);
};

const fast: WaitOptions = { minDelay: 1, maxDelay: 2, timeout: 60, sleep: async () => {} };

/**
 * The real publisher against the in-memory EC2 of test/helpers/ec2-fake.ts, holding the AMI the
 * Packer stand-in reports (ami-0new000000000001 in af-south-1); `seen` holds what it was asked to share.
 */
const publisher = (setup: (w: ReturnType<typeof world>) => void = () => {}): AwsPublisher & { seen: unknown[]; w: ReturnType<typeof world> } => {
  const w = world('af-south-1', 'eu-west-1');
  w.r['af-south-1']!.add({ id: 'ami-0new000000000001', name: 'cocca-af-south-1-20240501', tags: { 'cocca-bake:profile': 'af-south-1' } });
  setup(w);
  // No region preflight here (its own test below): the fake EC2 does not answer DescribeRegions.
  const { preflight: _none, ...real } = publisherWith(w.factory, fast);
  const seen: unknown[] = [];
  return { ...real, seen, w, share: async (input) => (seen.push(input), real.share(input)) };
};

describe('Packer output parsing', () => {
  it.each([
    ['    amazon-ebs.cocca: cocca[postgres.install]: bake: start', { kind: 'step-start', source: 'amazon-ebs.cocca', phase: 'bake', step: 'postgres.install' }],
    ['    cocca-q.qemu.cocca: cocca[generalize.verify]: seal: done in 1234 ms', { kind: 'step-done', source: 'cocca-q.qemu.cocca', phase: 'seal', step: 'generalize.verify', ms: 1234 }],
    ['    qemu.cocca: cocca[resin.build]: ERROR: bake step resin.build failed after 9 ms; see: x', { kind: 'step-failed', source: 'qemu.cocca', phase: 'bake', step: 'resin.build' }],
    ['==> amazon-ebs.cocca: Found Image ID: ami-0123456789abcdef0', { kind: 'base-image', source: 'amazon-ebs.cocca', imageId: 'ami-0123456789abcdef0' }],
    ['    qemu.cocca: Reading package lists...', undefined],
  ])('%s', (line, want) => {
    expect(parseLine(line)).toEqual(want);
  });
});

describe('finding Packer', () => {
  it('reads the version and picks the HCL flavor', async () => {
    process.env.FAKE_PACKER_VERSION = '1.6.6';
    expect(await findPacker(FAKE)).toMatchObject({ version: '1.6.6', flavor: 'legacy' });
    process.env.FAKE_PACKER_VERSION = '1.11.2';
    expect(await findPacker(FAKE)).toMatchObject({ version: '1.11.2', flavor: 'modern' });
  });
  it('says how to get it when it is missing', async () => {
    await expect(findPacker('/nonexistent/packer')).rejects.toThrow(/install HashiCorp Packer/);
  });
});

describe('buildProfile', () => {
  it('aws: init, validate, build; progress by our step names; the AMI finished and recorded', async () => {
    const { profile, os: osm } = compiled('profiles/af-south-1.yaml');
    const events: ProgressEvent[] = [];
    const pub = publisher();
    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: pub, onProgress: (e) => events.push(e) });
    expect(record.result).toBe('ok');
    expect(record.outputs.aws).toMatchObject({ region: 'af-south-1', imageId: 'ami-0new000000000001' });
    expect(record.baseImage.imageId).toBe('ami-0ba5e00000000001');
    expect(record.packer).toMatchObject({ version: '1.10.0', flavor: 'modern' });
    expect(record.artifacts.openssl?.sha256).toBe('c5ac01e760ee6ff0dab61d6b2bbd30146724d063eb322180c6f18a6f74e4b6aa');
    expect(record.steps.length).toBeGreaterThan(15);
    expect(record.steps.every((s) => s.ok && s.ms === 7)).toBe(true);
    // Packer was asked for init (modern), validate and a build of the aws source only, with copies left to us.
    const log = (await fs.readFile(calls, 'utf8')).trim().split('\n');
    expect(log.map((l) => l.split(' ')[0])).toEqual(['version', 'init', 'validate', 'build']);
    expect(log[3]).toContain('-only=cocca-af-south-1.amazon-ebs.cocca');
    expect(log[3]).toContain('ami_regions=[]');
    // The publisher saw the new AMI and the record's digest (images are tagged with it).
    expect(pub.seen).toEqual([expect.objectContaining({ source: { region: 'af-south-1', imageId: 'ami-0new000000000001', recordDigest: expect.stringMatching(/^[0-9a-f]{64}$/) } })]);
    expect(pub.w.r['af-south-1']!.images.get('ami-0new000000000001')!.tags['cocca-bake:build-record']).toBe(record.source!.recordDigest);
    expect(record.outputs.aws!.copies).toEqual([expect.objectContaining({ region: 'eu-west-1', ok: true, imageId: 'ami-euwest11' })]);
    // Progress names our steps, with their titles and position.
    const install = events.find((e) => e.kind === 'step' && e.step === 'postgres.install' && e.state === 'done');
    expect(install).toMatchObject({ phase: 'bake', title: 'Install PostgreSQL 15' });
    // The record on disk is the one returned, with a digest that checks.
    const onDisk = JSON.parse(await fs.readFile(path.join(path.dirname(record.log), 'build-record.json'), 'utf8')) as BuildRecord;
    expect(onDisk).toEqual(record);
    expect(recordDigest(onDisk)).toBe(onDisk.digest);
  });

  it('qemu: a random build password per build, by environment only; the qcow2 checksummed', async () => {
    const { profile, os: osm } = await qemuProfile();
    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), onProgress: () => {} });
    expect(record.result).toBe('ok');
    expect(record.outputs.qemu?.path).toMatch(/output-q\/cocca-q\.qcow2$/);
    expect(record.outputs.qemu?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Only what this build downloads: no OpenSSL (off), no JDK tarball (Java from apt).
    expect(Object.keys(record.artifacts).sort()).toEqual(['jdbc', 'keystore', 'resin', 'war']);
    expect(await fs.readFile(calls, 'utf8')).toContain('build -machine-readable -color=false -on-error=cleanup -only=cocca-q.qemu.cocca . password=set');
    const seed = await fs.readFile(path.join(path.dirname(record.log), 'packer', 'seed', 'user-data'), 'utf8');
    expect(seed).toMatch(/passwd: \$6\$/);
    expect(seed).toContain('lock_passwd: false');
    // A second build gets another password (another hash).
    const again = await buildProfile(profile!, osm!, { buildRoot: path.join(work, 'b2'), packer: await findPacker(FAKE), onProgress: () => {} });
    const seed2 = await fs.readFile(path.join(path.dirname(again.log), 'packer', 'seed', 'user-data'), 'utf8');
    const hash = (text: string) => /^\s+passwd: (\S+)$/m.exec(text)![1];
    expect(hash(seed2)).not.toBe(hash(seed));
    expect(JSON.stringify(record)).not.toMatch(/passwd|password=/);
  });

  it('a failing step: non-zero result naming the step and the log, no image recorded', async () => {
    process.env.FAKE_PACKER_FAIL_AT = 'resin.build';
    const { profile, os: osm } = compiled('profiles/af-south-1.yaml');
    const pub = publisher();
    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: pub, onProgress: () => {} });
    expect(record.result).toBe('failed');
    expect(record.failedStep).toBe('resin.build');
    expect(record.error).toContain(record.log);
    expect(record.outputs).toEqual({});
    expect(pub.seen).toEqual([]);
    expect(await fs.readFile(record.log, 'utf8')).toContain('cocca[resin.build]: ERROR');
  });

  it('a region problem found before the build stops it before Packer runs', async () => {
    const { profile, os: osm } = compiled('profiles/af-south-1.yaml');
    const pub = { ...publisher(), preflight: async () => ['af-south-1 is an opt-in region not enabled for this account'] };
    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: pub, onProgress: () => {} });
    expect(record.result).toBe('failed');
    expect(record.error).toContain('opt-in region');
    expect((await fs.readFile(calls, 'utf8')).split('\n').filter((l) => l.startsWith('build'))).toEqual([]);
  });

  it('a failed copy fails the build and says which region, keeping the good image on record', async () => {
    const { profile, os: osm } = compiled('profiles/af-south-1.yaml');
    const pub = publisher((w) => (w.r['eu-west-1']!.copyError = awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.')));
    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: pub, onProgress: () => {} });
    expect(record.result).toBe('failed');
    expect(record.error).toContain('copies failed in eu-west-1 (CopyImage ami-0new000000000001 from af-south-1 in eu-west-1: UnauthorizedOperation');
    expect(record.outputs.aws?.imageId).toBe('ami-0new000000000001');
  });
});

describe('several profiles', () => {
  it('build concurrently up to the limit, each with its own record; one failing hides none', async () => {
    process.env.FAKE_PACKER_FAIL_AT = 'app.war';
    const packer = await findPacker(FAKE);
    const files = ['profiles/af-south-1.yaml', 'profiles/eu-west-1.yaml', 'profiles/whois-dr.yaml'];
    let running = 0;
    let peak = 0;
    const records = await buildMany(files, 2, async (file) => {
      running++;
      peak = Math.max(peak, running);
      const { profile, os: osm } = compiled(file);
      try {
        return await buildProfile(profile!, osm!, { buildRoot: work, packer, aws: publisher(), onProgress: () => {} });
      } finally {
        running--;
      }
    });
    expect(peak).toBe(2);
    expect(records.map((r) => [r.profile, r.result, r.failedStep])).toEqual([
      ['af-south-1', 'failed', 'app.war'],
      ['eu-west-1', 'failed', 'app.war'],
      ['whois-dr', 'failed', 'app.war'],
    ]);
    expect(new Set(records.map((r) => r.log)).size).toBe(3);
  });

  it('the CLI exits 1 when any build fails and prints each outcome', async () => {
    // The qemu target: the AWS one would reach for AWS, which tests never do.
    await qemuProfile();
    const r = await execa('node', ['dist/generator/cli.js', 'build', path.join(work, 'q.yaml'), '--target', 'qemu', '--build-dir', work, '--json'], {
      reject: false,
      env: { COCCA_PACKER: FAKE, FAKE_PACKER_FAIL_AT: 'time.utc', FAKE_PACKER_LOG: calls },
    });
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ProgressEvent);
    const result = lines.find((e) => e.kind === 'result');
    expect(result).toMatchObject({ kind: 'result', profile: 'q', record: { result: 'failed', failedStep: 'time.utc' } });
    expect(r.stderr).toContain('1 of 1 builds failed');
  });
});
