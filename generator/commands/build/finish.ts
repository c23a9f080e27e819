// The AWS finishing stages of a build, in order, each recorded as it starts and ends: share
// (IMDSv2, launch permissions), tags, copies, retention. Starts at the first stage not done,
// so a new build, `build --resume` and `publish` all go through here; and what `build --dry-run`
// does instead of them (the retention preview).
import type { CopyProgress } from '../../aws/publish.js';
import { formatRetention, type RetentionReport } from '../../aws/retention.js';
import type { ResolvedProfile } from '../../profile/types.js';
import type { AwsPublisher, ProgressEvent } from './index.js';
import type { AwsOutput, BuildRecord } from './record.js';
import { runStage, skipStage, stageOf, type StageClock } from './stages.js';

export interface FinishContext {
  profile: ResolvedProfile;
  /** With `source` and `stages` set. */
  record: BuildRecord;
  clock: StageClock;
  /** False: retention is skipped (recorded as such). */
  prune: boolean;
  say: (message: string) => void;
  onCopy: (e: CopyProgress) => void;
  /** True once SIGINT/SIGTERM came: no further stage starts (above all not retention). */
  stopped?: () => boolean;
}

const open = (record: BuildRecord, name: Parameters<typeof stageOf>[1]) => !['done', 'skipped'].includes(stageOf(record, name).state);

export function retentionOutput(reports: RetentionReport[]): NonNullable<AwsOutput['retention']> {
  return reports.map((r) => ({
    region: r.region,
    deregistered: r.outcomes.filter((o) => o.action === 'deleted').map((o) => o.imageId),
    kept: r.outcomes.filter((o) => o.action === 'kept').map((o) => o.imageId),
    ...(r.error ? { error: r.error } : !r.ok ? { error: r.outcomes.flatMap((o) => [o.error, ...o.snapshots.map((s) => s.error)]).filter(Boolean).join('; ') } : {}),
  }));
}

/** Runs every open AWS stage; throws (the stage recorded as failed) at the first that fails. */
export async function finishAws(aws: AwsPublisher, ctx: FinishContext): Promise<void> {
  const { profile, record, clock } = ctx;
  const source = record.source;
  if (!source) throw new Error('the build record names no AMI to finish');
  const target = profile.targets.aws!;
  const output: AwsOutput = (record.outputs.aws ??= { region: source.region, imageId: source.imageId, copies: [] });
  // A stage still open, and no stop asked for: an interrupted build leaves the rest to --resume.
  const next = (name: Parameters<typeof stageOf>[1]) => open(record, name) && ctx.stopped?.() !== true;

  if (next('share')) {
    ctx.say(`sharing ${source.imageId}: IMDSv2, launch permissions ${target.public ? 'PUBLIC and ' : ''}${target.shareWith.join(', ') || '(this account only)'}`);
    await runStage(record, 'share', clock, async () => {
      const warnings = await aws.share({ profile, source });
      return { value: undefined, ...(warnings.length ? { detail: warnings.join('; ') } : {}) };
    });
  }
  if (next('tags')) {
    ctx.say(`tagging ${source.imageId} and its snapshots`);
    await runStage(record, 'tags', clock, async () => ({ value: await aws.tag({ profile, source }) }));
  }
  if (next('copies')) {
    // A copy an earlier attempt finished stays as recorded; the others are (re)done, and an
    // earlier attempt's copy still on its way is picked up by the record digest it carries.
    const regions = target.copyTo.filter((r) => r !== source.region && !output.copies.some((c) => c.region === r && c.ok));
    ctx.say(regions.length ? `copying ${source.imageId} to ${regions.join(', ')}` : 'no copies to make');
    await runStage(record, 'copies', clock, async () => {
      if (regions.length > 0) await aws.copy({
        profile,
        source,
        regions,
        onProgress: ctx.onCopy,
        onResult: (c) => {
          output.copies = [...output.copies.filter((o) => o.region !== c.region), { region: c.region, ok: c.ok, ...(c.imageId && { imageId: c.imageId }), ...(c.error && { error: c.error }), ...(c.startedAt && { startedAt: c.startedAt }), ...(c.finishedAt && { finishedAt: c.finishedAt }) }];
          clock.save();
        },
      });
      // In the profile's order, whatever order they finished in.
      output.copies.sort((a, b) => target.copyTo.indexOf(a.region) - target.copyTo.indexOf(b.region));
      const failed = output.copies.filter((c) => !c.ok);
      if (failed.length > 0) throw new Error(`copies failed in ${failed.map((c) => `${c.region} (${c.error})`).join(', ')}`);
      return { value: undefined, detail: output.copies.map((c) => `${c.region} ${c.imageId}`).join(', ') || 'none' };
    });
  }
  if (next('retention')) {
    if (!ctx.prune) {
      skipStage(record, 'retention', '--no-prune', clock);
      return;
    }
    ctx.say(`retention: keeping the ${target.keep} newest images of ${profile.name} in each region`);
    await runStage(record, 'retention', clock, async () => {
      const built = [source.imageId, ...output.copies.flatMap((c) => (c.imageId ? [c.imageId] : []))];
      const reports = await aws.retention({ profile, protect: built, dryRun: false });
      output.retention = retentionOutput(reports);
      for (const line of formatRetention(reports).trimEnd().split('\n')) ctx.say(line);
      const failed = output.retention.filter((r) => r.error);
      if (failed.length > 0) throw new Error(`the images are finished, but retention failed in ${failed.map((r) => `${r.region} (${r.error})`).join(', ')}`);
      const gone = output.retention.flatMap((r) => r.deregistered);
      return { value: undefined, detail: gone.length ? `deregistered ${gone.join(', ')}` : 'nothing to deregister' };
    });
  }
}

