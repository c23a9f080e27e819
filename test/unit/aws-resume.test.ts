// Build stages, `build --resume`, `publish`, the retention preview and --no-prune, end to end
// through buildProfile and the real publisher (generator/commands/build/aws.ts) against the in-memory EC2
// of test/helpers/ec2-fake.ts (aws-sdk-client-mock; AWS cannot be had here) and the Packer
// stand-in test/fixtures/fake-packer, whose calls are logged so a test can show it never ran.
import { CopyImageCommand, CreateTagsCommand, DeleteSnapshotCommand, DeregisterImageCommand, ModifyImageAttributeCommand } from '@aws-sdk/client-ec2';
import * as fs from 'node:fs/promises';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WaitOptions } from '../../generator/aws/client.js';
import { copyToRegions, copyToken } from '../../generator/aws/publish.js';
import { inspectSourceImage, publisherWith } from '../../generator/commands/build/aws.js';
import { buildProfile, type AwsPublisher, type ProgressEvent } from '../../generator/commands/build/index.js';
import { findPacker } from '../../generator/commands/build/packer-cli.js';
import type { BuildRecord } from '../../generator/commands/build/record.js';
import { formatProgress } from '../../generator/commands/build/report.js';
import { publishAmi, readRecord, resumeBuild, resumeProblem, ResumeError } from '../../generator/commands/build/resume.js';
import { checkProfile } from '../../generator/check/index.js';
import { awsError, world, type FakeRegion } from '../helpers/ec2-fake.js';
import { CLEAN_BASE, tempTree } from './profile-helpers.js';

const FAKE = path.resolve('test/fixtures/fake-packer/packer');
const AMI = 'ami-0new000000000001';
const fast: WaitOptions = { minDelay: 1, maxDelay: 2, timeout: 60, sleep: async () => {} };
let work: string;
let calls: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-resume-'));
  calls = path.join(work, 'calls.log');
  process.env.FAKE_PACKER_LOG = calls;
  delete process.env.FAKE_PACKER_FAIL_AT;
  delete process.env.FAKE_PACKER_VERSION;
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const LEAF = (copyTo: string) => `apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: t\ntargets:\n  aws:\n    region: af-south-1\n    copyTo: [${copyTo}]\n    keep: 2\n`;

/** A profile repository with one leaf profile `t` built in af-south-1, copied to eu-west-1 and us-east-1, keep 2. */
function profileTree(copyTo = 'eu-west-1, us-east-1'): string {
  return path.join(tempTree({ 'base/clean.yaml': CLEAN_BASE, 't.yaml': LEAF(copyTo) }), 't.yaml');
}

const compiled = (file: string) => {
  const r = checkProfile(file);
  if (!r.profile) throw new Error(`invalid test profile ${file}: ${JSON.stringify(r.findings)}`);
  return r;
};

/** The regions, with the AMI the Packer stand-in reports already in af-south-1 (as Packer left it), and two older images of t per region. */
function ec2() {
  const w = world('af-south-1', 'eu-west-1', 'us-east-1');
  for (const [region, f] of Object.entries(w.r)) {
    const short = region.replace(/-/g, '');
    f.add({ id: `ami-0old1${short}`, name: `cocca-t-old1-${region}`, created: '2024-01-01T00:00:00.000Z', tags: { 'cocca-bake:profile': 't' } });
    f.add({ id: `ami-0old2${short}`, name: `cocca-t-old2-${region}`, created: '2024-02-01T00:00:00.000Z', tags: { 'cocca-bake:profile': 't' } });
  }
  w.r['af-south-1']!.add({ id: AMI, name: 'cocca-t-20240501', created: '2024-05-01T00:00:00.000Z', tags: { 'cocca-bake:profile': 't' } });
  // No region preflight: the fake EC2 does not answer DescribeRegions (build.test.ts tests it).
  const { preflight: _none, ...publisher } = publisherWith(w.factory, fast);
  return { ...w, publisher: publisher as AwsPublisher };
}

