// `cocca-bake build` over several profiles: each builds (or fails, or is interrupted) on its own,
// a signal stops them all and starts no new one, and a summary lists every profile at the end.
import path from 'node:path';
import type { FrozenPackages } from '../../components/model.js';
import type { OsModule } from '../../os/types.js';
import type { ResolvedProfile } from '../../profile/types.js';
import { buildMany, buildProfile, chooseTarget, type AwsPublisher, type ProgressEvent, type Target } from './index.js';
import { formatProgress, formatSummary, type Outcome } from './report.js';
import { EXIT_CODE, Interruption } from './signals.js';

export interface BuildCommandOptions {
  target?: Target;
  buildDir: string;
  parallel: number;
  json?: boolean;
  aws?: AwsPublisher;
  dryRun?: boolean;
  prune?: boolean;
  /** Profiles that failed before building (invalid): in the summary and the exit status. */
  rejected?: Outcome[];
}

/** Seconds of Packer silence before a heartbeat line: 30, or COCCA_BAKE_HEARTBEAT. */
function quietMs(env = process.env): number {
  const s = Number(env.COCCA_BAKE_HEARTBEAT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

/** The target a build would have had, for the summary; none when that is the mistake. */
function targetOf(profile: ResolvedProfile, wanted?: Target): Target | undefined {
  try {
    return chooseTarget(profile, wanted);
  } catch {
    return undefined;
  }
}

/** Builds every profile; returns the exit code (0, 1 when any failed, 130/143/129 when SIGINT/SIGTERM/SIGHUP stopped it). */
export async function runBuildCommand(profiles: Array<{ file: string; profile: ResolvedProfile; os: OsModule; frozen?: FrozenPackages }>, opts: BuildCommandOptions): Promise<number> {
  const out = (line: string) => process.stderr.write(line);
  const progress = opts.json ? (e: ProgressEvent) => process.stdout.write(`${JSON.stringify(e)}\n`) : (e: ProgressEvent) => out(formatProgress(e));
  const interruption = new Interruption();
  const unlisten = interruption.listen((line) => out(`cocca-bake: ${line}\n`));
  try {
    const built = await buildMany(profiles, opts.parallel, async ({ file, profile, os, frozen }): Promise<Outcome> => {
      if (interruption.requested) return { profile: profile.name, target: targetOf(profile, opts.target), result: 'not started', reason: `stopped by ${interruption.signal} before it began` };
      try {
        const record = await buildProfile(profile, os, { target: opts.target, buildRoot: opts.buildDir, aws: opts.aws, dryRun: opts.dryRun, prune: opts.prune, onProgress: progress, interruption, quietMs: quietMs(), frozen });
        const recordFile = path.join(path.dirname(record.log), 'build-record.json');
        return { profile: profile.name, target: record.target, result: record.result === 'running' ? 'failed' : record.result, record: recordFile, reason: record.error };
      } catch (err) {
        // Whatever one profile's build throws stays with that profile.
        const reason = `${file}: ${(err as Error).message}`;
        if (opts.json) process.stdout.write(`${JSON.stringify({ kind: 'error', profile: profile.name, message: reason })}\n`);
        else out(`[${profile.name}] FAILED: ${reason}\n`);
        return { profile: profile.name, target: targetOf(profile, opts.target), result: 'failed', reason };
      }
    });
    const outcomes = [...(opts.rejected ?? []), ...built];
    if (opts.json) process.stdout.write(`${JSON.stringify({ kind: 'summary', outcomes })}\n`);
    else if (outcomes.length > 1 || interruption.requested) out(formatSummary(outcomes));
    if (interruption.signal) return EXIT_CODE[interruption.signal];
    const failed = outcomes.filter((o) => o.result !== 'ok').length;
    if (failed > 0) out(`cocca-bake: ${failed} of ${outcomes.length} builds failed\n`);
    return failed > 0 ? 1 : 0;
  } finally {
    unlisten();
  }
}
