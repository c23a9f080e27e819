// Progress as an operator reads it in a terminal or a CI log: one line per event.
import type { ProgressEvent } from './index.js';

const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

export function formatProgress(e: ProgressEvent): string {
  if (e.kind === 'result') {
    const r = e.record;
    if (r.result === 'ok' && r.stages?.[0]?.state === 'skipped' && r.stages[0].detail?.startsWith('dry run')) {
      return `[${e.profile} ${e.target}] dry run done in ${clock(r.totalMs ?? 0)}: rendered and validated, nothing built or changed\n  record: ${r.log.replace(/packer\.log$/, 'build-record.json')}\n`;
    }
    if (r.result === 'ok') {
      const out = r.outputs.qemu ? `${r.outputs.qemu.path} (${r.outputs.qemu.bytes} bytes, sha256 ${r.outputs.qemu.sha256})` : r.outputs.aws ? [`${r.outputs.aws.region} ${r.outputs.aws.imageId}`, ...r.outputs.aws.copies.map((c) => `${c.region} ${c.imageId}`)].join(', ') : '';
      return `[${e.profile} ${e.target}] built in ${clock(r.totalMs ?? 0)}: ${out}\n  record: ${r.log.replace(/packer\.log$/, 'build-record.json')}\n`;
    }
    return `[${e.profile} ${e.target}] FAILED${r.failedStep ? ` at step ${r.failedStep}` : ''}: ${r.error}\n  log: ${r.log}\n`;
  }
  const head = `[${e.profile} ${e.target} ${clock(e.elapsedMs)}]`;
  if (e.kind === 'phase') return `${head} ${e.message}\n`;
  if (e.kind === 'copy') {
    const what = e.state === 'waiting' ? `pending${e.percent !== undefined ? ` ${e.percent}%` : ''}` : e.state;
    // elapsedMs is the copy's own here, not the build's.
    return `[${e.profile} ${e.target}] copy ${e.region}${e.imageId ? ` ${e.imageId}` : ''}: ${what} after ${clock(e.elapsedMs)}${e.error ? `: ${e.error}` : ''}\n`;
  }
  const mark = e.state === 'start' ? '->' : e.state === 'done' ? 'ok' : '!!';
  return `${head} ${e.phase} ${String(e.index).padStart(2, '0')}/${e.total} ${mark} ${e.step}: ${e.title}${e.ms !== undefined ? ` (${(e.ms / 1000).toFixed(1)} s)` : ''}\n`;
}
