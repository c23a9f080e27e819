// When the schema refuses a profile, the semantic rules still judge the parts that are valid,
// so one run reports every problem. They run on a repaired copy: each value the schema refused
// is removed (its default applies), each unknown key dropped, until the schema accepts the copy.
// The rules then see only shapes a valid profile can have. A rule whose finding could depend on
// a removed value says nothing: it is run with the copy behind a proxy that records what it
// reads (see judgeRepaired in index.ts).
import type { ErrorObject, ValidateFunction } from 'ajv';
import { formatPath, type PathSegment } from './findings.js';
import { segments } from './schema.js';

type Node = Record<string, unknown> | unknown[];

export interface Repaired {
  /** The copy: schema-valid, defaults filled in. */
  doc: Record<string, unknown>;
  /** What the repair removed or stood in for, in the original document's coordinates. */
  removed: PathSegment[][];
  /** A path in `doc` as a path in the original (list items move up when one is removed). */
  original(at: readonly PathSegment[]): PathSegment[];
}

/**
 * Required keys at the top cannot be repaired by removing their parent: a stand-in takes their
 * place (and counts as removed, so no rule judges it).
 */
const STAND_INS: Record<string, unknown> = {
  name: 'unnamed',
  host: { fqdn: 'unnamed.invalid' },
};

/** Repair rounds before giving up (each removes every value the schema refuses in it). */
const MAX_ROUNDS = 16;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/**
 * What to remove for one schema error: a path in `doc`; null when nothing is to be done;
 * undefined when the document cannot be repaired.
 */
function cutFor(err: ErrorObject, doc: Record<string, unknown>): PathSegment[] | null | undefined {
  const at = segments(err.instancePath, doc);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties':
      return [...at, String(p.additionalProperty)];
    case 'propertyNames':
      return [...at, String(p.propertyName)];
    case 'uniqueItems':
      // ajv names the two equal items i < j: the later copy goes.
      return [...at, Number(p.j)];
    case 'required':
      // An object without a required key goes whole; at the top a stand-in fills the key.
      if (at.length > 0) return at;
      return Object.hasOwn(STAND_INS, String(p.missingProperty)) ? [String(p.missingProperty)] : undefined;
    default:
      // The keyword of a propertyNames schema reports the whole object: the propertyNames
      // error beside it names the key.
      if (err.schemaPath.includes('/propertyNames/')) return null;
      return at;
  }
}

/** Orders paths so that removing them one by one never shifts a path still to be removed. */
function comparePaths(a: readonly PathSegment[], b: readonly PathSegment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The repaired copy of `raw` (the merged profile, before defaults), or undefined when it cannot
 * be made valid (a top-level key with no stand-in, or too many rounds).
 */
export function repairDocument(raw: Record<string, unknown>, validate: ValidateFunction): Repaired | undefined {
  const doc = structuredClone(raw);
  const removed: PathSegment[][] = [];
  // For each list that lost items (keyed by its original path): the original index of each
  // item it still holds.
  const kept = new Map<string, number[]>();

  const original = (at: readonly PathSegment[]): PathSegment[] => {
    const out: PathSegment[] = [];
    for (const seg of at) {
      const map = typeof seg === 'number' ? kept.get(formatPath(out)) : undefined;
      out.push(map && typeof seg === 'number' ? (map[seg] ?? seg) : seg);
    }
    return out;
  };

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const attempt = structuredClone(doc);
    if (validate(attempt)) return { doc: attempt, removed, original };
    const cuts = new Map<string, PathSegment[]>();
    for (const err of validate.errors ?? []) {
      const cut = cutFor(err, doc);
      if (cut === undefined) return undefined;
      if (cut) cuts.set(formatPath(cut), cut);
    }
    if (cuts.size === 0) return undefined;
    // Deepest and last first: a removal never moves another one's target.
    for (const cut of [...cuts.values()].sort(comparePaths).reverse()) {
      if (cut.length === 0) return undefined;
      const last = cut[cut.length - 1]!;
      if (cut.length === 1 && typeof last === 'string' && Object.hasOwn(STAND_INS, last)) {
        // A top-level required key, missing or of the wrong shape.
        doc[last] = structuredClone(STAND_INS[last]);
        removed.push([last]);
        continue;
      }
      const parent = cut.slice(0, -1).reduce<unknown>((n, s) => (isNode(n) ? (n as Record<string | number, unknown>)[s] : undefined), doc);
      if (!isNode(parent)) continue; // inside something already removed
      removed.push(original(cut));
      if (Array.isArray(parent) && typeof last === 'number') {
        const key = formatPath(original(cut.slice(0, -1)));
        const map = kept.get(key) ?? parent.map((_, i) => i);
        map.splice(last, 1);
        kept.set(key, map);
        parent.splice(last, 1);
      } else {
        delete (parent as Record<string, unknown>)[String(last)];
      }
    }
  }
  return undefined;
}
