// YAML with source positions: js-yaml's event stream gives the offset of every node,
// which we pair with the path it lands on so errors can name the line that set a value.
// The same walk holds the file to what a profile can be (docs/security.md): one document,
// scalar keys written once, no `__proto__`, bounded nesting and aliases, so an alias bomb or
// a cycle ends here, at its line, before anything expands it.
import { CORE_SCHEMA, constructFromEvents, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, YAMLException, type Event } from 'js-yaml';
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
    readonly hint?: string,
  ) {
    super(reason);
  }
}

/**
 * Bounds on one file. A real profile nests 5 deep and holds a few hundred values; these stop a
 * hostile one long before memory or the stack are at risk (every later stage recurses).
 */
export const YAML_LIMITS = {
  /** Collections inside collections, aliases expanded. */
  maxDepth: 32,
  /** Alias nodes (`*name`) in one file. */
  maxAliases: 100,
  /** Values in the document once every alias is expanded. */
  maxNodes: 10_000,
} as const;

const DEPTH_HINT = 'a profile nests a few levels (targets.aws.copyKmsKeyIds.REGION is among the deepest)';

/** Offsets to 1-based line/column (LF, CRLF and a lone CR each end a line, as in YAML), computed once per file. */
function locator(file: string, text: string): (offset: number) => Origin {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) starts.push(i + 1);
  }
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

/** An anchored node, for what its aliases bring along. */
interface Anchor {
  path: PathSegment[];
  /** Still open: an alias to it now would make a cycle. */
  open: boolean;
  /** Nodes in it, its own aliases expanded. */
  weight: number;
  /** Levels below it, its own aliases expanded. */
  height: number;
  /** Positions below it, relative to it: an alias's copy points at the text that wrote the value. */
  below: Array<[rel: PathSegment[], pos: NodePosition]>;
  /** A scalar's value, for an alias used as a mapping key. */
  scalar?: string;
}

interface Frame {
  kind: 'map' | 'seq';
  path: PathSegment[];
  index: number; // next sequence index, or the count of map nodes seen (even = key next)
  pendingKey?: { name: string; at: Origin };
  keys?: Map<string, number>; // key → line it was first written on
  anchor?: Anchor;
}

function startOf(ev: Event): number {
  // A quoted scalar starts at its opening quote, where the reader's eye (and the caret) goes.
  if (ev.type === EVENT_ID.SCALAR) return ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED ? ev.valueStart - 1 : ev.valueStart;
  if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) return ev.start;
  if (ev.type === EVENT_ID.ALIAS) return ev.anchorStart - 1; // the `*`
  return -1;
}

/** Where a node's text begins, its anchor or tag included (`&a {...}` starts at the `&`). */
function nodeStart(ev: Event): number {
  const own = startOf(ev);
  if (ev.type === EVENT_ID.SCALAR || ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
    const marks = [ev.anchorStart - 1, ev.tagStart].filter((n) => n >= 0);
    return Math.min(own, ...marks);
  }
  return own;
}

/**
 * js-yaml's reason without the names it quotes from the file (an alias, a tag): a file is
 * parsed before it is known to be a profile, and nothing of a file that is not one is shown.
 * Its `message` is never used: it embeds a snippet of the offending line.
 */
