// report.txt: the same facts as the HTML page, for a terminal, a CI log or an e-mail. Every
// line goes through terminalSafe: a record's text cannot move the cursor or recolour.
import { terminalSafe } from '../profile/characters.js';
import type { ReportRecord } from '../commands/build/record-input.js';
import { clockTimeline, duration, size, stepTimeline } from './timeline.js';

export function reportText(r: ReportRecord): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const field = (name: string, v: string | undefined) => {
    if (v !== undefined && v !== '') line(`${`${name}:`.padEnd(16)}${v}`);
  };

  line(`cocca-bake build report: ${r.profile} (${r.target})`);
  line();
  field('result', r.result);
  field('failed step', r.failedStep);
  field('error', r.error);
  field('started', r.startedAt);
  field('finished', r.finishedAt);
  field('total', r.totalMs !== undefined ? duration(r.totalMs) : undefined);
  field('cocca-bake', r.coccaBake);
  field('Packer', r.packer.version ? `${r.packer.version} (${r.packer.flavor || 'unknown'} HCL) ${r.packer.path ?? ''}`.trimEnd() : 'not found');
  field('profile file', r.profileFile);
  field('profile digest', r.profileDigest);
  field('log', r.log);
  field('record digest', r.digest);
  if (r.remaining && r.remaining.length > 0) {
    line();
    line('may remain in the account:');
    for (const x of r.remaining) line(`  ${x}`);
  }
  if (r.logTail && r.logTail.length > 0) {
    line();
    line('last lines of the log:');
    for (const x of r.logTail) line(`  | ${x}`);
  }

  line();
  line('inputs:');
  for (const [name, a] of Object.entries(r.artifacts)) line(`  ${name.padEnd(10)} ${a.sha256 === 'unpinned' ? 'UNPINNED' : `sha256 ${a.sha256}`}  ${a.url}`);
  const base = r.baseImage;
  line(`  base image ${base.imageId ?? base.url ?? 'not recorded'}${base.sha256 ? ` sha256 ${base.sha256}` : ''}`);

  const steps = stepTimeline(r);
  if (steps) {
    line();
    line(`steps (${r.steps.length}, ${duration(steps.totalMs)}):`);
    for (const g of steps.groups) {
      line(`  ${g.phase} (${duration(g.ms)})`);
      for (const b of g.bars) line(`    ${b.label.padEnd(28)} ${b.ms !== undefined ? duration(b.ms).padStart(10) : '         —'}  ${b.state}${b.note ? ` (${b.note})` : ''}`);
    }
  }
  const clock = clockTimeline(r);
  const stages = r.stages ?? [];
  if (clock || stages.length > 0) {
    line();
    line('finishing:');
    if (clock) for (const b of clock.bars) line(`  ${b.label.padEnd(30)} ${b.ms !== undefined ? duration(b.ms).padStart(10) : '         —'}  ${b.state}${b.note ? ` (${b.note})` : ''}`);
    else for (const s of stages) line(`  stage ${s.name.padEnd(24)} ${s.state}${s.detail ? ` (${s.detail})` : ''}`);
  }

  line();
  line('outputs:');
  const { aws, qemu } = r.outputs;
  if (aws) {
    line(`  ${aws.region.padEnd(16)} ${aws.imageId} (built here)`);
    for (const c of aws.copies) line(`  ${c.region.padEnd(16)} ${c.ok ? `${c.imageId ?? '—'} (copy)` : `copy FAILED${c.error ? `: ${c.error}` : ''}`}`);
    for (const x of aws.retention ?? []) {
      line(`  retention ${x.region}: deregistered ${x.deregistered.join(', ') || 'none'}; kept ${x.kept.join(', ') || 'none'}${x.error ? `; error: ${x.error}` : ''}`);
    }
  }
  if (qemu) line(`  qcow2 ${qemu.path}, ${size(qemu.bytes)}, sha256 ${qemu.sha256}`);
  if (!aws && !qemu) line('  none: no image is recorded as good');
  return `${out.map(terminalSafe).join('\n')}\n`;
}
