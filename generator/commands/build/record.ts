// The build record: what went in (profile, versions, checksums, base image, Packer) and what
// came out (images, their checksums), with timings. A qcow2 is in `outputs` only when the build
// succeeded; an AMI's `outputs.aws` fills in stage by stage (the copies made so far), so that
// `--resume` goes on from it: `result` and `stages` say whether it is finished.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Artifact, ResolvedProfile } from '../../profile/types.js';
import { COCCA_BAKE_VERSION } from '../../version.js';
import { newStages } from './stages.js';

export interface StepTiming {
  source: string;
  phase: string;
  step: string;
  ms?: number;
  ok: boolean;
}

export interface AwsOutput {
  region: string;
  imageId: string;
  copies: Array<{ region: string; ok: boolean; imageId?: string; error?: string; startedAt?: string; finishedAt?: string }>;
  retention?: Array<{ region: string; deregistered: string[]; kept: string[]; error?: string }>;
}

export type StageName = 'bake' | 'share' | 'tags' | 'copies' | 'retention';

export interface Stage {
  name: StageName;
  state: 'done' | 'failed' | 'skipped' | 'pending';
  startedAt?: string;
  finishedAt?: string;
  detail?: string;
}

export interface QemuOutput {
  path: string;
  bytes: number;
  sha256: string;
}

/** The image's SBOM beside the record, and the package list it was made from; or why there is none. */
export type SbomRecord =
  | { file: string; sha256: string; packages: number; packageList: { file: string; sha256: string } }
  | { missing: string };

export interface BuildRecord {
  schema: 'cocca-bake/build-record/v1';
  coccaBake: string;
  profile: string;
  profileFile: string;
  profileDigest: string;
  target: 'aws' | 'qemu';
  packer: { path: string; version: string; flavor: string };
  artifacts: Record<string, Artifact>;
  baseImage: { imageId?: string; url?: string; sha256?: string };
  outputs: { aws?: AwsOutput; qemu?: QemuOutput };
  /** build: set once the bake succeeded (sbom.cdx.json, image-packages.tsv). */
  sbom?: SbomRecord;
  steps: StepTiming[];
  /** resume: the finishing stages of a build, in order; a resumed build continues from the first not 'done'. */
  stages?: Stage[];
  /** resume: the AMI the bake made (or `publish` was given) and the record digest its tags and copies carry, fixed when the bake ended. */
  source?: { region: string; imageId: string; recordDigest: string };
  startedAt: string;
  finishedAt?: string;
  totalMs?: number;
  /** build: 'interrupted' when SIGINT/SIGTERM ended it. */
  result: 'running' | 'ok' | 'failed' | 'interrupted';
  failedStep?: string;
  error?: string;
  log: string;
  /** build: after an interruption, the cloud resources that may remain (e.g. "EC2 instance i-…", "key pair packer_…", "security group sg-…"), as far as Packer's output named them. */
  remaining?: string[];
  /** build: the last lines of packer.log when the build failed. */
  logTail?: string[];
  /** SHA-256 of this record without the digest itself; images are tagged with it. */
  digest?: string;
}

export function recordDigest(record: BuildRecord): string {
  const { digest: _omit, ...rest } = record;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * Rewritten at every stage and copy: through a synced temporary file and a rename, so a full
 * disk or a kill mid-write leaves the previous record whole (--resume reads it), never half of one.
 */
export function writeRecord(file: string, record: BuildRecord): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, `${JSON.stringify({ ...record, digest: recordDigest(record) }, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** A build's folder: BUILD_ROOT/PROFILE/STAMP-KIND (kind: the target, or aws-publish). */
export function buildDir(buildRoot: string, profile: string, started: Date, kind: string): string {
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return path.resolve(buildRoot, profile, `${stamp}-${kind}`);
}

/** A record as a build begins: what the profile says, nothing done yet. */
export function newRecord(
  profile: ResolvedProfile,
  target: BuildRecord['target'],
  begin: Pick<BuildRecord, 'artifacts' | 'baseImage' | 'startedAt' | 'log'>,
): BuildRecord {
  return {
    schema: 'cocca-bake/build-record/v1',
    coccaBake: COCCA_BAKE_VERSION,
    profile: profile.name,
    profileFile: profile.sourceFile,
    profileDigest: profile.digest,
    target,
    packer: { path: '', version: '', flavor: '' },
    artifacts: begin.artifacts,
    baseImage: begin.baseImage,
    outputs: {},
    steps: [],
    stages: newStages(target),
    startedAt: begin.startedAt,
    result: 'running',
    log: begin.log,
  };
}
