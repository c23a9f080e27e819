// Packer's output, read for what matters to an operator: which of our steps runs in which
// source, how long each took, which one failed, and what Packer produced.
//
// Packer runs with -machine-readable: every line is `timestamp,target,type,data...`, with the
// commas inside data written as %!(PACKER_COMMA) and newlines as a literal \n. What a person
// would have seen arrives as type `ui` (data: say|message|error, then the text); our steps'
// markers ("cocca[step]: bake: start") are in those texts, prefixed with the source.
import type { Phase } from '../../components/model.js';

export type BuildEvent =
  | { kind: 'step-start'; source: string; phase: Phase; step: string }
  | { kind: 'step-done'; source: string; phase: Phase; step: string; ms: number }
  | { kind: 'step-failed'; source: string; phase: Phase; step: string }
  | { kind: 'base-image'; source: string; imageId: string }
  | { kind: 'packer-error'; message: string };

/** One line of `packer -machine-readable` output, its fields decoded. */
export interface MachineLine {
  timestamp: number;
  target: string;
  type: string;
  data: string[];
}

const decodeField = (s: string) => s.replaceAll('%!(PACKER_COMMA)', ',').replaceAll('\\n', '\n').replaceAll('\\r', '\r');

/** Undefined for a line that is not in the machine-readable form (a plugin's stray stderr, say). */
export function decodeMachineLine(line: string): MachineLine | undefined {
  const m = /^(\d+),([^,]*),([^,]+)(?:,(.*))?$/.exec(line);
  if (!m) return undefined;
  return { timestamp: Number(m[1]), target: decodeField(m[2]!), type: m[3]!, data: m[4] === undefined ? [] : m[4].split(',').map(decodeField) };
}

/**
 * The text a person would have read for one line of Packer's output, as lines: a `ui` line's
 * message, nothing for machine-only records (artifact, error-count), and a line that is not
 * machine-readable as it is.
 */
export function humanText(line: string): { lines: string[]; level?: 'say' | 'message' | 'error' } {
  const m = decodeMachineLine(line);
  if (!m) return { lines: [line] };
  if (m.type !== 'ui') return { lines: [] };
  const [level, ...rest] = m.data;
  // A ui message with a comma in it was split above: join it back.
  const text = rest.join(',');
  return { lines: text.split('\n').filter((l, i, all) => !(l === '' && (i === 0 || i === all.length - 1))), level: level as 'say' | 'message' | 'error' };
}

// "    amazon-ebs.cocca: cocca[postgres.install]: bake: start" (Packer prefixes remote output with the source).
const STEP = /^\s*(?:==> )?([\w.-]+): cocca\[([a-z0-9.-]+)\]: (bake|seal|boot): (start|done in (\d+) ms)\s*$/;
const FAILED = /^\s*(?:==> )?([\w.-]+): cocca\[([a-z0-9.-]+)\]: ERROR: (bake|seal|boot) step [a-z0-9.-]+ failed/;
const BASE = /^\s*(?:==> )?([\w.-]+): Found Image ID: (ami-[0-9a-f]+)/;
const ERROR = /^\s*(?:==> )?(?:[\w.-]+: )?(?:Error|Build '[^']+' errored)[: ](.*)$/;

/** Reads one human line (a decoded ui message, see humanText). */
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
