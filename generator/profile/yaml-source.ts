// YAML with source positions: js-yaml's event stream gives the offset of every node,
// which we pair with the path it lands on so errors can name the line that set a value.
import { CORE_SCHEMA, constructFromEvents, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';
import type { Origin, PathSegment } from './findings.js';
import { formatPath } from './findings.js';

export interface NodePosition {
  value: Origin;
  key?: Origin; // where the mapping key was written, for "unknown key" errors
}

export interface YamlSource {
  file: string;
  text: string;
  value: unknown;
  positions: Map<string, NodePosition>; // keyed by formatPath()
}

export class YamlSyntaxError extends Error {
  constructor(
    readonly origin: Origin,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Offsets to 1-based line/column, computed once per file. */
function locator(file: string, text: string): (offset: number) => Origin {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

interface Frame {
  kind: 'map' | 'seq';
  path: PathSegment[];
  index: number; // next sequence index, or the count of map nodes seen (even = key next)
  pendingKey?: { name: string; at: Origin };
}

function startOf(ev: Event): number {
  // A quoted scalar starts at its opening quote, where the reader's eye (and the caret) goes.
  if (ev.type === EVENT_ID.SCALAR) return ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED ? ev.valueStart - 1 : ev.valueStart;
  if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) return ev.start;
  return -1;
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const at = locator(file, text);
  let events: Event[];
  let value: unknown;
  try {
    events = parseEvents(text, { filename: file });
    const docs = constructFromEvents(events, { source: text, filename: file, schema: CORE_SCHEMA });
    if (docs.length > 1) throw new YamlSyntaxError(at(0), 'a profile is one YAML document, this file holds several');
    value = docs[0] ?? null;
  } catch (err) {
    if (err instanceof YamlSyntaxError) throw err;
    const e = err as { reason?: string; mark?: { line: number; column: number }; message?: string };
    const origin = e.mark ? { file, line: e.mark.line + 1, column: e.mark.column + 1 } : at(0);
    throw new YamlSyntaxError(origin, `YAML syntax: ${e.reason ?? e.message ?? String(err)}`);
  }

  const positions = new Map<string, NodePosition>();
  const stack: Frame[] = [];
  // Where the next node lands: its path, whether it is a mapping key, and its key's origin.
  const place = (): { path?: PathSegment[]; isKey: boolean; keyAt?: Origin } => {
    const top = stack[stack.length - 1];
    if (!top) return { path: [], isKey: false };
    if (top.kind === 'seq') return { path: [...top.path, top.index++], isKey: false };
    if (top.index++ % 2 === 0) return { isKey: true };
    const key = top.pendingKey;
    top.pendingKey = undefined;
    return key ? { path: [...top.path, key.name], isKey: false, keyAt: key.at } : { isKey: false };
  };

  for (const ev of events) {
    if (ev.type === EVENT_ID.DOCUMENT) continue;
    if (ev.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    const where = place();
    const offset = startOf(ev);
    if (where.isKey) {
      // Only scalar keys name a path; a complex key is walked under a throwaway frame.
      stack[stack.length - 1]!.pendingKey =
        ev.type === EVENT_ID.SCALAR ? { name: getScalarValue(text, ev), at: at(offset) } : undefined;
    } else if (where.path) {
      // An empty value (`key:`) has no offset of its own: point at its key.
      const value = offset >= 0 ? at(offset) : (where.keyAt ?? at(0));
      positions.set(formatPath(where.path), { value, key: where.keyAt });
    }
    const path = where.isKey ? [] : (where.path ?? []);
    if (ev.type === EVENT_ID.MAPPING) stack.push({ kind: 'map', path, index: 0 });
    else if (ev.type === EVENT_ID.SEQUENCE) stack.push({ kind: 'seq', path, index: 0 });
  }
  return { file, text, value, positions };
}
