// Load a profile and its `extends` chain, merge them (maps deep, lists replaced),
// and remember which file and line set each value.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Origin, PathSegment } from './findings.js';
import { formatPath } from './findings.js';
import { parseYamlSource, YamlSyntaxError, type YamlSource } from './yaml-source.js';

export const API_VERSION = 'cocca-bake/v1';

export interface LoadedProfile {
  /** The leaf file first, then each file it extends. */
  chain: YamlSource[];
  /** The merged document, `extends` removed. */
  merged: Record<string, unknown>;
}

export interface LoadResult {
  loaded?: LoadedProfile;
  findings: Finding[];
  /** Text of every file read, for printing source lines under findings. */
  sources: Map<string, string>;
}

type Plain = Record<string, unknown>;
const isMap = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

function displayName(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel.startsWith('..') ? abs : rel;
}

export function loadProfile(file: string): LoadResult {
  const findings: Finding[] = [];
  const sources = new Map<string, string>();
  const chain: YamlSource[] = [];
  const seen: string[] = [];
  let current = path.resolve(file);
  let shownAs = file;
  let referencedFrom: { origin: Origin; path: string } | undefined;

  for (;;) {
    let real: string;
    let text: string;
    try {
      real = realpathSync(current);
      text = readFileSync(real, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      if (referencedFrom) {
        findings.push({
          ...referencedFrom.origin,
          severity: 'error',
          path: referencedFrom.path,
          message: `cannot read ${JSON.stringify(shownAs)}: ${why}`,
          hint: '`extends` is a path relative to the file that names it',
        });
      } else {
        findings.push({ file: shownAs, line: 1, column: 1, severity: 'error', path: '', message: `cannot read profile: ${why}`, hint: 'give the path of a profile file, e.g. profiles/af-south-1.yaml' });
      }
      return { findings, sources };
    }
    if (seen.includes(real)) {
      const cycle = [...seen, real].map(displayName).join(' -> ');
      findings.push({
        ...referencedFrom!.origin,
        severity: 'error',
        path: 'extends',
        message: `extends makes a cycle: ${cycle}`,
        hint: 'a profile may extend a chain of bases, but no file may appear twice in it',
      });
      return { findings, sources };
    }
    seen.push(real);
    sources.set(shownAs, text);

    let doc: YamlSource;
    try {
      doc = parseYamlSource(shownAs, text);
    } catch (err) {
      if (!(err instanceof YamlSyntaxError)) throw err;
      findings.push({ ...err.origin, severity: 'error', path: '', message: err.reason, hint: 'fix the YAML syntax first; nothing else was checked in this file' });
      return { findings, sources };
    }
    if (!isMap(doc.value)) {
      findings.push({ file: shownAs, line: 1, column: 1, severity: 'error', path: '', message: 'a profile is a YAML mapping (key: value lines)', hint: 'start from profiles/af-south-1.yaml' });
      return { findings, sources };
    }
    chain.push(doc);

    const apiVersion = doc.value.apiVersion;
    if (apiVersion !== API_VERSION) {
      findings.push({
        ...(doc.positions.get('apiVersion')?.value ?? { file: shownAs, line: 1, column: 1 }),
        severity: 'error',
        path: 'apiVersion',
        message: apiVersion === undefined ? 'apiVersion is missing' : `unknown apiVersion ${JSON.stringify(apiVersion)}`,
        hint: `every profile file, bases too, starts with \`apiVersion: ${API_VERSION}\``,
      });
    }

    const ext = doc.value.extends;
    if (ext === undefined) break;
    const origin = doc.positions.get('extends')!.value;
    if (typeof ext !== 'string' || ext === '') {
      findings.push({ ...origin, severity: 'error', path: 'extends', message: 'extends must be a relative file path', hint: 'e.g. extends: base/registry.yaml' });
      return { findings, sources };
    }
    if (path.isAbsolute(ext)) {
      findings.push({ ...origin, severity: 'error', path: 'extends', message: 'extends must be a relative path, so profiles can move together', hint: `write it relative to ${shownAs}` });
      return { findings, sources };
    }
    current = path.resolve(path.dirname(real), ext);
    shownAs = displayName(current);
    referencedFrom = { origin, path: 'extends' };
  }

  let merged: Plain = {};
  for (const doc of [...chain].reverse()) merged = mergeMaps(merged, doc.value as Plain);
  delete merged.extends;
  return { loaded: { chain, merged }, findings, sources };
}

function mergeMaps(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = Object.hasOwn(out, k) ? out[k] : undefined;
    // Defined, not assigned: `out.__proto__ = v` would set the prototype and drop the key
    // (the schema must see it, and refuse it as unknown).
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
