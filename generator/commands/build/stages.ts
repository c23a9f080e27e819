// The stages of a build, as the build record keeps them: written when each starts and ends, so
// the record on disk is accurate whenever the process stops, and a resumed build knows where
// to go on. A stage that has started but not ended stays 'pending' with a startedAt.
import type { BuildRecord, Stage, StageName } from './record.js';

/** Packer makes the AMI; then it is shared (IMDSv2, launch permissions), tagged, copied, and old images retired. */
export const AWS_STAGES: readonly StageName[] = ['bake', 'share', 'tags', 'copies', 'retention'];

export function newStages(target: 'aws' | 'qemu'): Stage[] {
  return (target === 'aws' ? AWS_STAGES : (['bake'] as const)).map((name) => ({ name, state: 'pending' }));
}

export function stageOf(record: BuildRecord, name: StageName): Stage {
  const stage = record.stages?.find((s) => s.name === name);
  if (!stage) throw new Error(`the build record has no stage ${name}`);
  return stage;
}

/** The first stage neither done nor skipped: where a resumed build starts. */
export function firstOpenStage(record: BuildRecord): Stage | undefined {
  return record.stages?.find((s) => s.state !== 'done' && s.state !== 'skipped');
}

export interface StageClock {
  now: () => Date;
  /** Writes the record to disk. */
  save: () => void;
}

/** Marks a stage started (saved), runs it, and marks it done with its detail or failed with the error (saved). */
export async function runStage<T>(record: BuildRecord, name: StageName, clock: StageClock, fn: () => Promise<{ value: T; detail?: string }>): Promise<T> {
  const stage = stageOf(record, name);
  Object.assign(stage, { state: 'pending', startedAt: clock.now().toISOString() });
  delete stage.finishedAt;
  delete stage.detail;
  clock.save();
  try {
    const { value, detail } = await fn();
    Object.assign(stage, { state: 'done', finishedAt: clock.now().toISOString(), ...(detail ? { detail } : {}) });
    return value;
  } catch (err) {
    Object.assign(stage, { state: 'failed', finishedAt: clock.now().toISOString(), detail: (err as Error).message });
    throw err;
  } finally {
    clock.save();
  }
}

export function skipStage(record: BuildRecord, name: StageName, why: string, clock: StageClock): void {
  Object.assign(stageOf(record, name), { state: 'skipped', detail: why, finishedAt: clock.now().toISOString() });
  clock.save();
}
