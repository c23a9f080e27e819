// `cocca-bake lock`: download every file the profiles use that nothing pins, hash it, and record
// it in the lock of each profile's directory. A changed upstream file is never taken silently:
// only --update URL replaces a recorded SHA-256. Nothing is written unless every download and
// every comparison succeeded.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkProfile, type CompileResult } from '../../check/index.js';
import { emptyLock, LockFileError, readLock, serializeLock, writeLockPart, type LockedArtifact } from '../../lock/file.js';
import { download, DownloadError, type Downloaded } from '../../net/download.js';
import { redactUrl } from '../../profile/urls.js';

/** Work that failed or found a problem: each line is said, exit 1. */
export class LockFailure extends Error {}
/** A command line that cannot be right: exit 2. */
export class LockUsageError extends Error {}

export interface LockOptions {
  /** Compare with the lock, write nothing. */
  check: boolean;
  /** URLs whose new SHA-256 the operator accepts. */
  update: string[];
  root?: string;
  log: (line: string) => void;
}

/** One lock file and what the profiles around it use. */
interface Directory {
  lockFile: string; // as the user's path wrote it
  /** URLs the named profiles use unpinned: downloaded and recorded. */
  used: Set<string>;
  /** URLs other profiles of the directory use: kept, not downloaded. */
  keptFor: Set<string>;
  /** A sibling that could not be read: nothing is dropped from this lock. */
  unreadSibling?: string;
}

const DOWNLOADS_AT_ONCE = 3;

/** `results`: the named profiles, checked and valid. */
export async function runLock(results: CompileResult[], opts: LockOptions): Promise<void> {
  try {
    await lockProfiles(results, opts);
  } catch (err) {
    // A lock file changed under us since the check read it.
    throw err instanceof LockFileError ? new LockFailure(err.message) : err;
  }
}

async function lockProfiles(results: CompileResult[], opts: LockOptions): Promise<void> {
  const dirs = directories(results, opts.root);
  const used = new Set([...dirs.values()].flatMap((d) => [...d.used]));
  for (const url of opts.update) {
    if (!used.has(url)) throw new LockUsageError(`--update ${redactUrl(url)}: no profile named uses this URL unpinned`);
  }
  const got = await downloadAll([...used].sort(), opts);
  const now = new Date().toISOString();
  const problems: string[] = [];
  const writes = [...dirs.values()].flatMap((dir) => {
    const w = nextLock(dir, got, now, opts, problems);
    return w ? [w] : [];
  });
  if (problems.length > 0) throw new LockFailure(problems.join('\ncocca-bake: ') + (opts.check ? '' : '\ncocca-bake: no lock file written'));
  if (opts.check) {
    opts.log(`${got.size} download${got.size === 1 ? '' : 's'} match the lock${dirs.size === 1 ? '' : 's'}`);
    return;
  }
  for (const w of writes) {
    const count = `${Object.keys(w.artifacts).length} artifacts`;
    if (w.text === w.before) {
      opts.log(`${w.file}: unchanged (${count})`);
      continue;
    }
    writeLockPart(w.file, 'artifacts', w.artifacts);
    opts.log(`wrote ${w.file} (${count})`);
  }
}

