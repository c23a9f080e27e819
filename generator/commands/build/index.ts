// `cocca-bake build`: one profile to an image. Render into a build folder, run Packer (init
// where it has it, validate, build), follow our steps in its output, then finish the image
// (AWS: sharing, tags, copies, retention) and write the build record.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { renderOutputs } from '../../emit/output.js';
import { packerBuildName, qemuOutputDir } from '../../emit/packer.js';
import { writeOutputs } from '../../emit/write.js';
import type { OsModule } from '../../os/types.js';
import { artifactSources } from '../../profile/rules.js';
import type { ResolvedProfile } from '../../profile/types.js';
import { plan } from '../../components/index.js';
import { stepId, type FrozenPackages, type Phase } from '../../components/model.js';
import { logTail } from './log-tail.js';
import { findPacker, runPacker, type PackerInfo } from './packer-cli.js';
import { parseLine, type BuildEvent } from './progress.js';
import type { CopyProgress, CopyResult } from '../../aws/publish.js';
import type { RetentionReport } from '../../aws/retention.js';
import { dryRunEnd, finishAwsStages } from './finish.js';
import { buildDir, newRecord, recordDigest, writeRecord, type BuildRecord } from './record.js';
import { ResourceTracker } from './remaining.js';
import { writeBuildSeed } from './seed.js';
import type { Interruption } from './signals.js';
import { writeBuildSbom } from './sbom.js';
import { stageOf } from './stages.js';

export type Target = 'aws' | 'qemu';

/** What an operator sees while a build runs. */
export type ProgressEvent =
  | { kind: 'phase'; profile: string; target: Target; message: string; elapsedMs: number }
  | { kind: 'step'; profile: string; target: Target; phase: Phase; index: number; total: number; step: string; title: string; state: 'start' | 'done' | 'failed'; ms?: number; elapsedMs: number }
  | ({ kind: 'copy'; profile: string; target: Target } & CopyProgress)
  | { kind: 'quiet'; profile: string; target: Target; silentMs: number; lastSaid?: string; elapsedMs: number }
  | { kind: 'result'; profile: string; target: Target; record: BuildRecord };

type AwsSource = NonNullable<BuildRecord['source']>;

/** Finishing an AMI after Packer made it, one method per stage (finish.ts runs them): injected so tests need no AWS. */
export interface AwsPublisher {
  /** Problems that would make the build useless (a region the account has not enabled): checked first. */
  preflight?(profile: ResolvedProfile): Promise<string[]>;
  /** IMDSv2 and the launch permissions; returns warnings (a public image). */
  share(input: { profile: ResolvedProfile; source: AwsSource }): Promise<string[]>;
  tag(input: { profile: ResolvedProfile; source: AwsSource }): Promise<void>;
  copy(input: { profile: ResolvedProfile; source: AwsSource; regions: string[]; onProgress: (e: CopyProgress) => void; onResult: (r: CopyResult) => void }): Promise<CopyResult[]>;
  retention(input: { profile: ResolvedProfile; protect: string[]; dryRun: boolean }): Promise<RetentionReport[]>;
}

export interface BuildOptions {
  target?: Target;
  buildRoot: string;
  packer?: PackerInfo;
  aws?: AwsPublisher;
  onProgress: (e: ProgressEvent) => void;
  now?: () => Date;
  /** Render, packer validate and (AWS) a retention preview; no bake, nothing changed in AWS. */
  dryRun?: boolean;
  /** False: no retention after the build (--no-prune). Default true. */
  prune?: boolean;
  /** SIGINT/SIGTERM: Packer is stopped and waited for, and the record says 'interrupted'. */
  interruption?: Interruption;
  /** A 'quiet' event after this long without a word from Packer (default 30 s). */
  quietMs?: number;
  /** `--frozen`: install exactly these package versions (the lock's entry for the profile). */
  frozen?: FrozenPackages;
}


async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function chooseTarget(profile: ResolvedProfile, wanted?: Target): Target {
  if (wanted) {
    if (!profile.targets[wanted]) throw new Error(`profile ${profile.name} has no targets.${wanted}`);
    return wanted;
  }
  if (profile.targets.aws) return 'aws';
  if (profile.targets.qemu) return 'qemu';
  throw new Error(`profile ${profile.name} has no build target: add targets.aws or targets.qemu`);
}

