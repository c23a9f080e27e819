// Load a profile and its `extends` chain, merge them (maps deep, lists replaced),
// and remember which file and line set each value. Every file is read through the confined
// reader (files.ts), and a file counts as a profile, whose lines may be shown under a
// finding, only once it parsed as a mapping with our apiVersion (docs/security.md).
import path from 'node:path';
import { decodeUtf8, findRoot, PROFILE_FILE, readConfined, RootError, type RepoRoot } from './files.js';
import type { Finding, Origin, PathSegment } from './findings.js';
import { formatPath } from './findings.js';
import { parseYamlSource, YamlSyntaxError, type YamlSource } from './yaml-source.js';

export const API_VERSION = 'cocca-bake/v1';

/** Files in one chain, the leaf included: base, region, role and a spare level, with room. */
export const MAX_EXTENDS_CHAIN = 8;

export interface LoadedProfile {
  /** The leaf file first, then each file it extends. */
  chain: YamlSource[];
  /** The merged document, `extends` removed. */
  merged: Record<string, unknown>;
  /** Where files named by the profile may be read from. */
  root: RepoRoot;
}

export interface LoadResult {
  loaded?: LoadedProfile;
  findings: Finding[];
  /** Text of every file read that is a profile, for printing source lines under findings. */
  sources: Map<string, string>;
}

export interface LoadOptions {
  /** The repository root (--root); by default found from the profile's directory (files.ts). */
  root?: string;
}

type Plain = Record<string, unknown>;
const isMap = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

function displayName(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel.startsWith('..') ? abs : rel;
}

const ROOT_HINT = 'a profile may only name files inside its repository root: the nearest directory above it holding profiles/profile.schema.json or .git, or the one given with --root';
const API_HINT = `every profile file, bases too, starts with \`apiVersion: ${API_VERSION}\``;

/** Says what apiVersion holds only when it is plainly one of ours: the file is not known to be a profile yet. */
function apiVersionProblem(v: unknown): string {
  if (v === undefined) return 'apiVersion is missing';
  if (typeof v === 'string' && /^cocca-bake\/[A-Za-z0-9.-]{1,16}$/.test(v)) return `unknown apiVersion ${JSON.stringify(v)}`;
  return `apiVersion is not ${API_VERSION}: this is not a cocca-bake profile (its content is not shown)`;
}

