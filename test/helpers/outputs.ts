/**
 * Shared plumbing for the tests that prove the example profiles' outputs:
 * the list of example profiles, an in-process render (fast, for unit tests),
 * the real CLI in a fresh process (for the real-tool and determinism tests),
 * and reading a rendered tree back from disk.
 *
 * Not a test file itself (vitest only collects *.test.ts).
 */
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderOutputs, type OutputFile } from '../../generator/emit/output.js';
import type { PackerFlavor } from '../../generator/emit/packer.js';
import type { OsModule } from '../../generator/os/types.js';
import { checkProfile } from '../../generator/profile/index.js';
import type { ResolvedProfile } from '../../generator/profile/types.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROFILES_DIR = path.join(ROOT, 'profiles');
export const GOLDEN_DIR = path.join(ROOT, 'test', 'golden');

export interface ExampleProfile {
  /** The profile's own `name` (also the golden directory's name). */
  name: string;
  /** Absolute path of profiles/NAME.yaml. */
  file: string;
  profile: ResolvedProfile;
  os: OsModule;
}

/** Compile one profile in-process; any error finding is a test failure with the findings listed. */
export function compileProfile(file: string): { profile: ResolvedProfile; os: OsModule } {
  const r = checkProfile(file);
  const errors = r.findings.filter((f) => f.severity === 'error');
  if (!r.profile || !r.os || errors.length > 0) {
    const list = r.findings.map((f) => `  ${f.file}:${f.line}:${f.column} ${f.severity} ${f.path}: ${f.message}`).join('\n');
    throw new Error(`example profile ${file} does not compile:\n${list}`);
  }
  return { profile: r.profile, os: r.os };
}

let cached: ExampleProfile[] | undefined;

/** Every `profiles/*.yaml` (not profiles/base/), compiled, sorted by file name. */
export function exampleProfiles(): ExampleProfile[] {
  if (cached) return cached;
  const files = readdirSync(PROFILES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(PROFILES_DIR, f));
  if (files.length === 0) throw new Error(`no example profiles in ${PROFILES_DIR}`);
  cached = files.map((file) => {
    const c = compileProfile(file);
    return { name: c.profile.name, file, ...c };
  });
  const names = cached.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`two example profiles are both named ${dup}`);
  return cached;
}

/** The render as data, keyed by output path. */
export function renderInProcess(p: ExampleProfile, packerFlavor: PackerFlavor): Map<string, OutputFile> {
  const { files } = renderOutputs(p.profile, p.os, { packerFlavor });
  return new Map(files.map((f) => [f.path, f]));
}

/** The bytes of one output file of a render; throws (a test failure) when it is missing. */
export function outFile(files: Map<string, OutputFile>, rel: string): Buffer {
  const f = files.get(rel);
  if (!f) throw new Error(`the render has no ${rel} (it has: ${[...files.keys()].join(', ')})`);
  return f.data;
}

// ---------------------------------------------------------------------------
// the CLI in a fresh process

const DIST_CLI = path.join(ROOT, 'dist', 'generator', 'cli.js');
const SRC_CLI = path.join(ROOT, 'generator', 'cli.ts');
const TSX_LOADER = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return listTs(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The first generator/*.ts whose dist/ counterpart is missing or older, if any. */
export function staleDist(): string | undefined {
  const src = path.join(ROOT, 'generator');
  for (const ts of listTs(src)) {
    const js = path.join(ROOT, 'dist', 'generator', path.relative(src, ts)).replace(/\.ts$/, '.js');
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) return path.relative(ROOT, ts);
  }
  return undefined;
}

let cliChoice: { file: string; args: string[]; how: string } | undefined;

/**
 * How to run the CLI: the built `node dist/generator/cli.js` when dist/ is up
 * to date with generator/, else the same cli.ts through tsx (so a stale build
 * never makes these tests check old code). `how` says which, for messages.
 */
export function cliInvocation(): { file: string; args: string[]; how: string } {
  if (cliChoice) return cliChoice;
  const stale = staleDist();
  if (!stale) {
    cliChoice = { file: process.execPath, args: [DIST_CLI], how: 'node dist/generator/cli.js' };
  } else {
    if (!existsSync(TSX_LOADER)) throw new Error(`dist/ is stale (${stale}) and tsx is not installed: run npm run build`);
    cliChoice = {
      file: process.execPath,
      args: ['--import', pathToFileURL(TSX_LOADER).href, SRC_CLI],
      how: `node --import tsx generator/cli.ts (dist/ is older than ${stale}; npm run build to use it)`,
    };
  }
  return cliChoice;
}

export interface CliRunOptions {
  cwd?: string;
  env?: Record<string, string>;
}

export async function runCli(args: readonly string[], opts: CliRunOptions = {}) {
  const cli = cliInvocation();
  return execa(cli.file, [...cli.args, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { NO_COLOR: '1', ...opts.env },
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
}

/** `render PROFILE --out DIR [--packer-version V]` in a fresh process; throws with its stderr on failure. */
export async function renderCli(profileFile: string, outDir: string, opts: CliRunOptions & { packerVersion?: string } = {}): Promise<void> {
  const args = ['render', profileFile, '--out', outDir];
  if (opts.packerVersion) args.push('--packer-version', opts.packerVersion);
  const r = await runCli(args, opts);
  if (r.exitCode !== 0) {
    throw new Error(`${cliInvocation().how} ${args.join(' ')} exited ${String(r.exitCode)}:\n${String(r.stderr)}`);
  }
}

// ---------------------------------------------------------------------------
// trees on disk

export interface TreeFile {
  data: Buffer;
  mode: number; // permission bits
}

/** Every regular file under dir (relative '/'-separated paths, sorted); symlinks and others are errors. */
export function readTree(dir: string): Map<string, TreeFile> {
  const out = new Map<string, TreeFile>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        const full = path.join(dir, r);
        out.set(r, { data: readFileSync(full), mode: statSync(full).mode & 0o7777 });
      } else throw new Error(`unexpected non-regular file in ${dir}: ${r}`);
    }
  };
  walk('');
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A short, readable diff of two texts: the differing region after trimming
 * the common head and tail, with up to 3 lines of context and at most
 * `maxLines` lines of -/+ output.
 */
export function textDiff(expected: string, actual: string, maxLines = 40): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ctx = 3;
  const from = Math.max(0, head - ctx);
  const lines: string[] = [`@@ line ${head + 1} (expected ${a.length} lines, got ${b.length}) @@`];
  for (let i = from; i < head; i++) lines.push(`  ${a[i]}`);
  const removed = a.slice(head, a.length - tail).map((l) => `- ${l}`);
  const added = b.slice(head, b.length - tail).map((l) => `+ ${l}`);
  const body = [...removed, ...added];
  lines.push(...body.slice(0, maxLines));
  if (body.length > maxLines) lines.push(`  ... ${body.length - maxLines} more changed lines`);
  for (let i = a.length - tail; i < Math.min(a.length, a.length - tail + ctx); i++) lines.push(`  ${a[i]}`);
  return lines.join('\n');
}

/** Whether a buffer looks like text (UTF-8 without NUL), for diffs. */
export function isText(data: Buffer): boolean {
  return !data.includes(0) && Buffer.from(data.toString('utf8'), 'utf8').equals(data);
}