interface StageEnv {
  say: (message: string) => void;
  clock: StageClock;
  prune: boolean;
}

/** The AWS stages after the bake (or on resume); the error message when one failed, with how to go on. */
export async function finishAwsStages(
  profile: ResolvedProfile,
  record: BuildRecord,
  env: StageEnv & { aws: AwsPublisher; onProgress: (e: ProgressEvent) => void; recordFile: string; stopped?: () => boolean },
): Promise<string | undefined> {
  try {
    await finishAws(env.aws, { profile, record, clock: env.clock, prune: env.prune, say: env.say, stopped: env.stopped, onCopy: (e) => env.onProgress({ kind: 'copy', profile: profile.name, target: 'aws', ...e }) });
    return undefined;
  } catch (err) {
    const resume = `go on with: cocca-bake build --resume ${env.recordFile}`;
    if (record.stages?.find((s) => s.state === 'failed')?.name === 'retention') return `${(err as Error).message}; ${resume}`;
    return `the AMI ${record.source!.imageId} was built but could not be finished: ${(err as Error).message}; ${resume}`;
  }
}

/** --dry-run: nothing baked; for AWS, what retention would deregister and delete now. */
export async function dryRunEnd(profile: ResolvedProfile, record: BuildRecord, env: StageEnv & { aws?: AwsPublisher }): Promise<void> {
  skipStage(record, 'bake', 'dry run: rendered and packer validate only', env.clock);
  if (record.target !== 'aws') {
    record.result = 'ok';
    return;
  }
  for (const name of ['share', 'tags', 'copies'] as const) skipStage(record, name, 'dry run', env.clock);
  if (!env.prune) {
    skipStage(record, 'retention', 'dry run; --no-prune', env.clock);
  } else {
    if (!env.aws) throw new Error('no AWS publisher configured');
    env.say(`retention preview (dry run, nothing deleted): the ${profile.targets.aws!.keep} newest images of ${profile.name} stay in each region`);
    const reports = await env.aws.retention({ profile, protect: [], dryRun: true });
    for (const line of formatRetention(reports).trimEnd().split('\n')) env.say(line);
    const would = reports.flatMap((r) => r.outcomes.filter((o) => o.action === 'would-delete').map((o) => o.imageId));
    skipStage(record, 'retention', `dry run: would deregister ${would.join(', ') || 'nothing'}`, env.clock);
    const failed = reports.filter((r) => r.error);
    if (failed.length > 0) throw new Error(`the retention preview failed in ${failed.map((r) => `${r.region} (${r.error})`).join(', ')}`);
  }
  record.result = 'ok';
}