export function loadProfile(file: string, options: LoadOptions = {}): LoadResult {
  const findings: Finding[] = [];
  const sources = new Map<string, string>();
  const chain: YamlSource[] = [];
  const seen: string[] = [];
  const leafAt = (message: string, hint: string): LoadResult => {
    findings.push({ file, line: 1, column: 1, severity: 'error', path: '', message, hint });
    return { findings, sources };
  };
  let root: RepoRoot;
  try {
    root = findRoot(file, options.root);
  } catch (err) {
    if (err instanceof RootError) return leafAt(err.message, 'give --root the directory of the profile repository');
    throw err;
  }
  let current = path.resolve(file);
  let shownAs = file;
  let referencedFrom: Origin | undefined;
  const stop = (f: Omit<Finding, 'severity'>): LoadResult => {
    findings.push({ ...f, severity: 'error' });
    return { findings, sources };
  };

  for (;;) {
    const read = readConfined(root, current, PROFILE_FILE);
    if (!read.ok) {
      const hint = /outside the repository root/.test(read.why) ? ROOT_HINT : /so it is not a profile/.test(read.why) ? 'a profile and its bases are .yaml or .yml files' : undefined;
      if (referencedFrom) {
        const message = `cannot read ${JSON.stringify(shownAs)}: ${read.missing ? 'no such file' : `it ${read.why}`}`;
        return stop({ ...referencedFrom, path: 'extends', message, hint: hint ?? '`extends` is a path relative to the file that names it' });
      }
      return leafAt(`cannot read profile: ${read.missing ? 'no such file' : `it ${read.why}`}`, hint ?? 'give the path of a profile file, e.g. profiles/af-south-1.yaml');
    }
    const real = read.real;
    if (seen.includes(real)) {
      const cycle = [...seen, real].map(displayName).join(' -> ');
      return stop({ ...referencedFrom!, path: 'extends', message: `extends makes a cycle: ${cycle}`, hint: 'a profile may extend a chain of bases, but no file may appear twice in it' });
    }
    seen.push(real);

    const decoded = decodeUtf8(read.bytes);
    if (!decoded.ok) return stop({ file: shownAs, line: decoded.line, column: decoded.column, path: '', message: decoded.why, hint: 'a profile is UTF-8 text' });
    const text = decoded.text;

    let doc: YamlSource;
    try {
      doc = parseYamlSource(shownAs, text);
    } catch (err) {
      if (!(err instanceof YamlSyntaxError)) throw err;
      return stop({ ...err.origin, path: '', message: err.reason, hint: err.hint ?? 'fix the YAML syntax first; nothing else was checked in this file' });
    }
    if (!isMap(doc.value)) return stop({ file: shownAs, line: 1, column: 1, path: '', message: 'a profile is a YAML mapping (key: value lines)', hint: 'start from profiles/af-south-1.yaml' });
    const apiVersion = doc.value.apiVersion;
    if (apiVersion !== API_VERSION) {
      // Not a profile: nothing of it is merged, shown or followed.
      const at = doc.positions.get('apiVersion')?.value ?? { file: shownAs, line: 1, column: 1 };
      return stop({ ...at, path: 'apiVersion', message: apiVersionProblem(apiVersion), hint: API_HINT });
    }
    sources.set(shownAs, text);
    chain.push(doc);

    const ext = doc.value.extends;
    if (ext === undefined) break;
    const origin = doc.positions.get('extends')!.value;
    if (typeof ext !== 'string' || ext === '') {
      return stop({ ...origin, path: 'extends', message: 'extends must be a relative file path', hint: 'e.g. extends: base/registry.yaml' });
    }
    if (path.isAbsolute(ext)) {
      return stop({ ...origin, path: 'extends', message: 'extends must be a relative path, so profiles can move together', hint: `write it relative to ${shownAs}` });
    }
    if (chain.length >= MAX_EXTENDS_CHAIN) {
      return stop({ ...origin, path: 'extends', message: `the extends chain is longer than ${MAX_EXTENDS_CHAIN} files`, hint: 'a base, a region and a role need three; merge some bases' });
    }
    current = path.resolve(path.dirname(real), ext);
    shownAs = displayName(current);
    referencedFrom = origin;
  }

  let merged: Plain = {};
  for (const doc of [...chain].reverse()) merged = mergeMaps(merged, doc.value as Plain);
  delete merged.extends;
  return { loaded: { chain, merged, root }, findings, sources };
}

/** Own keys only: the parser refuses `__proto__`, and nothing here reads through a prototype either. */
function mergeMaps(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = Object.hasOwn(out, k) ? out[k] : undefined;
    Object.defineProperty(out, k, { value: isMap(b) && isMap(v) ? mergeMaps(b, v) : v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Where a value was written: the most-derived file that holds the path (lists are replaced whole,
 * so a list item always comes from the file that wrote the list). A path written nowhere (a
 * missing property) falls back to its nearest written ancestor, then to the leaf file's top.
 */
export function originOf(loaded: LoadedProfile, at: readonly PathSegment[], prefer: 'key' | 'value' = 'value'): Origin {
  for (let n = at.length; n >= 0; n--) {
    const key = formatPath(at.slice(0, n));
    for (const doc of loaded.chain) {
      const pos = doc.positions.get(key);
      if (pos) return (n === at.length && prefer === 'key' && pos.key) || pos.value;
    }
  }
  return { file: loaded.chain[0]!.file, line: 1, column: 1 };
}