function safeReason(reason: string): string {
  return reason
    .replace(/\s*!<[^>]*>/g, '')
    .replace(/\s*"[^"]*"/g, '')
    .replace(/(such characters):.*$/, '$1')
    .replace(/ for tag .*$/, '');
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const at = locator(file, text);
  const fail = (offset: number, reason: string, hint?: string): never => {
    throw new YamlSyntaxError(at(Math.max(0, offset)), reason, hint);
  };
  // Invisible, and js-yaml takes one inside a key as part of its name (`unknown key "b"`).
  const bom = text.indexOf('\uFEFF', 1);
  if (bom !== -1) fail(bom, 'a byte order mark (U+FEFF) inside the file', 'an invisible character, only allowed as the very first one of a file: delete it');
  let events: Event[];
  try {
    events = parseEvents(text, { filename: file, maxDepth: YAML_LIMITS.maxDepth });
  } catch (err) {
    throw fromJsYaml(err, file, at);
  }

  const positions = new Map<string, NodePosition>();
  const stack: Frame[] = [];
  const anchors = new Map<string, Anchor>();
  let nodes = 0;
  let aliases = 0;
  let documents = 0;
  let lastOffset = 0;

  /** Every open anchor is an ancestor of the node being placed: it records the node too. */
  const openAnchors = () => stack.flatMap((f) => (f.anchor ? [f.anchor] : []));
  const record = (p: PathSegment[], pos: NodePosition) => {
    positions.set(formatPath(p), pos);
    for (const a of openAnchors()) a.below.push([p.slice(a.path.length), pos]);
  };
  /** Counts `weight` nodes reaching `depth` levels, refusing past the limits at `offset`. */
  const count = (weight: number, depth: number, offset: number, viaAlias: boolean) => {
    nodes += weight;
    if (nodes > YAML_LIMITS.maxNodes) {
      fail(offset, viaAlias ? `aliases expand the document past ${YAML_LIMITS.maxNodes} values` : `the document holds more than ${YAML_LIMITS.maxNodes} values`, 'a profile holds a few hundred values; aliases (*name) must not multiply them');
    }
    if (depth > YAML_LIMITS.maxDepth) fail(offset, `nested more than ${YAML_LIMITS.maxDepth} levels deep${viaAlias ? ' once aliases are expanded' : ''}`, DEPTH_HINT);
    for (const a of openAnchors()) {
      a.weight += weight;
      a.height = Math.max(a.height, depth - a.path.length);
    }
  };
  const anchorName = (ev: Event): string | undefined =>
    (ev.type === EVENT_ID.SCALAR || ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) && ev.anchorStart >= 0 ? text.slice(ev.anchorStart, ev.anchorEnd) : undefined;
  const aliasTarget = (ev: Extract<Event, { type: typeof EVENT_ID.ALIAS }>): Anchor => {
    if (++aliases > YAML_LIMITS.maxAliases) fail(startOf(ev), `more than ${YAML_LIMITS.maxAliases} aliases`, 'aliases (*name) repeat a value; a profile needs few, and `extends` shares values between files');
    const target = anchors.get(text.slice(ev.anchorStart, ev.anchorEnd));
    if (!target) return fail(startOf(ev), 'YAML syntax: an alias to an anchor that is not defined before it');
    if (target.open) fail(startOf(ev), 'YAML syntax: an alias inside the node its anchor names (a cycle)', 'an anchored value cannot contain itself');
    return target;
  };

  // Where the next node lands: its path, whether it is a mapping key, and its key's origin.
  const place = (): { path: PathSegment[]; isKey: boolean; keyAt?: Origin } => {
    const top = stack[stack.length - 1];
    if (!top) return { path: [], isKey: false };
    if (top.kind === 'seq') return { path: [...top.path, top.index++], isKey: false };
    if (top.index++ % 2 === 0) return { path: top.path, isKey: true };
    const key = top.pendingKey!;
    top.pendingKey = undefined;
    return { path: [...top.path, key.name], isKey: false, keyAt: key.at };
  };

  try {
    events.forEach((ev, i) => {
      if (ev.type === EVENT_ID.DOCUMENT) {
        if (++documents > 1) fail(documentStart(text, events, i, lastOffset), 'a profile is one YAML document, this file holds several', 'this line starts a second document; remove it, or move the second document to a file of its own');
        return;
      }
      if (ev.type === EVENT_ID.POP) {
        const frame = stack.pop();
        if (frame?.anchor) frame.anchor.open = false;
        return;
      }
      const offset = startOf(ev);
      lastOffset = Math.max(lastOffset, offset);
      const where = place();
      if (where.isKey) {
        const top = stack[stack.length - 1]!;
        const aliased = ev.type === EVENT_ID.ALIAS ? aliasTarget(ev).scalar : undefined;
        let name: string;
        if (ev.type === EVENT_ID.SCALAR) name = getScalarValue(text, ev);
        else if (aliased !== undefined) name = aliased;
        else return fail(nodeStart(ev), 'a mapping key must be a plain name, not a list or a mapping (a complex key)', 'write key: value; `? ` introduces a complex key, which no profile key is');
        if (name === '__proto__') fail(offset, 'the key __proto__ is not allowed', 'it would reach the prototype of every object in JavaScript; no profile key is named so');
        top.keys ??= new Map();
        const first = top.keys.get(name);
        if (first !== undefined) fail(offset, 'YAML syntax: duplicated mapping key', `the same key is first written on line ${first}; a key may appear once in a mapping`);
        const keyAt = at(offset);
        top.keys.set(name, keyAt.line);
        top.pendingKey = { name, at: keyAt };
        const anchor = anchorName(ev);
        if (anchor !== undefined && ev.type === EVENT_ID.SCALAR) anchors.set(anchor, { path: [], open: false, weight: 1, height: 0, below: [], scalar: name });
        return;
      }

      const p = where.path;
      // An empty value (`key:`) has no offset of its own: point at its key.
      const pos: NodePosition = { value: offset >= 0 ? at(offset) : (where.keyAt ?? at(0)), key: where.keyAt };
      if (ev.type === EVENT_ID.ALIAS) {
        const target = aliasTarget(ev);
        count(target.weight, p.length + target.height, offset, true);
        record(p, pos);
        for (const [rel, below] of target.below) record([...p, ...rel], below);
        return;
      }
      count(1, p.length, offset, false);
      record(p, pos);
      const name = anchorName(ev);
      const anchor: Anchor | undefined = name === undefined ? undefined : { path: p, open: ev.type !== EVENT_ID.SCALAR, weight: 1, height: 0, below: [] };
      if (anchor && ev.type === EVENT_ID.SCALAR) anchor.scalar = getScalarValue(text, ev);
      if (name !== undefined) anchors.set(name, anchor!);
      if (ev.type === EVENT_ID.MAPPING) stack.push({ kind: 'map', path: p, index: 0, anchor });
      else if (ev.type === EVENT_ID.SEQUENCE) stack.push({ kind: 'seq', path: p, index: 0, anchor });
    });
  } catch (err) {
    // getScalarValue decodes escapes: its errors are the file's, like the parser's. Anything
    // else is a bug here, and is not dressed up as the file's.
    if (err instanceof YAMLException || err instanceof YamlSyntaxError) throw fromJsYaml(err, file, at);
    throw err;
  }

  let value: unknown;
  try {
    const docs = constructFromEvents(events, { source: text, filename: file, schema: CORE_SCHEMA });
    value = unshare(docs[0] ?? null);
  } catch (err) {
    throw fromJsYaml(err, file, at);
  }
  return { file, text, value, positions };
}

