// Writing a render: everything goes into a fresh sibling directory first and replaces DIR
// in one rename, so a failure leaves the old output (or nothing), never half of a new one.
// DIR is replaced only when it is empty or is exactly an earlier render (every file listed in
// its manifest.json, bytes unchanged): anything else in it is someone's work, not ours to delete.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OutputFile } from './output.js';
import { RenderError } from './output.js';

const MANIFEST = 'manifest.json';
/** An earlier manifest is ours and small; a bigger file of that name is not worth parsing. */
const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
/** How many offending paths an error names before it says "and N more". */
const SHOWN = 5;

/** Every entry under dir, relative with '/', directories left out; non-regular files marked. */
function listTree(dir: string): Array<{ rel: string; regular: boolean }> {
  const out: Array<{ rel: string; regular: boolean }> = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(dir, r));
      if (st.isDirectory()) walk(r);
      else out.push({ rel: r, regular: st.isFile() });
    }
  };
  walk('');
  return out;
}

/** The files an earlier manifest lists, path → sha256; undefined when it is not one of ours. */
function earlierManifest(dir: string): Map<string, string> | undefined {
  const file = path.join(dir, MANIFEST);
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.size > MANIFEST_MAX_BYTES) return undefined;
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { generator?: unknown; files?: unknown };
    if (typeof doc.generator !== 'string' || !doc.generator.startsWith('cocca-bake ') || !Array.isArray(doc.files)) return undefined;
    const files = new Map<string, string>();
    for (const e of doc.files as Array<{ path?: unknown; sha256?: unknown }>) {
      if (typeof e?.path !== 'string' || typeof e.sha256 !== 'string') return undefined;
      files.set(e.path, e.sha256);
    }
    return files;
  } catch {
    return undefined;
  }
}

const listed = (paths: string[]): string => `${paths.slice(0, SHOWN).join(', ')}${paths.length > SHOWN ? ` and ${paths.length - SHOWN} more` : ''}`;

/** Why DIR may not be replaced, or undefined when it is empty or exactly an earlier render. */
export function whyNotReplace(dir: string): string | undefined {
  const entries = listTree(dir);
  if (entries.length === 0) return undefined;
  const manifest = earlierManifest(dir);
  if (!manifest) return `it is not empty and holds no earlier cocca-bake output (${MANIFEST})`;
  const foreign = entries.filter((e) => e.rel !== MANIFEST && (!e.regular || !manifest.has(e.rel))).map((e) => e.rel);
  if (foreign.length > 0) return `it holds files an earlier render did not write: ${listed(foreign)}`;
  const changed = entries
    .filter((e) => e.rel !== MANIFEST && createHash('sha256').update(readFileSync(path.join(dir, e.rel))).digest('hex') !== manifest.get(e.rel))
    .map((e) => e.rel);
  if (changed.length > 0) return `files an earlier render wrote were changed since: ${listed(changed)}`;
  return undefined;
}

export interface WriteOptions {
  /** Replace DIR whatever it holds (the user said so). */
  force?: boolean;
}

export function writeOutputs(dir: string, files: OutputFile[], options: WriteOptions = {}): void {
  const target = path.resolve(dir);
  if (existsSync(target) && !options.force) {
    if (!lstatSync(target).isDirectory()) throw new RenderError(`${dir} exists and is not a directory: refusing to replace it`);
    const why = whyNotReplace(target);
    if (why) throw new RenderError(`${dir}: ${why}; refusing to replace it (move those away, choose another --out, or give --force to replace the directory whole)`);
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const staging = mkdtempSync(`${target}.new-`);
  try {
    for (const f of files) {
      const out = path.join(staging, ...f.path.split('/'));
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, f.data);
      chmodSync(out, f.mode);
    }
    chmodSync(staging, 0o755);
    if (existsSync(target)) {
      const old = `${staging}.old`;
      renameSync(target, old);
      renameSync(staging, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(staging, target);
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
