// Ctrl-C and SIGTERM during `cocca-bake build`: the real CLI as a child process, the Packer
// stand-in (test/fixtures/fake-packer, FAKE_PACKER_HANG: AWS cannot be had here) waiting after
// it named its temporary AWS resources and taking its time to clean up, and a loopback
// stand-in for the region preflight's one EC2 call.
import { execa, type ResultPromise } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProfile } from '../../generator/commands/build/index.js';
import { findPacker } from '../../generator/commands/build/packer-cli.js';
import type { BuildRecord } from '../../generator/commands/build/record.js';
import { Interruption } from '../../generator/commands/build/signals.js';
import { checkProfile } from '../../generator/check/index.js';
import { startRegionsServer, type RegionsServer } from '../helpers/ec2-regions-server.js';

const REPO = path.resolve('.');
const CLI = path.join(REPO, 'dist/generator/cli.js');
const FAKE = path.join(REPO, 'test/fixtures/fake-packer/packer');
let work: string;
let ec2: RegionsServer;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-signals-'));
  ec2 = await startRegionsServer();
});
afterEach(async () => {
  await ec2.close();
  await fs.rm(work, { recursive: true, force: true });
});

function build(profiles: string[], env: Record<string, string>, ...extra: string[]) {
  return execa(process.execPath, [CLI, 'build', ...profiles, '--target', 'aws', '--build-dir', path.join(work, 'builds'), ...extra], {
    cwd: REPO,
    reject: false,
    env: {
      ...ec2.env,
      COCCA_PACKER: FAKE,
      FAKE_PACKER_HANG: '1',
      FAKE_PACKER_LOG: path.join(work, 'calls.log'),
      FAKE_PACKER_CLEANED: path.join(work, 'cleaned'),
      COCCA_BAKE_HEARTBEAT: '1',
      ...env,
    },
  });
}