const packerCalls = async () => (await fs.readFile(calls, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
const calls_ = (f: FakeRegion, command: Parameters<FakeRegion['mock']['commandCalls']>[0]) => f.mock.commandCalls(command).length;
const stages = (r: BuildRecord) => r.stages!.map((s) => `${s.name} ${s.state}`);
const recordFile = (r: BuildRecord) => path.join(path.dirname(r.log), 'build-record.json');

describe('build stages', () => {
  it('are written to build-record.json as each starts and ends: while copies run, the record on disk says so', async () => {
    const { profile, os: osm } = compiled(profileTree());
    const { publisher } = ec2();
    const seenOnDisk: string[][] = [];
    const events: ProgressEvent[] = [];
    const record = await buildProfile(profile!, osm!, {
      buildRoot: work,
      packer: await findPacker(FAKE),
      aws: publisher,
      onProgress: (e) => {
        events.push(e);
        if (e.kind === 'copy' && e.state === 'started') {
          const dir = path.join(work, 't', readdirSync(path.join(work, 't'))[0]!);
          seenOnDisk.push(stages(JSON.parse(readFileSync(path.join(dir, 'build-record.json'), 'utf8')) as BuildRecord));
        }
      },
    });
    expect(record.result).toBe('ok');
    expect(stages(record)).toEqual(['bake done', 'share done', 'tags done', 'copies done', 'retention done']);
    expect(record.stages!.every((s) => s.startedAt || s.name === 'bake' ? s.finishedAt : false)).toBe(true);
    expect(record.stages![0]).toMatchObject({ name: 'bake', detail: `${AMI} in af-south-1` });
    expect(seenOnDisk[0]).toEqual(['bake done', 'share done', 'tags done', 'copies pending', 'retention pending']);
    expect(record.source).toEqual({ region: 'af-south-1', imageId: AMI, recordDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Per-region copy progress from the waiter: started, pending with the snapshots' percentage, available.
    const eu = events.filter((e) => e.kind === 'copy' && e.region === 'eu-west-1').map((e) => (e.kind === 'copy' ? `${e.state}${e.percent !== undefined ? ` ${e.percent}%` : ''}` : ''));
    expect(eu).toEqual(['started', 'waiting 33%', 'waiting 67%', 'available']);
    const line = formatProgress(events.find((e) => e.kind === 'copy' && e.state === 'waiting')!);
    expect(line).toMatch(/^\[t aws\] copy (eu-west-1 ami-euwest11|us-east-1 ami-useast11): pending 33% after 00:00\n$/);
    // Each copy with its times, for the report's timeline.
    for (const c of record.outputs.aws!.copies) {
      expect(Date.parse(c.startedAt!)).toBeLessThanOrEqual(Date.parse(c.finishedAt!));
    }
    expect(record.outputs.aws!.copies.map((c) => [c.region, c.ok, c.imageId])).toEqual([
      ['eu-west-1', true, 'ami-euwest11'],
      ['us-east-1', true, 'ami-useast11'],
    ]);
    // Retention kept the 2 newest (the new image and old2) and retired old1 in every region.
    expect(record.outputs.aws!.retention!.map((r) => [r.region, r.deregistered])).toEqual([
      ['af-south-1', ['ami-0old1afsouth1']],
      ['eu-west-1', ['ami-0old1euwest1']],
      ['us-east-1', ['ami-0old1useast1']],
    ]);
  });
});

describe('build --resume', () => {
  it('after copies failed in one region: copies only that region, reuses the other, never runs Packer, and retires old images', async () => {
    const file = profileTree();
    const { profile, os: osm } = compiled(file);
    const w = ec2();
    w.r['us-east-1']!.copyError = awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
    const first = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: w.publisher, onProgress: () => {} });
    expect(first.result).toBe('failed');
    expect(stages(first)).toEqual(['bake done', 'share done', 'tags done', 'copies failed', 'retention pending']);
    expect(first.error).toContain(`go on with: cocca-bake build --resume ${recordFile(first)}`);
    expect(first.outputs.aws!.copies.map((c) => [c.region, c.ok])).toEqual([
      ['eu-west-1', true],
      ['us-east-1', false],
    ]);
    // Nothing retired while a region lacks its new image.
    expect(calls_(w.r['af-south-1']!, DeregisterImageCommand)).toBe(0);
    const packerBefore = await packerCalls();
    const shareBefore = calls_(w.r['af-south-1']!, ModifyImageAttributeCommand);
    const tagsBefore = calls_(w.r['af-south-1']!, CreateTagsCommand);

    w.r['us-east-1']!.copyError = undefined;
    const onDisk = readRecord(recordFile(first));
    const again = await resumeBuild(recordFile(first), onDisk, compiled(file).profile!, { aws: w.publisher, onProgress: () => {} });
    expect(again.result).toBe('ok');
    expect(stages(again)).toEqual(['bake done', 'share done', 'tags done', 'copies done', 'retention done']);
    // The Packer stand-in was not called again; the source was neither shared nor tagged again.
    expect(await packerCalls()).toEqual(packerBefore);
    expect(calls_(w.r['af-south-1']!, ModifyImageAttributeCommand)).toBe(shareBefore);
    expect(calls_(w.r['af-south-1']!, CreateTagsCommand)).toBe(tagsBefore);
    // eu-west-1 kept its copy (one CopyImage in all); us-east-1 was copied now.
    expect(w.r['eu-west-1']!.copies()).toHaveLength(1);
    expect(w.r['us-east-1']!.copies()).toHaveLength(2);
    expect(again.outputs.aws!.copies.map((c) => [c.region, c.ok, c.imageId])).toEqual([
      ['eu-west-1', true, 'ami-euwest11'],
      ['us-east-1', true, 'ami-useast11'],
    ]);
    expect(again.outputs.aws!.retention!.flatMap((r) => r.deregistered).sort()).toEqual(['ami-0old1afsouth1', 'ami-0old1euwest1', 'ami-0old1useast1']);
    // Same file, same source, same digest on every image.
    expect(JSON.parse(await fs.readFile(recordFile(first), 'utf8'))).toEqual(again);
    expect(again.source).toEqual(first.source);
    const digest = first.source!.recordDigest;
    expect(w.r['us-east-1']!.images.get('ami-useast11')!.tags['cocca-bake:build-record']).toBe(digest);
    // A record that is complete is refused.
    expect(resumeProblem(recordFile(first), again, compiled(file).profile!)).toMatch(/is already complete \(bake done, share done, tags done, copies done, retention done\): nothing to resume$/);
  });

  it('after a crash during the copies: picks up the copy still on its way (same record digest) instead of starting another', async () => {
    const file = profileTree('eu-west-1');
    const { profile, os: osm } = compiled(file);
    const w = ec2();
    w.r['eu-west-1']!.copyPolls = 50;
    const slow = publisherWith(w.factory, { ...fast, timeout: 3 });
    const { preflight: _p, ...pub } = slow;
    const first = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: pub, onProgress: () => {} });
    expect(first.result).toBe('failed');
    expect(first.error).toContain('still pending');
    // As if the process had died mid-copy: the stage is open and the region not recorded.
    const rec = readRecord(recordFile(first));
    rec.stages!.find((s) => s.name === 'copies')!.state = 'pending';
    rec.outputs.aws!.copies = [];
    writeFileSync(recordFile(first), JSON.stringify(rec));
    w.r['eu-west-1']!.copyPolls = 0;
    w.r['eu-west-1']!.images.get('ami-euwest11')!.pollsLeft = 1;
    const again = await resumeBuild(recordFile(first), readRecord(recordFile(first)), profile!, { aws: w.publisher, onProgress: () => {} });
    expect(again.result).toBe('ok');
    expect(w.r['eu-west-1']!.copies()).toHaveLength(1);
    expect(again.outputs.aws!.copies).toEqual([expect.objectContaining({ region: 'eu-west-1', ok: true, imageId: 'ami-euwest11' })]);
  });

  it('from a failed tags stage: tags, copies and retention, not the share again', async () => {
    const file = profileTree('eu-west-1');
    const { profile, os: osm } = compiled(file);
    const w = ec2();
    w.r['af-south-1']!.tagError = awsError('RequestLimitExceeded', 'Request limit exceeded.');
    const first = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: w.publisher, onProgress: () => {} });
    expect(stages(first)).toEqual(['bake done', 'share done', 'tags failed', 'copies pending', 'retention pending']);
    expect(first.stages![2]!.detail).toContain('RequestLimitExceeded');
    expect(w.r['eu-west-1']!.copies()).toHaveLength(0);
    const shares = calls_(w.r['af-south-1']!, ModifyImageAttributeCommand);
    const again = await resumeBuild(recordFile(first), readRecord(recordFile(first)), profile!, { aws: w.publisher, onProgress: () => {} });
    expect(stages(again)).toEqual(['bake done', 'share done', 'tags done', 'copies done', 'retention done']);
    expect(calls_(w.r['af-south-1']!, ModifyImageAttributeCommand)).toBe(shares);
    expect(w.r['af-south-1']!.images.get(AMI)!.tags['cocca-bake:build-record']).toBe(first.source!.recordDigest);
  });

  it('from a failed retention: retention only, and --no-prune records it skipped', async () => {
    const file = profileTree('eu-west-1');
    const { profile, os: osm } = compiled(file);
    const w = ec2();
    w.r['eu-west-1']!.deregisterError = awsError('InvalidAMIID.Unavailable', 'busy');
    const first = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: w.publisher, onProgress: () => {} });
    expect(first.result).toBe('failed');
    expect(stages(first)).toEqual(['bake done', 'share done', 'tags done', 'copies done', 'retention failed']);
    expect(first.error).toContain('retention failed in eu-west-1');
    const copies = w.r['eu-west-1']!.copies().length;
    const again = await resumeBuild(recordFile(first), readRecord(recordFile(first)), profile!, { aws: w.publisher, onProgress: () => {} });
    expect(again.result).toBe('ok');
    expect(w.r['eu-west-1']!.copies()).toHaveLength(copies);
    expect(again.outputs.aws!.retention!.find((r) => r.region === 'eu-west-1')!.deregistered).toEqual(['ami-0old1euwest1']);

    // The same failure, resumed with --no-prune: skipped, nothing deregistered.
    const w2 = ec2();
    w2.r['eu-west-1']!.deregisterError = awsError('InvalidAMIID.Unavailable', 'busy');
    const other = await buildProfile(profile!, osm!, { buildRoot: path.join(work, 'b2'), packer: await findPacker(FAKE), aws: w2.publisher, onProgress: () => {} });
    const deregs = calls_(w2.r['eu-west-1']!, DeregisterImageCommand);
    const skipped = await resumeBuild(recordFile(other), readRecord(recordFile(other)), profile!, { aws: w2.publisher, prune: false, onProgress: () => {} });
    expect(skipped.result).toBe('ok');
    expect(skipped.stages!.at(-1)).toMatchObject({ name: 'retention', state: 'skipped', detail: '--no-prune' });
    expect(calls_(w2.r['eu-west-1']!, DeregisterImageCommand)).toBe(deregs);
  });

  it('refuses a profile that changed, a bake that failed, and a qemu record, each with a reason', async () => {
    const file = profileTree('eu-west-1');
    const { profile, os: osm } = compiled(file);
    const w = ec2();
    w.r['eu-west-1']!.copyError = awsError('UnauthorizedOperation', 'no');
    const first = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: w.publisher, onProgress: () => {} });
    await fs.writeFile(file, LEAF('eu-west-1').replace('keep: 2', 'keep: 5'));
    const changed = compiled(file).profile!;
    const rec = readRecord(recordFile(first));
    expect(resumeProblem(recordFile(first), rec, changed)).toMatch(/t\.yaml changed since .*build-record\.json was written \(profile digest [0-9a-f]{12}\.\.\. then, [0-9a-f]{12}\.\.\. now\)/);
    await expect(resumeBuild(recordFile(first), rec, changed, { aws: w.publisher, onProgress: () => {} })).rejects.toThrow(ResumeError);
    expect(calls_(w.r['eu-west-1']!, CopyImageCommand)).toBe(1);

    process.env.FAKE_PACKER_FAIL_AT = 'time.utc';
    const baked = await buildProfile(changed, osm!, { buildRoot: path.join(work, 'b2'), packer: await findPacker(FAKE), aws: w.publisher, onProgress: () => {} });
    expect(stages(baked)[0]).toBe('bake failed');
    expect(resumeProblem(recordFile(baked), readRecord(recordFile(baked)), changed)).toMatch(/the bake did not finish \(stage bake failed: .*\): there is no AMI to finish; build again$/);
    expect(resumeProblem('x.json', { ...rec, target: 'qemu' }, profile!)).toBe('x.json is a qemu build: only an AWS build has stages after the bake to resume; build again');
    expect(() => readRecord(path.join(work, 'nope.json'))).toThrow(`cannot read ${path.join(work, 'nope.json')}: no such file`);
    await fs.writeFile(path.join(work, 'x.json'), '{"schema":"other"}');
    expect(() => readRecord(path.join(work, 'x.json'))).toThrow('is not a cocca-bake build record');
    // A hand-edited record is refused with the field it got wrong, before any stage runs.
    await fs.writeFile(path.join(work, 'y.json'), JSON.stringify({ ...rec, stages: 'all done' }));
    expect(() => readRecord(path.join(work, 'y.json'))).toThrow(`${path.join(work, 'y.json')}: stages is not a list of {name, state, startedAt?, finishedAt?, detail?}`);
    await fs.writeFile(path.join(work, 'y.json'), JSON.stringify({ ...rec, source: { ...rec.source, imageId: 7 } }));
    expect(() => readRecord(path.join(work, 'y.json'))).toThrow('source is not an object with region, imageId and recordDigest strings');
    expect(resumeProblem('y.json', { ...rec, stages: rec.stages!.filter((st) => st.name !== 'tags') }, profile!)).toBe('y.json: its stages are bake, share, copies, retention, not bake, share, tags, copies, retention: not a record cocca-bake wrote');
  });
});