function fromJsYaml(err: unknown, file: string, at: (offset: number) => Origin): YamlSyntaxError {
  if (err instanceof YamlSyntaxError) return err;
  if (err instanceof YAMLException) {
    const origin = err.mark ? at(err.mark.position) : { file, line: 1, column: 1 };
    if (/^nesting exceeded maxDepth/.test(err.reason)) return new YamlSyntaxError(origin, `nested more than ${YAML_LIMITS.maxDepth} levels deep`, DEPTH_HINT);
    return new YamlSyntaxError(origin, `YAML syntax: ${safeReason(err.reason)}`);
  }
  // Not js-yaml's own error: still the file's problem, but nothing of it is known to be safe to show.
  return new YamlSyntaxError({ file, line: 1, column: 1 }, 'YAML syntax: the file could not be parsed');
}

/**
 * Where the document starting at events[i] begins: its `---` line after the previous
 * document's last node, else its first node.
 */
function documentStart(text: string, events: Event[], i: number, after: number): number {
  let first = -1;
  for (let k = i + 1; k < events.length && first < 0; k++) first = startOf(events[k]!);
  const limit = first >= 0 ? first : text.length;
  const marker = /^---(?=[ \t\r\n]|$)/gm;
  for (let m = marker.exec(text); m; m = marker.exec(text)) {
    if (m.index > after && m.index <= limit) return m.index;
  }
  return first >= 0 ? first : after;
}

/**
 * A tree where js-yaml gave a graph: an alias is the same object as its anchor, so a default
 * filled in at one place would appear at the other. Copies are bounded by maxNodes.
 */
function unshare(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unshare);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = unshare(x);
    return out;
  }
  return v;
}
