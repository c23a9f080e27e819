// Realistic build records for the report tests and bench: each made by a real `buildProfile`
// run against the Packer stand-in (test/fixtures/fake-packer; no AWS or cloud here), then
// given what the stand-in cannot produce: step times of the order a real bake takes (the
// stand-in reports 7 ms each) and the optional fields of the shared issue-11 record contract
// (stages, copy times, logTail, remaining) that other parts of the build fill in.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { publisherWith } from '../../generator/commands/build/aws.js';
import { buildProfile } from '../../generator/commands/build/index.js';
import { findPacker } from '../../generator/commands/build/packer-cli.js';
import type { ReportRecord } from '../../generator/build-report/index.js';
import { checkProfile } from '../../generator/check/index.js';
import { world } from './ec2-fake.js';
import { QEMU_PROFILE } from './qemu-profile.js';

const FAKE = path.resolve('test/fixtures/fake-packer/packer');

/** Seconds of a real TCG/EC2 bake for the long steps; the rest a few seconds each, deterministic. */
const LONG: Record<string, number> = { 'openssl.build': 312_400, 'resin.build': 96_800, 'postgres.install': 48_200, 'base.packages': 71_300, 'java.install': 22_900 };
const realisticMs = (step: string, i: number) => LONG[step] ?? 800 + ((i * 3517) % 14_000);

const compiled = (file: string) => {
  const r = checkProfile(file);
  if (!r.profile) throw new Error(`invalid test profile ${file}`);
  return r;
};

const at = (start: string, plusMs: number) => new Date(Date.parse(start) + plusMs).toISOString();

async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

/** An AMI built in af-south-1, copied to two regions, with retention and every finishing stage. */
export async function okAwsRecord(work: string): Promise<ReportRecord> {
  const { profile, os } = compiled('profiles/af-south-1.yaml');
  // The real publisher against the in-memory EC2 (no AWS here): af-south-1 holds the AMI the
  // stand-in reports and three older images of the profile, so retention retires one.
  const w = world('af-south-1', 'eu-west-1');
  w.r['af-south-1']!.add({ id: 'ami-0new000000000001', name: 'cocca-af-south-1-20240501', tags: { 'cocca-bake:profile': 'af-south-1' } });
  ['2024-02-01', '2024-03-01', '2024-04-01'].forEach((day, i) =>
    w.r['af-south-1']!.add({ id: `ami-0old00000000000${i + 1}`, name: `cocca-af-south-1-old${i + 1}`, created: `${day}T00:00:00.000Z`, tags: { 'cocca-bake:profile': 'af-south-1' } }),
  );
  const { preflight: _none, ...publisher } = publisherWith(w.factory, { minDelay: 1, maxDelay: 2, timeout: 60, sleep: async () => {} });
  const built = await withEnv({ FAKE_PACKER_FAIL_AT: undefined, FAKE_PACKER_VERSION: '1.10.0' }, async () =>
    buildProfile(profile!, os!, { buildRoot: work, packer: await findPacker(FAKE), aws: publisher, onProgress: () => {} }),
  );
  if (built.result !== 'ok') throw new Error(`stand-in build failed: ${built.error}`);
  const r = built as ReportRecord;
  r.steps = r.steps.map((s, i) => ({ ...s, ms: realisticMs(s.step, i) }));
  const bakeMs = r.steps.reduce((n, s) => n + (s.ms ?? 0), 0) + 95_000;
  const t0 = r.startedAt;
  const finish = bakeMs + 41_000;
  r.stages = [
    { name: 'bake', state: 'done', startedAt: at(t0, 0), finishedAt: at(t0, bakeMs) },
    { name: 'share', state: 'done', startedAt: at(t0, bakeMs), finishedAt: at(t0, bakeMs + 1_900) },
    { name: 'tags', state: 'done', startedAt: at(t0, bakeMs + 1_900), finishedAt: at(t0, bakeMs + 3_100) },
    { name: 'copies', state: 'done', startedAt: at(t0, bakeMs + 3_100), finishedAt: at(t0, finish + 1_400_000) },
    { name: 'retention', state: 'done', startedAt: at(t0, finish + 1_400_000), finishedAt: at(t0, finish + 1_406_000) },
  ];
  r.outputs.aws!.copies[0] = { ...r.outputs.aws!.copies[0]!, startedAt: at(t0, bakeMs + 3_100), finishedAt: at(t0, finish + 1_400_000) };
  r.finishedAt = at(t0, finish + 1_406_000);
  r.totalMs = finish + 1_406_000;
  return r;
}

/** A qcow2 build that failed at resin.build, with the log's last lines; hostile text in the error and the log. */
export async function failedQemuRecord(work: string, hostile: string): Promise<ReportRecord> {
  const file = path.join(work, 'q.yaml');
  await mkdir(work, { recursive: true });
  await writeFile(
    file,
    QEMU_PROFILE,
  );
  const { profile, os } = compiled(file);
  const built = await withEnv({ FAKE_PACKER_FAIL_AT: 'resin.build', FAKE_PACKER_VERSION: '1.6.6' }, async () =>
    buildProfile(profile!, os!, { buildRoot: work, packer: await findPacker(FAKE), onProgress: () => {} }),
  );
  if (built.result !== 'failed') throw new Error('the stand-in build was to fail');
  const r = built as ReportRecord;
  r.steps = r.steps.map((s, i) => (s.ok ? { ...s, ms: realisticMs(s.step, i) } : s));
  const log = (await readFile(r.log, 'utf8')).trimEnd().split('\n');
  r.logTail = [...log.slice(-6), `    qemu.cocca: ${hostile}`];
  r.error = `${r.error} ${hostile}`;
  return r;
}

/** An AWS build stopped by Ctrl-C during the bake: what may remain, stages pending, no image. */
export async function interruptedRecord(work: string, hostileName: string): Promise<ReportRecord> {
  const r = await okAwsRecord(work);
  const cut = Math.floor(r.steps.length / 2);
  r.steps = r.steps.slice(0, cut + 1).map((s, i) => (i === cut ? { ...s, ms: undefined, ok: false } : s));
  r.result = 'interrupted';
  r.profile = hostileName;
  r.error = 'interrupted by SIGINT; Packer cleaned up for 11 s';
  r.outputs = {};
  r.remaining = ['EC2 instance i-0abc1234def567890', 'key pair packer_674a1b2c-0000', 'security group sg-0123456789abcdef0'];
  r.stages = [
    { name: 'bake', state: 'failed', startedAt: r.startedAt, finishedAt: at(r.startedAt, 400_000), detail: 'interrupted' },
    { name: 'share', state: 'pending' },
    { name: 'tags', state: 'pending' },
    { name: 'copies', state: 'pending' },
    { name: 'retention', state: 'pending' },
  ];
  r.finishedAt = at(r.startedAt, 411_000);
  r.totalMs = 411_000;
  return r;
}
