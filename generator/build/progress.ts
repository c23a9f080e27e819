// Packer's output, read for what matters to an operator: which of our steps runs in which
// source, how long each took, which one failed, and what Packer produced.
import type { Phase } from '../components/model.js';

export type BuildEvent =
  | { kind: 'step-start'; source: string; phase: Phase; step: string }
  | { kind: 'step-done'; source: string; phase: Phase; step: string; ms: number }
  | { kind: 'step-failed'; source: string; phase: Phase; step: string }
  | { kind: 'base-image'; source: string; imageId: string }
  | { kind: 'packer-error'; message: string };

// "    amazon-ebs.cocca: cocca[postgres.install]: bake: start" (Packer prefixes remote output with the source).
const STEP = /^\s*(?:==> )?([\w.-]+): cocca\[([a-z0-9.-]+)\]: (bake|seal|boot): (start|done in (\d+) ms)\s*$/;
const FAILED = /^\s*(?:==> )?([\w.-]+): cocca\[([a-z0-9.-]+)\]: ERROR: (bake|seal|boot) step [a-z0-9.-]+ failed/;
const BASE = /^\s*(?:==> )?([\w.-]+): Found Image ID: (ami-[0-9a-f]+)/;
const ERROR = /^\s*(?:==> )?(?:[\w.-]+: )?(?:Error|Build '[^']+' errored)[: ](.*)$/;

export function parseLine(line: string): BuildEvent | undefined {
  let m = STEP.exec(line);
  if (m) {
    const [, source, step, phase, what, ms] = m;
    return what === 'start'
      ? { kind: 'step-start', source: source!, phase: phase as Phase, step: step! }
      : { kind: 'step-done', source: source!, phase: phase as Phase, step: step!, ms: Number(ms) };
  }
  m = FAILED.exec(line);
  if (m) return { kind: 'step-failed', source: m[1]!, phase: m[3] as Phase, step: m[2]! };
  m = BASE.exec(line);
  if (m) return { kind: 'base-image', source: m[1]!, imageId: m[2]! };
  m = ERROR.exec(line);
  if (m) return { kind: 'packer-error', message: line.trim() };
  return undefined;
}
