// The report's timelines as data: bars with an offset and a width in percent of their axis.
// Bake steps carry only their duration and ran one after another, so each starts where the
// previous ended; finishing stages and region copies carry clock times.
import type { ReportRecord } from '../commands/build/record-input.js';

export interface Bar {
  label: string;
  /** Percent of the axis. */
  left: number;
  width: number;
  ms?: number;
  state: 'ok' | 'failed' | 'unknown' | 'skipped' | 'pending';
  note?: string;
  /** On a clock timeline: no start and end were recorded, so there is nothing to draw. */
  untimed?: true;
}

export interface StepGroup {
  phase: string;
  ms: number;
  bars: Bar[];
}

export interface StepTimeline {
  totalMs: number;
  groups: StepGroup[];
}

/** Bake and seal steps on one axis: the sum of their durations. */
export function stepTimeline(record: ReportRecord): StepTimeline | undefined {
  if (record.steps.length === 0) return undefined;
  const totalMs = record.steps.reduce((n, s) => n + (s.ms ?? 0), 0);
  const pct = (ms: number) => (totalMs > 0 ? (ms / totalMs) * 100 : 0);
  const groups: StepGroup[] = [];
  let offset = 0;
  for (const s of record.steps) {
    let group = groups[groups.length - 1];
    if (!group || group.phase !== s.phase) groups.push((group = { phase: s.phase, ms: 0, bars: [] }));
    const ms = s.ms ?? 0;
    const failed = !s.ok && record.failedStep === s.step;
    group.bars.push({
      label: s.step,
      left: pct(offset),
      width: pct(ms),
      ms: s.ms,
      state: s.ok ? 'ok' : failed ? 'failed' : 'unknown',
      note: s.ms === undefined ? (failed ? 'failed here' : 'did not finish') : undefined,
    });
    group.ms += ms;
    offset += ms;
  }
  return { totalMs, groups };
}

export interface ClockTimeline {
  start: string;
  totalMs: number;
  bars: Bar[];
}

const time = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

const stageState = (state: string): Bar['state'] =>
  state === 'done' ? 'ok' : state === 'failed' ? 'failed' : state === 'skipped' ? 'skipped' : state === 'pending' ? 'pending' : 'unknown';

/**
 * Finishing stages and region copies on a clock axis from the first start to the last end.
 * Entries without both times (records from before they were kept, a stage never started)
 * are listed with a note instead of a bar; undefined when nothing has times at all.
 */
export function clockTimeline(record: ReportRecord): ClockTimeline | undefined {
  const entries: Array<{ label: string; start?: number; end?: number; state: Bar['state']; note?: string }> = [];
  for (const s of record.stages ?? []) {
    entries.push({ label: `stage ${s.name}`, start: time(s.startedAt), end: time(s.finishedAt), state: stageState(s.state), note: s.detail });
  }
  for (const c of record.outputs.aws?.copies ?? []) {
    entries.push({ label: `copy to ${c.region}`, start: time(c.startedAt), end: time(c.finishedAt), state: c.ok ? 'ok' : 'failed', note: c.error });
  }
  const timed = entries.filter((e) => e.start !== undefined && e.end !== undefined && e.end >= e.start);
  if (timed.length === 0) return undefined;
  const first = Math.min(...timed.map((e) => e.start!));
  const last = Math.max(...timed.map((e) => e.end!));
  const span = last - first;
  const pct = (ms: number) => (span > 0 ? (ms / span) * 100 : 0);
  return {
    start: new Date(first).toISOString(),
    totalMs: span,
    bars: entries.map((e) =>
      e.start !== undefined && e.end !== undefined && e.end >= e.start
        ? { label: e.label, left: pct(e.start - first), width: pct(e.end - e.start), ms: e.end - e.start, state: e.state, note: e.note }
        : { label: e.label, left: 0, width: 0, state: e.state, note: e.note ?? (e.state === 'pending' ? 'not started' : 'no times recorded'), untimed: true as const },
    ),
  };
}

/** 1234 ms -> "1.2 s", 75_000 -> "1 min 15 s", 3_700_000 -> "1 h 01 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s - m * 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Bytes as the operator reads them, with the exact count beside. */
export function size(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[u]} (${bytes} bytes)`;
}
