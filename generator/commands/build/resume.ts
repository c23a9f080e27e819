// `build --resume RECORD` and `publish PROFILE AMI`: finish an AMI without baking again. Both
// continue a build record from its first stage not done (finish.ts) and write it back as each
// stage starts and ends.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedProfile } from '../../profile/types.js';
import { finishAwsStages } from './finish.js';
import type { AwsPublisher, ProgressEvent } from './index.js';
import { buildDir, newRecord, recordDigest, writeRecord, type BuildRecord } from './record.js';
import { recordProblem } from './record-input.js';
import { AWS_STAGES, firstOpenStage, skipStage } from './stages.js';

/** A record that cannot be resumed, or a profile that no longer fits it: the user's to fix. */
export class ResumeError extends Error {}

/** The record at `file`, checked to be one cocca-bake wrote. */
export function readRecord(file: string): BuildRecord {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResumeError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory (give its build-record.json)' : (err as Error).message}`);
  }
  let record: BuildRecord;
  try {
    record = JSON.parse(text) as BuildRecord;
  } catch {
    throw new ResumeError(`${file} is not JSON: not a build record`);
  }
  if (record?.schema !== 'cocca-bake/build-record/v1') throw new ResumeError(`${file} is not a cocca-bake build record (no "schema": "cocca-bake/build-record/v1")`);
  // The same shape check the report makes: a hand-edited record is refused here, not deep in a stage.
  const problem = recordProblem(record);
  if (problem) throw new ResumeError(`${file}: ${problem}`);
  return record;
}

/** Why this record cannot be resumed with this profile, or undefined when it can. */
export function resumeProblem(file: string, record: BuildRecord, profile: ResolvedProfile): string | undefined {
  if (record.target !== 'aws') return `${file} is a ${record.target} build: only an AWS build has stages after the bake to resume; build again`;
  if (!record.stages) return `${file} was written by a cocca-bake without build stages: it cannot be resumed; finish its AMI with cocca-bake publish PROFILE AMI-ID`;
  const names = record.stages.map((s) => s.name).join(', ');
  if (names !== AWS_STAGES.join(', ')) return `${file}: its stages are ${names || 'none'}, not ${AWS_STAGES.join(', ')}: not a record cocca-bake wrote`;
  const open = firstOpenStage(record);
  if (!open) return `${file} is already complete (${record.stages.map((s) => `${s.name} ${s.state}`).join(', ')}): nothing to resume`;
  if (open.name === 'bake' || !record.source) return `${file}: the bake did not finish (stage bake ${open.name === 'bake' ? open.state : 'has no AMI'}${record.error ? `: ${record.error}` : ''}): there is no AMI to finish; build again`;
  if (record.profile !== profile.name) return `${file} is a build of profile ${record.profile}, not ${profile.name}`;
  if (record.profileDigest !== profile.digest) {
    return `${profile.sourceFile} changed since ${file} was written (profile digest ${record.profileDigest.slice(0, 12)}... then, ${profile.digest.slice(0, 12)}... now): a resumed build finishes the AMI as the profile was; restore the profile, or build again`;
  }
  return undefined;
}

export interface FinishOptions {
  aws: AwsPublisher;
  onProgress: (e: ProgressEvent) => void;
  /** False: retention skipped (--no-prune). */
  prune?: boolean;
  now?: () => Date;
}

/** Runs the open stages of `record` (written to `file` throughout) and returns the record as written. */
async function continueRecord(file: string, record: BuildRecord, profile: ResolvedProfile, opts: FinishOptions): Promise<BuildRecord> {
  const now = opts.now ?? (() => new Date());
  const begun = now();
  const say = (message: string) => opts.onProgress({ kind: 'phase', profile: profile.name, target: 'aws', message, elapsedMs: now().getTime() - begun.getTime() });
  const save = () => writeRecord(file, record);
  record.result = 'running';
  delete record.error;
  delete record.failedStep;
  delete record.finishedAt;
  say(`finishing ${record.source!.imageId} in ${record.source!.region} from stage ${firstOpenStage(record)?.name ?? '(none)'}; record ${file}`);
  save();
  const error = await finishAwsStages(profile, record, { say, clock: { now, save }, aws: opts.aws, prune: opts.prune !== false, onProgress: opts.onProgress, recordFile: file });
  if (error) Object.assign(record, { result: 'failed', error });
  else record.result = 'ok';
  record.finishedAt = now().toISOString();
  record.totalMs = now().getTime() - Date.parse(record.startedAt);
  save();
  const written = { ...record, digest: recordDigest(record) };
  opts.onProgress({ kind: 'result', profile: profile.name, target: 'aws', record: written });
  return written;
}

/** `build --resume`: the caller has read the record and checked it with resumeProblem. */
export async function resumeBuild(file: string, record: BuildRecord, profile: ResolvedProfile, opts: FinishOptions): Promise<BuildRecord> {
  const problem = resumeProblem(file, record, profile);
  if (problem) throw new ResumeError(problem);
  return continueRecord(file, record, profile, opts);
}

export function amiIdProblem(imageId: string): string | undefined {
  return /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(imageId) ? undefined : `${JSON.stringify(imageId)} is not an AMI id (ami- and 8 or 17 hex digits)`;
}


/**
 * `publish PROFILE AMI-ID`: an AMI in the profile's build region that was baked but never
 * finished (or made before records had stages) gets a new record, its bake stage 'skipped',
 * and the finishing stages. The AMI must carry the profile's tag: nothing else is published.
 */
export async function publishAmi(profile: ResolvedProfile, imageId: string, opts: FinishOptions & { buildRoot: string; checkImage: (region: string, imageId: string) => Promise<{ problem?: string; recordDigest?: string }> }): Promise<BuildRecord> {
  const bad = amiIdProblem(imageId);
  if (bad) throw new ResumeError(bad);
  const target = profile.targets.aws;
  if (!target) throw new ResumeError(`profile ${profile.name} has no targets.aws: nothing to publish to`);
  let seen: { problem?: string; recordDigest?: string };
  try {
    seen = await opts.checkImage(target.region, imageId);
  } catch (err) {
    seen = { problem: `cannot look at ${imageId} in ${target.region}: ${(err as Error).message}` };
  }
  if (seen.problem) throw new ResumeError(seen.problem);
  const now = opts.now ?? (() => new Date());
  const started = now();
  const dir = buildDir(opts.buildRoot, profile.name, started, 'aws-publish');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'build-record.json');
  // Not baked here: what went into the AMI is on its tags, not known to this record.
  const record = newRecord(profile, 'aws', { artifacts: {}, baseImage: {}, startedAt: started.toISOString(), log: path.join(dir, 'packer.log') });
  skipStage(record, 'bake', `not baked here: cocca-bake publish ${imageId}`, { now, save: () => {} });
  // A lost build's digest when it tagged the AMI: the copies it started carry it and are picked up.
  record.source = { region: target.region, imageId, recordDigest: seen.recordDigest ?? recordDigest(record) };
  return continueRecord(file, record, profile, opts);
}