/** Hashes every URL, a few at a time (over a real link each waits on the network more than on the CPU); the first failure ends it. */
async function downloadAll(urls: string[], opts: LockOptions): Promise<Map<string, Downloaded>> {
  const got = new Map<string, Downloaded>();
  const queue = [...urls];
  let failed: unknown;
  const worker = async (): Promise<void> => {
    for (let url = queue.shift(); url !== undefined && failed === undefined; url = queue.shift()) {
      const started = Date.now();
      try {
        const d = await download(url);
        got.set(url, d);
        opts.log(`${redactUrl(url)}: ${formatSize(d.size)}, sha256 ${d.sha256} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS_AT_ONCE, queue.length) }, worker));
  if (failed instanceof DownloadError) throw new LockFailure(`${failed.message} (${opts.check ? 'nothing checked further' : 'no lock file written'})`);
  if (failed !== undefined) throw failed;
  return got;
}

interface Write {
  file: string;
  artifacts: Record<string, LockedArtifact>;
  text: string;
  /** The file as it is now, if any. */
  before?: string;
}

/**
 * One directory's lock after this run, or undefined when it needs none. What cannot be taken
 * (a changed file without --update; under --check, a missing entry too) goes to `problems`.
 */
function nextLock(dir: Directory, got: Map<string, Downloaded>, now: string, opts: LockOptions, problems: string[]): Write | undefined {
  const current = readLock(dir.lockFile) ?? emptyLock();
  const next: Record<string, LockedArtifact> = {};
  for (const url of [...dir.used].sort()) {
    const d = got.get(url)!;
    const old = current.artifacts[url];
    const shown = redactUrl(url);
    const fresh = { sha256: d.sha256, size: d.size, firstSeen: now };
    if (old && old.sha256 === d.sha256) {
      next[url] = old;
    } else if (!old) {
      if (opts.check) problems.push(`${dir.lockFile}: no entry for ${shown} (run cocca-bake lock)`);
      else opts.log(`${dir.lockFile}: new entry ${shown}`);
      next[url] = fresh;
    } else if (!opts.check && opts.update.includes(url)) {
      opts.log(`${dir.lockFile}: ${shown} updated: sha256 ${old.sha256} -> ${d.sha256} (--update)`);
      next[url] = fresh;
    } else {
      problems.push(
        `${dir.lockFile}: ${shown} changed upstream: locked sha256 ${old.sha256} (${formatSize(old.size)}, first seen ${old.firstSeen}), now ${d.sha256} (${formatSize(d.size)})` +
          (opts.check ? '' : `; check the new file, then accept it with --update ${shown}`),
      );
    }
  }
  for (const [url, old] of Object.entries(current.artifacts)) {
    if (url in next) continue;
    if (dir.keptFor.has(url) || dir.unreadSibling) next[url] = old;
    else if (!opts.check) opts.log(`${dir.lockFile}: dropped ${redactUrl(url)}: no profile of ${path.dirname(dir.lockFile)} downloads it unpinned any more`);
  }
  if (dir.unreadSibling && !opts.check) opts.log(`${dir.lockFile}: nothing dropped: ${dir.unreadSibling}`);
  const before = existsSync(dir.lockFile) ? readFileSync(dir.lockFile, 'utf8') : undefined;
  if (before === undefined && Object.keys(next).length === 0) {
    if (!opts.check) opts.log(`${dir.lockFile}: not written: every download of the profiles named there is pinned already`);
    return undefined;
  }
  return { file: dir.lockFile, artifacts: next, text: serializeLock({ ...current, artifacts: next }), before };
}

/**
 * The named profiles grouped by lock file, with what the directory's other profiles use: a
 * lock serves its whole directory, so locking one profile must not drop another's entries.
 */
function directories(results: CompileResult[], root: string | undefined): Map<string, Directory> {
  const dirs = new Map<string, Directory>();
  const named = new Set(results.map((r) => path.resolve(r.file)));
  for (const r of results) {
    const key = path.resolve(r.lockFile!);
    let dir = dirs.get(key);
    if (!dir) {
      dir = { lockFile: r.lockFile!, used: new Set(), keptFor: new Set() };
      dirs.set(key, dir);
      const where = path.dirname(r.file);
      for (const name of readdirSync(where).filter((n) => /\.ya?ml$/.test(n)).sort()) {
        const sibling = path.join(where, name);
        if (named.has(path.resolve(sibling))) continue;
        const checked = checkProfile(sibling, { root });
        if (!checked.profile) {
          dir.unreadSibling ??= `${sibling} is not a valid profile, so what it uses is unknown`;
          continue;
        }
        for (const a of checked.lockable!) dir.keptFor.add(a.url);
      }
    }
    for (const a of r.lockable!) dir.used.add(a.url);
  }
  return dirs;
}

function formatSize(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return mib >= 1 ? `${bytes} bytes (${mib.toFixed(1)} MiB)` : `${bytes} bytes`;
}