describe('copy reuse', () => {
  const input = (recordDigest: string) => ({ sourceRegion: 'af-south-1', imageId: 'ami-0src', name: 'cocca-t-1', regions: ['eu-west-1'], encrypted: true, tags: { 'cocca-bake:profile': 't' }, recordDigest, shareWith: [], public: false, wait: fast });

  it('is keyed on the source AMI plus the record digest: another record\'s copy is not reused, and says whose it is', async () => {
    const w = world('eu-west-1');
    const eu = w.r['eu-west-1']!;
    eu.add({ id: 'ami-0theirs', name: 'cocca-t-1', tags: { 'cocca-bake:source-image': 'ami-0src', 'cocca-bake:build-record': 'digest-b' } });
    const [mine] = await copyToRegions(w.factory, input('digest-a'));
    expect(mine).toMatchObject({ ok: false, error: expect.stringContaining('a copy ami-0theirs (available) of ami-0src in eu-west-1 belongs to another build record (digest-b), not this one (digest-a)') });
    expect(eu.copies()).toHaveLength(0);
    expect(eu.images.get('ami-0theirs')!.state).toBe('available');
    // The record it belongs to reuses it.
    const [theirs] = await copyToRegions(w.factory, input('digest-b'));
    expect(theirs).toMatchObject({ ok: true, imageId: 'ami-0theirs', reused: 'available' });
    expect(eu.copies()).toHaveLength(0);
  });

  it('a copy of its own record is reused even beside another record\'s failed one; a new copy carries the record in its token', async () => {
    const w = world('eu-west-1');
    const eu = w.r['eu-west-1']!;
    const [made] = await copyToRegions(w.factory, input('digest-a'));
    expect(made!.ok).toBe(true);
    expect(eu.copies()[0]!.ClientToken).toBe(copyToken('ami-0src', 'eu-west-1', 'digest-a'));
    expect(eu.images.get(made!.imageId!)!.tags['cocca-bake:build-record']).toBe('digest-a');
    eu.add({ id: 'ami-0other', name: 'cocca-t-x', state: 'failed', tags: { 'cocca-bake:source-image': 'ami-0src', 'cocca-bake:build-record': 'digest-b' } });
    const [again] = await copyToRegions(w.factory, input('digest-a'));
    expect(again).toMatchObject({ ok: true, imageId: made!.imageId, reused: 'available' });
    expect(eu.images.get('ami-0other')!.state).toBe('failed');
  });
});

