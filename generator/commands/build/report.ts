// Progress as an operator reads it in a terminal or a CI log: one line per event, and the
// summary of a multi-profile build.
import type { ProgressEvent, Target } from './index.js';

export const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

const recordPath = (log: string) => log.replace(/packer\.log$/, 'build-record.json');

/** What Packer is waiting on, in the words an operator knows, from what it last said. */
function waitingFor(lastSaid: string | undefined): string {
  if (!lastSaid) return 'waiting for Packer';
  if (/Waiting for SSH|Waiting for WinRM|Using ssh communicator/i.test(lastSaid)) return 'waiting for SSH';
  if (/Waiting for (?:the )?(?:instance|AMI|snapshot)|to become ready|Waiting for AMI/i.test(lastSaid)) return 'waiting for AWS';
  if (/Downloading|Retrieving|Copying (?:image|ISO)/i.test(lastSaid)) return 'downloading';
  return 'Packer is quiet';
}

export function formatProgress(e: ProgressEvent): string {
  if (e.kind === 'result') {
    const r = e.record;
    if (r.result === 'ok' && r.stages?.[0]?.state === 'skipped' && r.stages[0].detail?.startsWith('dry run')) {
      return `[${e.profile} ${e.target}] dry run done in ${clock(r.totalMs ?? 0)}: rendered and validated, nothing built or changed\n  record: ${recordPath(r.log)}\n`;
    }
    if (r.result === 'ok') {
      const out = r.outputs.qemu ? `${r.outputs.qemu.path} (${r.outputs.qemu.bytes} bytes, sha256 ${r.outputs.qemu.sha256})` : r.outputs.aws ? [`${r.outputs.aws.region} ${r.outputs.aws.imageId}`, ...r.outputs.aws.copies.map((c) => `${c.region} ${c.imageId}`)].join(', ') : '';
      return `[${e.profile} ${e.target}] built in ${clock(r.totalMs ?? 0)}: ${out}\n  record: ${recordPath(r.log)}\n`;
    }
    if (r.result === 'interrupted') {
      const left = r.remaining && r.remaining.length > 0 ? `  may remain (check and delete by hand):\n${r.remaining.map((x) => `    ${x}\n`).join('')}` : '  nothing Packer named is known to remain\n';
      return `[${e.profile} ${e.target}] INTERRUPTED: ${r.error}\n${left}  record: ${recordPath(r.log)}\n`;
    }
    // The log is named only when there is one (not when Packer could not even be run).
    const tail = r.logTail && r.logTail.length > 0 ? `  last lines of ${r.log}:\n${r.logTail.map((l) => `  | ${l}\n`).join('')}` : '';
    return `[${e.profile} ${e.target}] FAILED${r.failedStep ? ` at step ${r.failedStep}` : ''}: ${r.error}\n${tail}  record: ${recordPath(r.log)}\n`;
  }
  const head = `[${e.profile} ${e.target} ${clock(e.elapsedMs)}]`;
  if (e.kind === 'phase') return `${head} ${e.message}\n`;
  if (e.kind === 'copy') {
    const what = e.state === 'waiting' ? `pending${e.percent !== undefined ? ` ${e.percent}%` : ''}` : e.state;
    // elapsedMs is the copy's own here, not the build's.
    return `[${e.profile} ${e.target}] copy ${e.region}${e.imageId ? ` ${e.imageId}` : ''}: ${what} after ${clock(e.elapsedMs)}${e.error ? `: ${e.error}` : ''}\n`;
  }
  if (e.kind === 'quiet') return `${head} ${waitingFor(e.lastSaid)}… ${clock(e.silentMs)}${e.lastSaid ? ` (Packer last said: ${e.lastSaid})` : ''}\n`;
  const mark = e.state === 'start' ? '->' : e.state === 'done' ? 'ok' : '!!';
  return `${head} ${e.phase} ${String(e.index).padStart(2, '0')}/${e.total} ${mark} ${e.step}: ${e.title}${e.ms !== undefined ? ` (${(e.ms / 1000).toFixed(1)} s)` : ''}\n`;
}

/** How one profile of a `build` ended: with a record, or before one could be written. */
export interface Outcome {
  profile: string;
  target?: Target;
  result: 'ok' | 'failed' | 'interrupted' | 'not started';
  /** The build record's path, when one was written. */
  record?: string;
  /** Why it failed or did not start. */
  reason?: string;
}

/** The closing table of a build: every profile, its target, result, and record or reason. */
export function formatSummary(outcomes: Outcome[]): string {
  const rows = outcomes.map((o) => [o.profile, o.target ?? '-', o.result, o.record ?? o.reason ?? '']);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const ok = outcomes.filter((o) => o.result === 'ok').length;
  return `summary: ${ok} of ${outcomes.length} built\n${rows.map((r) => `  ${r.slice(0, 3).map((c, i) => c.padEnd(widths[i]!)).join('  ')}  ${r[3]}\n`).join('')}`;
}