/** Resolves once the child's stderr has printed `count` lines matching `re`. */
function waitFor(child: ResultPromise, re: RegExp, count = 1): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stderr so far:\n${seen}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => {
      seen += c.toString('utf8');
      if ((seen.match(new RegExp(re.source, 'gm')) ?? []).length >= count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const records = (): BuildRecord[] =>
  readdirSync(path.join(work, 'builds')).flatMap((profile) =>
    readdirSync(path.join(work, 'builds', profile)).map((d) => JSON.parse(readFileSync(path.join(work, 'builds', profile, d, 'build-record.json'), 'utf8')) as BuildRecord),
  );
const calls = () => readFileSync(path.join(work, 'calls.log'), 'utf8').trim().split('\n');

describe('build: SIGINT and SIGTERM', () => {
  it('SIGINT: Packer gets one SIGINT, its clean-up runs to the end, the record says interrupted, exit 130', async () => {
    const child = build(['profiles/af-south-1.yaml'], { FAKE_PACKER_CLEANUP_SECONDS: '2' });
    // The heartbeat names what Packer last said while it is quiet.
    await waitFor(child, /waiting for SSH… 00:0\d \(Packer last said: ==> .*Waiting for SSH to become available\.\.\.\)/);
    const t0 = Date.now();
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT'); // a second Ctrl-C only says the clean-up is still going
    const r = await child;
    expect(r.exitCode).toBe(130);
    // The stand-in's clean-up took its 2 s and completed: cocca-bake waited for it.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(readFileSync(path.join(work, 'cleaned'), 'utf8')).toMatch(/af-south-1\.amazon-ebs\.cocca/);
    expect(calls().filter((l) => l.startsWith('signal'))).toEqual(['signal INT']);
    expect(r.stderr).toContain('interrupt received: stopping Packer');
    expect(r.stderr).toContain('still cleaning up');
    const [record] = records();
    expect(record).toMatchObject({ result: 'interrupted', error: 'interrupted by SIGINT', remaining: [] });
    expect(r.stderr).toContain('[af-south-1 aws] INTERRUPTED: interrupted by SIGINT');
    expect(r.stderr).toMatch(/record: .*\/builds\/af-south-1\/[^/]+-aws\/build-record\.json/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // Packer's clean-up, printed after the signal, reached the log: nothing died on a closed pipe.
    expect(readFileSync(record!.log, 'utf8')).toContain('Deleting temporary keypair...');
    // No image was finished: the only EC2 call was the region preflight.
    expect(ec2.actions).toEqual(['DescribeRegions']);
  });

  it('SIGHUP (the SSH session dropped): a stop like the others, clean-up to the end, exit 129', async () => {
    const child = build(['profiles/af-south-1.yaml'], { FAKE_PACKER_CLEANUP_SECONDS: '1' });
    await waitFor(child, /waiting for SSH/);
    child.kill('SIGHUP');
    const r = await child;
    expect(r.exitCode).toBe(129);
    expect(calls().filter((l) => l.startsWith('signal'))).toEqual(['signal INT']);
    expect(readFileSync(path.join(work, 'cleaned'), 'utf8')).toMatch(/af-south-1\.amazon-ebs\.cocca/);
    expect(records()[0]).toMatchObject({ result: 'interrupted', error: 'interrupted by SIGHUP' });
  });

  it('SIGTERM with a clean-up longer than the bound: Packer killed, what it made listed as remaining, exit 143', async () => {
    const child = build(['profiles/af-south-1.yaml'], { FAKE_PACKER_CLEANUP_SECONDS: '60', COCCA_BAKE_CLEANUP_TIMEOUT: '1' });
    await waitFor(child, /waiting for SSH/);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    // Forwarded as SIGINT (Packer 1.6.6 leaves qemu running on SIGTERM).
    expect(calls().filter((l) => l.startsWith('signal'))).toEqual(['signal INT']);
    expect(existsSync(path.join(work, 'cleaned'))).toBe(false);
    const [record] = records();
    expect(record!.result).toBe('interrupted');
    expect(record!.error).toMatch(/SIGTERM.*killed before its clean-up ended/);
    expect(record!.remaining).toEqual([
      'key pair packer_5fc4a1b2-0000-4000-8000-000000000001',
      'security group packer_5fc4a1b2-0000-4000-8000-000000000002',
      'EC2 instance i-0fa4e00000000001 (and its EBS volumes)',
    ]);
    expect(r.stderr).toContain('may remain (check and delete by hand):\n    key pair packer_5fc4a1b2-0000-4000-8000-000000000001\n');
  });

  it('a third Ctrl-C abandons the clean-up: Packer killed at once, everything it named listed, exit 130', async () => {
    const child = build(['profiles/af-south-1.yaml'], { FAKE_PACKER_CLEANUP_SECONDS: '60' });
    await waitFor(child, /waiting for SSH/);
    const t0 = Date.now();
    child.kill('SIGINT');
    await waitFor(child, /Terminating the source AWS instance|interrupt received/);
    child.kill('SIGINT');
    await waitFor(child, /still cleaning up/);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    // Not the 60 s clean-up, nor the 5-minute bound.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.stderr).toContain('abandoning the clean-up');
    expect(existsSync(path.join(work, 'cleaned'))).toBe(false);
    const [record] = records();
    expect(record!.error).toBe('interrupted by SIGINT (Packer was killed before its clean-up ended)');
    expect(record!.remaining).toHaveLength(3);
  });

  it('several profiles: every running Packer is stopped, none starts after, every record written, a summary of all', async () => {
    const profiles = ['profiles/af-south-1.yaml', 'profiles/eu-west-1.yaml', 'profiles/whois-dr.yaml'];
    const child = build(profiles, { FAKE_PACKER_CLEANUP_SECONDS: '1' }, '--parallel', '2');
    await waitFor(child, /waiting for SSH/, 2);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(readFileSync(path.join(work, 'cleaned'), 'utf8').trim().split('\n').sort()).toEqual(['cocca-af-south-1.amazon-ebs.cocca', 'cocca-eu-west-1.amazon-ebs.cocca']);
    expect(records().map((x) => [x.profile, x.result]).sort()).toEqual([['af-south-1', 'interrupted'], ['eu-west-1', 'interrupted']]);
    expect(calls().filter((l) => l.startsWith('build')).length).toBe(2);
    expect(r.stderr).toMatch(/^summary: 0 of 3 built$/m);
    expect(r.stderr).toMatch(/^ {2}af-south-1 +aws +interrupted +\S+build-record\.json$/m);
    expect(r.stderr).toMatch(/^ {2}whois-dr +aws +not started +stopped by SIGINT before it began$/m);
  });
});

describe('build: interrupted while the AMI is finished', () => {
  it('starts no further stage after the signal: no tags, no copies, above all no retention', async () => {
    const { profile, os: osm } = checkProfile('profiles/af-south-1.yaml');
    const interruption = new Interruption();
    const called: string[] = [];
    const record = await buildProfile(profile!, osm!, {
      buildRoot: work,
      packer: await findPacker(FAKE),
      interruption,
      aws: {
        // The signal comes while sharing, and sharing then ends well.
        share: async () => (called.push('share'), interruption.receive('SIGINT', () => {}), await new Promise((r) => setTimeout(r, 50)), []),
        tag: async () => void called.push('tag'),
        copy: async () => (called.push('copy'), []),
        retention: async () => (called.push('retention'), []),
      },
      onProgress: () => {},
    });
    expect(record.result).toBe('interrupted');
    // The finishing work is no longer awaited by the build: give it time to (wrongly) go on.
    await new Promise((r) => setTimeout(r, 300));
    expect(called).toEqual(['share']);
    const onDisk = JSON.parse(readFileSync(path.join(path.dirname(record.log), 'build-record.json'), 'utf8')) as typeof record;
    expect(onDisk.stages?.map((st) => [st.name, st.state])).toEqual([['bake', 'done'], ['share', 'done'], ['tags', 'pending'], ['copies', 'pending'], ['retention', 'pending']]);
  });

  it('records the built AMI as remaining and does not wait for the copies', async () => {
    const prev = process.env.FAKE_PACKER_LOG;
    process.env.FAKE_PACKER_LOG = path.join(work, 'calls.log');
    try {
      const { profile, os: osm } = checkProfile('profiles/af-south-1.yaml');
      const interruption = new Interruption();
      let publishing = false;
      const record = await buildProfile(profile!, osm!, {
        buildRoot: work,
        packer: await findPacker(FAKE),
        interruption,
        // Copies that take hours: never done within this test.
        aws: {
          share: () => ((publishing = true), interruption.receive('SIGINT', () => {}), new Promise(() => {})),
          tag: () => Promise.reject(new Error('not reached')),
          copy: () => Promise.reject(new Error('not reached')),
          retention: () => Promise.reject(new Error('not reached')),
        },
        onProgress: () => {},
      });
      expect(publishing).toBe(true);
      expect(record.result).toBe('interrupted');
      expect(record.outputs.aws?.copies).toEqual([]);
      const recordFile = path.join(path.dirname(record.log), 'build-record.json');
      expect(record.remaining).toEqual([`AMI ami-0new000000000001 in af-south-1 (built; finishing unfinished, copies already started go on in AWS): go on with cocca-bake build --resume ${recordFile}`]);
      // The record on disk is one --resume can go on from: the bake done, sharing started and not ended.
      const onDisk = JSON.parse(readFileSync(recordFile, 'utf8')) as typeof record;
      expect(onDisk.source?.imageId).toBe('ami-0new000000000001');
      expect(onDisk.stages?.map((st) => [st.name, st.state])).toEqual([['bake', 'done'], ['share', 'pending'], ['tags', 'pending'], ['copies', 'pending'], ['retention', 'pending']]);
      expect(onDisk.stages?.[1]?.startedAt).toBeDefined();
    } finally {
      if (prev === undefined) delete process.env.FAKE_PACKER_LOG;
      else process.env.FAKE_PACKER_LOG = prev;
    }
  });
});