describe('build --dry-run and --no-prune', () => {
  it('dry run: packer validate but no bake, nothing changed in AWS, and the exact retention preview', async () => {
    const { profile, os: osm } = compiled(profileTree('eu-west-1'));
    const w = ec2();
    // A third old image in af-south-1, with two snapshots: the preview names them both.
    w.r['af-south-1']!.add({ id: 'ami-0old0afsouth1', name: 'cocca-t-old0', created: '2023-12-01T00:00:00.000Z', snapshots: ['snap-a', 'snap-b'], tags: { 'cocca-bake:profile': 't' } });
    const said: string[] = [];
    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: w.publisher, dryRun: true, onProgress: (e) => e.kind === 'phase' && said.push(e.message) });
    expect(record.result).toBe('ok');
    expect(await packerCalls()).toEqual(['version', 'init', 'validate']);
    expect(stages(record)).toEqual(['bake skipped', 'share skipped', 'tags skipped', 'copies skipped', 'retention skipped']);
    expect(record.stages!.at(-1)!.detail).toBe('dry run: would deregister ami-0old1afsouth1, ami-0old0afsouth1');
    for (const f of Object.values(w.r)) {
      expect(calls_(f, DeregisterImageCommand)).toBe(0);
      expect(calls_(f, DeleteSnapshotCommand)).toBe(0);
      expect(calls_(f, CopyImageCommand)).toBe(0);
      expect(calls_(f, ModifyImageAttributeCommand)).toBe(0);
      expect(calls_(f, CreateTagsCommand)).toBe(0);
    }
    const start = said.findIndex((m) => m.startsWith('retention preview'));
    expect(said.slice(start)).toEqual([
      'retention preview (dry run, nothing deleted): the 2 newest images of t stay in each region',
      'af-south-1:',
      `  kept         ${AMI}  2024-05-01T00:00:00.000Z  cocca-t-20240501: one of the 2 newest`,
      '  kept         ami-0old2afsouth1  2024-02-01T00:00:00.000Z  cocca-t-old2-af-south-1: one of the 2 newest',
      '  would-delete ami-0old1afsouth1  2024-01-01T00:00:00.000Z  cocca-t-old1-af-south-1: older than the 2 newest',
      '    snapshot snap-0old1afsouth1 would be deleted',
      '  would-delete ami-0old0afsouth1  2023-12-01T00:00:00.000Z  cocca-t-old0: older than the 2 newest',
      '    snapshot snap-a would be deleted',
      '    snapshot snap-b would be deleted',
      'eu-west-1:',
      // As things stand now: the build's own copy would push old1 out here too.
      '  kept         ami-0old2euwest1  2024-02-01T00:00:00.000Z  cocca-t-old2-eu-west-1: one of the 2 newest',
      '  kept         ami-0old1euwest1  2024-01-01T00:00:00.000Z  cocca-t-old1-eu-west-1: one of the 2 newest',
    ]);
  });

  it('--no-prune: the build finishes the image and skips retention, recorded as skipped', async () => {
    const { profile, os: osm } = compiled(profileTree('eu-west-1'));
    const w = ec2();
    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), aws: w.publisher, prune: false, onProgress: () => {} });
    expect(record.result).toBe('ok');
    expect(stages(record)).toEqual(['bake done', 'share done', 'tags done', 'copies done', 'retention skipped']);
    expect(record.stages!.at(-1)!.detail).toBe('--no-prune');
    expect(record.outputs.aws!.retention).toBeUndefined();
    for (const f of Object.values(w.r)) expect(calls_(f, DeregisterImageCommand)).toBe(0);
    expect(w.r['af-south-1']!.live().map((i) => i.id).sort()).toEqual([AMI, 'ami-0old1afsouth1', 'ami-0old2afsouth1']);
  });
});