export async function buildProfile(profile: ResolvedProfile, os: OsModule, opts: BuildOptions): Promise<BuildRecord> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const target = chooseTarget(profile, opts.target);
  const source = `${packerBuildName(profile)}.${target === 'aws' ? 'amazon-ebs.cocca' : 'qemu.cocca'}`;
  const dir = buildDir(opts.buildRoot, profile.name, started, target);
  const log = path.join(dir, 'packer.log');
  const recordFile = path.join(dir, 'build-record.json');
  const elapsed = () => now().getTime() - started.getTime();
  const say = (message: string) => opts.onProgress({ kind: 'phase', profile: profile.name, target, message, elapsedMs: elapsed() });

  // Planned once: progress counts these steps, and the render below arranges the same plan.
  const planned = plan(profile, os, { frozen: opts.frozen });
  const steps = planned.steps;
  const record = newRecord(profile, target, {
    // What this build downloads: not the JDK tarball when Java comes from apt, not OpenSSL when it is off.
    artifacts: Object.fromEntries(artifactSources(profile).filter((s) => s.used).map((s) => [s.name, profile.downloads[s.name]])) as BuildRecord['artifacts'],
    baseImage: target === 'qemu' ? { url: profile.targets.qemu!.baseImage.url, sha256: profile.targets.qemu!.baseImage.sha256 } : {},
    startedAt: started.toISOString(),
    log,
  });

  // Written as each stage starts and ends: a crash leaves an accurate record.
  const save = () => {
    mkdirSync(dir, { recursive: true });
    writeRecord(recordFile, record);
  };
  const clock = { now, save };
  const fail = (error: string, failedStep?: string): BuildRecord => {
    for (const stage of record.stages ?? []) if (stage.state === 'pending' && stage.startedAt && !stage.finishedAt) Object.assign(stage, { state: 'failed', finishedAt: now().toISOString(), detail: error });
    record.result = 'failed';
    record.error = error;
    record.failedStep = failedStep ?? record.steps.find((s) => !s.ok)?.step;
    if (existsSync(log)) record.logTail = logTail(log, 30);
    return finish();
  };
  // What Packer named as it made temporary cloud resources, for the record of an interrupted build.
  const resources = new ResourceTracker();
  let packerKilled = false;
  const interrupted = (more: string[] = []): BuildRecord => {
    record.result = 'interrupted';
    record.error = `interrupted by ${opts.interruption?.signal ?? 'a signal'}${packerKilled ? ' (Packer was killed before its clean-up ended)' : ''}`;
    record.remaining = [...resources.remaining(!packerKilled), ...more];
    return finish();
  };
  const stopping = () => opts.interruption?.requested === true;
  const finish = (): BuildRecord => {
    record.finishedAt = now().toISOString();
    record.totalMs = elapsed();
    save();
    const written = { ...record, digest: recordDigest(record) };
    opts.onProgress({ kind: 'result', profile: profile.name, target, record: written });
    return written;
  };

  let packer: PackerInfo;
  try {
    packer = opts.packer ?? (await findPacker());
  } catch (err) {
    return fail((err as Error).message);
  }
  record.packer = { path: packer.path, version: packer.version, flavor: packer.flavor };

  say(`rendering for Packer ${packer.version} (${packer.flavor}) into ${dir}`);
  const { files } = renderOutputs(profile, os, planned, { packerFlavor: packer.flavor });
  writeOutputs(dir, files);
  const packerDir = path.join(dir, 'packer');

  const env: Record<string, string> = { TMPDIR: path.join(dir, 'tmp') };
  mkdirSync(env.TMPDIR!, { recursive: true });
  if (target === 'qemu') {
    try {
      env.PKR_VAR_build_password = (await writeBuildSeed(packerDir)).password;
    } catch (err) {
      return fail((err as Error).message);
    }
  }
  // The EC2 API does the copies, each region on its own (see AwsPublisher), not Packer.
  if (target === 'aws') env.PKR_VAR_ami_regions = '[]';

  const onEvent = (e: BuildEvent) => {
    if (e.kind === 'base-image') record.baseImage.imageId = e.imageId;
    if (e.kind !== 'step-start' && e.kind !== 'step-done' && e.kind !== 'step-failed') return;
    const list = steps[e.phase];
    const index = list.findIndex((s) => stepId(s) === e.step);
    const title = list[index]?.title ?? e.step;
    if (e.kind === 'step-start') record.steps.push({ source: e.source, phase: e.phase, step: e.step, ok: false });
    const entry = [...record.steps].reverse().find((s) => s.step === e.step && s.phase === e.phase);
    if (e.kind === 'step-done' && entry) Object.assign(entry, { ms: e.ms, ok: true });
    opts.onProgress({
      kind: 'step',
      profile: profile.name,
      target,
      phase: e.phase,
      index: index + 1,
      total: list.length,
      step: e.step,
      title,
      state: e.kind === 'step-start' ? 'start' : e.kind === 'step-done' ? 'done' : 'failed',
      ms: e.kind === 'step-done' ? e.ms : undefined,
      elapsedMs: elapsed(),
    });
  };
  const run = async (args: string[]) => {
    const r = await runPacker(packer, args, {
      cwd: packerDir,
      log,
      machineLog: path.join(dir, 'packer-machine.log'),
      env,
      interruption: opts.interruption,
      quietMs: opts.quietMs,
      onQuiet: (silentMs, lastSaid) => opts.onProgress({ kind: 'quiet', profile: profile.name, target, silentMs, lastSaid, elapsedMs: elapsed() }),
      onLine: (l) => {
        resources.see(l);
        const e = parseLine(l);
        if (e) onEvent(e);
      },
    });
    packerKilled ||= r.killed;
    return r.exitCode;
  };

  if (target === 'aws' && opts.aws?.preflight) {
    say('checking the regions');
    const problems = await opts.aws.preflight(profile);
    if (problems.length > 0) return fail(problems.join('; '));
  }
  if (stopping()) return interrupted();
  if (packer.flavor === 'modern') {
    say('packer init');
    const code = await run(['init', '.']);
    if (stopping()) return interrupted();
    if (code !== 0) return fail(`packer init failed; see ${log}`);
  }
  say('packer validate');
  const validated = await run(['validate', '-machine-readable', '.']);
  if (stopping()) return interrupted();
  if (validated !== 0) return fail(`packer validate failed; see ${log}`);
  if (opts.dryRun) return dryRunEnd(profile, record, { say, clock, aws: target === 'aws' ? opts.aws : undefined, prune: opts.prune !== false }).then(finish, (err: Error) => fail(err.message));
  Object.assign(stageOf(record, 'bake'), { startedAt: now().toISOString() });
  save();
  say(`packer build (${source})`);
  // On error Packer removes what it made (instance, volumes, a half-made AMI): nothing half-built is kept.
  const baked = await run(['build', '-machine-readable', '-color=false', '-on-error=cleanup', `-only=${source}`, '.']);
  if (stopping()) return interrupted();
  if (baked !== 0) {
    const failed = record.steps.find((s) => !s.ok);
    return fail(failed ? `step ${failed.phase} ${failed.step} failed; see ${log}` : `packer build failed; see ${log}`, failed?.step);
  }

  const manifest = path.join(packerDir, 'packer-manifest.json');
  if (!existsSync(manifest)) return fail(`Packer reported success but wrote no ${manifest}`);
  const builds = (JSON.parse(readFileSync(manifest, 'utf8')) as { builds: Array<{ name: string; builder_type: string; artifact_id: string; files?: Array<{ name: string }> }> }).builds;
  const built = builds[builds.length - 1];
  if (!built) return fail(`no build in ${manifest}`);

  Object.assign(stageOf(record, 'bake'), { state: 'done', finishedAt: now().toISOString() });
  if (target === 'qemu') {
    // The manifest post-processor strips paths: its files are named inside the output directory.
    const qcow2 = built.files?.map((f) => path.resolve(packerDir, qemuOutputDir(profile), path.basename(f.name))).find((f) => f.endsWith('.qcow2'));
    if (!qcow2 || !existsSync(qcow2)) return fail(`Packer's manifest names no qcow2 (${built.artifact_id})`);
    say('checksumming the qcow2');
    record.outputs.qemu = { path: qcow2, bytes: statSync(qcow2).size, sha256: await sha256File(qcow2) };
    record.sbom = writeBuildSbom(dir, packerDir, profile, record, path.basename(qcow2));
    if ('missing' in record.sbom) say(`no SBOM: ${record.sbom.missing}`);
  } else {
    // artifact_id: "af-south-1:ami-0123..." (one region: copies are ours).
    const [region, imageId] = built.artifact_id.split(',')[0]!.split(':');
    if (!region || !imageId) return fail(`cannot read the AMI from Packer's manifest: ${built.artifact_id}`);
    if (!opts.aws) return fail('no AWS publisher configured');
    stageOf(record, 'bake').detail = `${imageId} in ${region}`;
    record.sbom = writeBuildSbom(dir, packerDir, profile, record, `${imageId} in ${region}`);
    if ('missing' in record.sbom) say(`no SBOM: ${record.sbom.missing}`);
    // The digest images and copies are tagged with: the record as the bake left it.
    record.source = { region, imageId, recordDigest: recordDigest(record) };
    save();
    const finished = await untilStopped(
      finishAwsStages(profile, record, { say, clock, aws: opts.aws, prune: opts.prune !== false, onProgress: opts.onProgress, recordFile, stopped: stopping }).then((error) => ({ error })),
      opts.interruption,
    );
    if (!finished) return interrupted([`AMI ${imageId} in ${region} (built; finishing unfinished, copies already started go on in AWS): go on with cocca-bake build --resume ${recordFile}`]);
    if (finished.error) return fail(finished.error);
  }
  record.result = 'ok';
  return finish();
}

/** The promise's value, or undefined as soon as a stop is asked for (the work itself goes on, unwatched). */
function untilStopped<T>(work: Promise<T>, interruption?: Interruption): Promise<T | undefined> {
  if (!interruption) return work;
  if (interruption.requested) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const stop = () => resolve(undefined);
    interruption.once('stop', stop);
    work.then(resolve, reject).finally(() => interruption.off('stop', stop));
  });
}

/** Several profiles at once, at most `parallel` at a time; one failing does not stop the others. */
export async function buildMany<T, R = BuildRecord>(items: T[], parallel: number, build: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await build(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
  return results;
}
