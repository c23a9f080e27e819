/**
 * The end-to-end harness's build cache, outside the repository:
 * `${COCCA_E2E_CACHE:-/var/cache/cocca-bake-e2e}`.
 *
 * An entry is a directory named NAME-KEY, where KEY is the SHA-256 of its recipe (every input
 * that decides its content, plus a version string bumped when the recipe's code changes). It
 * is built in a temporary directory beside it and renamed into place only when the build
 * succeeded, so a crashed or interrupted build never counts as cached.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { progress, run, secs } from './run.js';

export const CACHE_ROOT = process.env.COCCA_E2E_CACHE || '/var/cache/cocca-bake-e2e';

/** JSON with sorted object keys, so a recipe's key does not depend on property order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function recipeKey(recipe: unknown): string {
  return createHash('sha256').update(stableJson(recipe)).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Unmounts whatever a crashed build (mmdebstrap mounts /proc, /sys, /dev) left mounted under dir. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m], { reject: false });
}

/** Removes temporary build directories whose builder process is gone. */
async function removeDeadBuilds(): Promise<void> {
  for (const e of await fs.readdir(CACHE_ROOT)) {
    const m = /^\.tmp-.*-(\d+)-[0-9a-f]{8}$/.exec(e);
    if (!m || alive(Number(m[1]))) continue;
    await unmountUnder(path.join(CACHE_ROOT, e));
    await fs.rm(path.join(CACHE_ROOT, e), { recursive: true, force: true });
  }
}

/** Removes entries of the same name but another key that were not used for a week. */
async function pruneOld(name: string, keep: string): Promise<void> {
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  for (const e of await fs.readdir(CACHE_ROOT)) {
    if (!e.startsWith(`${name}-`) || e === keep || !/^[0-9a-f]{16}$/.test(e.slice(name.length + 1))) continue;
    const st = await fs.stat(path.join(CACHE_ROOT, e));
    if (st.mtimeMs < weekAgo) await fs.rm(path.join(CACHE_ROOT, e), { recursive: true, force: true });
  }
}

/**
 * The cache entry for (name, recipe): its directory, built by `build(dir)` when it is not
 * cached yet. `build` fills the empty directory it is given; the directory also receives
 * `.recipe.json`. An entry that is used is touched (its mtime), for pruning.
 */
export async function cached(name: string, recipe: unknown, build: (dir: string) => Promise<void>): Promise<string> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad cache entry name ${name}`);
  await fs.mkdir(CACHE_ROOT, { recursive: true });
  const key = recipeKey(recipe).slice(0, 16);
  const entry = path.join(CACHE_ROOT, `${name}-${key}`);
  try {
    await fs.access(path.join(entry, '.recipe.json'));
    const now = new Date();
    await fs.utimes(entry, now, now);
    progress(`cache hit: ${entry}`);
    return entry;
  } catch {
    // not cached: build below
  }
  await removeDeadBuilds();
  const tmp = path.join(CACHE_ROOT, `.tmp-${name}-${process.pid}-${createHash('sha256').update(`${Math.random()}`).digest('hex').slice(0, 8)}`);
  await fs.mkdir(tmp, { recursive: true });
  const t0 = Date.now();
  progress(`cache miss: building ${name} (${key}) in ${tmp}`);
  try {
    await build(tmp);
    await fs.writeFile(path.join(tmp, '.recipe.json'), `${JSON.stringify(recipe, null, 2)}\n`);
    await fs.rename(tmp, entry).catch(async (err: NodeJS.ErrnoException) => {
      // Another test file running at the same time built the same entry first: use theirs,
      // never remove an entry that may be in use.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await fs.access(path.join(entry, '.recipe.json'));
      progress(`built ${name} twice: another test file's copy won, ours is removed`);
      await fs.rm(tmp, { recursive: true, force: true });
    });
  } catch (err) {
    await unmountUnder(tmp).catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  progress(`built ${name} in ${secs(Date.now() - t0)}: ${entry}`);
  await pruneOld(name, path.basename(entry));
  return entry;
}