describe('publish PROFILE AMI-ID', () => {
  it('finishes an AMI that was never finished: a new record, bake skipped, no Packer, then every stage', async () => {
    const { profile } = compiled(profileTree('eu-west-1'));
    const w = ec2();
    const ORPHAN = 'ami-0feed000000000001';
    w.r['af-south-1']!.add({ id: ORPHAN, name: 'cocca-t-20240601', created: '2024-06-01T00:00:00.000Z', tags: { 'cocca-bake:profile': 't' } });
    const record = await publishAmi(profile!, ORPHAN, { buildRoot: work, aws: w.publisher, checkImage: (region, id) => inspectSourceImage(w.factory, 't', region, id), onProgress: () => {} });
    expect(record.result).toBe('ok');
    expect(stages(record)).toEqual(['bake skipped', 'share done', 'tags done', 'copies done', 'retention done']);
    expect(record.stages![0]!.detail).toBe(`not baked here: cocca-bake publish ${ORPHAN}`);
    expect(record.source).toMatchObject({ region: 'af-south-1', imageId: ORPHAN });
    expect(w.r['af-south-1']!.images.get(ORPHAN)!.imds).toBe('v2.0');
    expect(w.r['eu-west-1']!.copies()[0]).toMatchObject({ SourceImageId: ORPHAN, Name: 'cocca-t-20240601' });
    expect(await packerCalls()).toEqual([]);
    expect(recordFile(record)).toMatch(/\/t\/\d{8}T\d{6}Z-aws-publish\/build-record\.json$/);
    expect(readRecord(recordFile(record))).toEqual(record);
    expect(w.r['eu-west-1']!.live().find((i) => i.id === 'ami-euwest11')!.tags['cocca-bake:build-record']).toBe(record.source!.recordDigest);
  });

  it('an AMI whose record was lost after its copies started: the copies of that build are picked up, not refused', async () => {
    const { profile } = compiled(profileTree('eu-west-1'));
    const w = ec2();
    const ORPHAN = 'ami-0feed000000000002';
    // The lost build had tagged the AMI with its record and started the copy to eu-west-1.
    w.r['af-south-1']!.add({ id: ORPHAN, name: 'cocca-t-20240602', created: '2024-06-02T00:00:00.000Z', tags: { 'cocca-bake:profile': 't', 'cocca-bake:build-record': 'digest-lost' } });
    w.r['eu-west-1']!.add({ id: 'ami-0lostcopy0000001', name: 'cocca-t-20240602', tags: { 'cocca-bake:profile': 't', 'cocca-bake:source-image': ORPHAN, 'cocca-bake:build-record': 'digest-lost' } });
    const record = await publishAmi(profile!, ORPHAN, { buildRoot: work, aws: w.publisher, checkImage: (region, id) => inspectSourceImage(w.factory, 't', region, id), onProgress: () => {} });
    expect(record.result).toBe('ok');
    expect(record.source!.recordDigest).toBe('digest-lost');
    expect(record.outputs.aws!.copies).toMatchObject([{ region: 'eu-west-1', ok: true, imageId: 'ami-0lostcopy0000001' }]);
    expect(w.r['eu-west-1']!.copies()).toEqual([]);
  });

  it('refuses an AMI that is not there, not of this profile, or not an AMI id, before writing any record', async () => {
    const { profile } = compiled(profileTree('eu-west-1'));
    const w = ec2();
    w.r['af-south-1']!.add({ id: 'ami-0f0e0d0c0b0a09080', name: 'x', tags: { 'cocca-bake:profile': 'other' } });
    const publish = (id: string) => publishAmi(profile!, id, { buildRoot: work, aws: w.publisher, checkImage: (region, i) => inspectSourceImage(w.factory, 't', region, i), onProgress: () => {} });
    await expect(publish('ami-0123456789abcdef0')).rejects.toThrow("AMI ami-0123456789abcdef0 does not exist in af-south-1 (the profile's targets.aws.region, where publish looks for it)");
    await expect(publish('ami-0f0e0d0c0b0a09080')).rejects.toThrow('AMI ami-0f0e0d0c0b0a09080 in af-south-1 is an image of profile other, not of profile t');
    await expect(publish('i-0123')).rejects.toThrow('"i-0123" is not an AMI id');
    expect(readdirSync(work).filter((f) => f !== 'calls.log')).toEqual([]);
  });
});
