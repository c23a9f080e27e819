// cocca-bake.lock.json: one per profile directory. `artifacts` (what `lock` downloaded and
// hashed, keyed by URL) and `packages` (the apt versions a build installed, per profile: its
// shape is checked by lock/packages.ts) are written separately, each keeping the other. Same content, same bytes:
// keys sorted, 2-space indent, a trailing newline.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'cocca-bake.lock.json';
export const LOCK_SCHEMA = 'cocca-bake/lock/v1';

export interface LockedArtifact {
  sha256: string;
  size: number;
  /** ISO time the file was first hashed with this sha256. */
  firstSeen: string;
}

export interface LockFile {
  schema: typeof LOCK_SCHEMA;
  artifacts: Record<string, LockedArtifact>;
  /** Owned by the package side; kept as read. */
  packages?: Record<string, unknown>;
  /** Top-level keys a newer writer added: kept as read. */
  [other: string]: unknown;
}

/** A lock file the user has to fix: where, and what. */
export class LockFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly field: string,
    readonly why: string,
  ) {
    super(`${file}:${line}:${column}: ${field ? `${field}: ` : ''}${why}`);
  }
}

/** The lock file that belongs with a profile: beside it (as the profile's path was written). */
export function lockPathFor(profileFile: string): string {
  return path.join(path.dirname(profileFile), LOCK_FILE);
}

export const emptyLock = (): LockFile => ({ schema: LOCK_SCHEMA, artifacts: {} });

const SHA256 = /^[0-9a-f]{64}$/;

/** Reads and checks a lock file; undefined when there is none. */
export function readLock(file: string): LockFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return undefined;
    throw new LockFileError(file, 1, 1, '', `cannot read it: ${e.code === 'EISDIR' ? 'it is a directory' : e.message}`);
  }
  return parseLock(file, text);
}

/** 1-based line and column of a character offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

export function parseLock(file: string, text: string): LockFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const at = /at position (\d+)/.exec(msg);
    const { line, column } = at ? position(text, Number(at[1])) : { line: 1, column: 1 };
    throw new LockFileError(file, line, column, '', `not valid JSON (${msg.replace(/ in JSON at position \d+.*$/, '').replace(/\s+/g, ' ')})`);
  }
  /** A field's problem, at the line that first names its URL (or the top). */
  const bad = (field: string, why: string, near?: string): never => {
    const offset = near === undefined ? -1 : text.indexOf(JSON.stringify(near));
    const { line, column } = offset === -1 ? { line: 1, column: 1 } : position(text, offset);
    throw new LockFileError(file, line, column, field, why);
  };
  if (!isObject(doc)) return bad('', 'expected a JSON object');
  if (doc.schema !== LOCK_SCHEMA) bad('schema', `expected "${LOCK_SCHEMA}", found ${JSON.stringify(doc.schema) ?? 'nothing'}`, 'schema');
  if (!isObject(doc.artifacts)) return bad('artifacts', 'expected an object of URL: {sha256, size, firstSeen}', 'artifacts');
  if (doc.packages !== undefined && !isObject(doc.packages)) bad('packages', 'expected an object', 'packages');
  for (const [url, entry] of Object.entries(doc.artifacts)) {
    const field = `artifacts[${JSON.stringify(url)}]`;
    if (!isObject(entry)) return bad(field, 'expected {sha256, size, firstSeen}', url);
    if (typeof entry.sha256 !== 'string' || !SHA256.test(entry.sha256)) bad(`${field}.sha256`, 'expected 64 lower-case hex characters', url);
    if (!Number.isSafeInteger(entry.size) || (entry.size as number) < 0) bad(`${field}.size`, 'expected a whole number of bytes', url);
    if (typeof entry.firstSeen !== 'string' || Number.isNaN(Date.parse(entry.firstSeen))) bad(`${field}.firstSeen`, 'expected an ISO time', url);
    const extra = Object.keys(entry).filter((k) => !['sha256', 'size', 'firstSeen'].includes(k));
    if (extra.length > 0) bad(`${field}.${extra[0]}`, 'unknown field', url);
  }
  return doc as LockFile;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys sorted at every level: the same lock is always the same bytes. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  return v;
}

export function serializeLock(lock: LockFile): string {
  return `${JSON.stringify(sorted(lock), null, 2)}\n`;
}

/**
 * Writes one part of the lock (`artifacts` from lock, `packages` from --packages-from), whole or
 * not at all: a temporary file beside it, renamed over it. Every other top-level key is what the
 * file on disk holds now (the other side may have written it since this lock was read).
 */
export function writeLockPart<K extends 'artifacts' | 'packages'>(file: string, key: K, value: NonNullable<LockFile[K]>): void {
  const current = readLock(file) ?? emptyLock();
  const text = serializeLock({ ...current, [key]: value });
  const tmp = path.join(path.dirname(file), `.${LOCK_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
