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
import { plan } from '../../generator/components/index.js';
import type { PackerFlavor } from '../../generator/emit/packer.js';
import type { OsModule } from '../../generator/os/types.js';
import { checkProfile } from '../../generator/check/index.js';
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
  const { files } = renderOutputs(p.profile, p.os, plan(p.profile, p.os), { packerFlavor });
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
    // Tests beside the components are not built (tsconfig.build.json).
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
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

/**
 * `render PROFILE --out DIR --packer-version V` in a fresh process; throws with its stderr on
 * failure. V defaults to a modern Packer: render's own default (auto) follows the Packer found.
 */
export const MODERN_PACKER = '1.10.0';
export async function renderCli(profileFile: string, outDir: string, opts: CliRunOptions & { packerVersion?: string } = {}): Promise<void> {
  const args = ['render', profileFile, '--out', outDir, '--packer-version', opts.packerVersion ?? MODERN_PACKER];
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

type DiffOp = { t: ' ' | '-' | '+'; line: string; a: number; b: number };

/** Line operations turning a into b (LCS on the part between the common head and tail). */
function diffOps(a: string[], b: string[]): DiffOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const A = a.slice(head, a.length - tail);
  const B = b.slice(head, b.length - tail);
  const n = A.length;
  const m = B.length;
  const ops: DiffOp[] = [];
  for (let i = 0; i < head; i++) ops.push({ t: ' ', line: a[i]!, a: i, b: i });
  if (n * m > 25_000_000) {
    // Too big for the table: show the whole middle as replaced.
    A.forEach((line, i) => ops.push({ t: '-', line, a: head + i, b: head }));
    B.forEach((line, j) => ops.push({ t: '+', line, a: head + n, b: head + j }));
  } else {
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = A[i] === B[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && A[i] === B[j]) ops.push({ t: ' ', line: A[i++]!, a: head + i - 1, b: head + j++ });
      else if (i < n && (j === m || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) ops.push({ t: '-', line: A[i++]!, a: head + i - 1, b: head + j });
      else ops.push({ t: '+', line: B[j++]!, a: head + i, b: head + j - 1 });
    }
  }
  for (let k = 0; k < tail; k++) ops.push({ t: ' ', line: a[a.length - tail + k]!, a: a.length - tail + k, b: b.length - tail + k });
  return ops;
}

/**
 * A unified-style line diff of two texts (expected -> actual): hunks with
 * 3 lines of context, `-` for expected-only lines, `+` for actual-only ones,
 * at most `maxLines` lines in all.
 */
export function textDiff(expected: string, actual: string, maxLines = 80): string {
  const ops = diffOps(expected.split('\n'), actual.split('\n'));
  const ctx = 3;
  const keep = new Array<boolean>(ops.length).fill(false);
  ops.forEach((op, k) => {
    if (op.t === ' ') return;
    for (let x = Math.max(0, k - ctx); x <= Math.min(ops.length - 1, k + ctx); x++) keep[x] = true;
  });
  const out: string[] = [];
  let k = 0;
  while (k < ops.length) {
    if (!keep[k]) {
      k++;
      continue;
    }
    const first = ops[k]!;
    out.push(`@@ expected line ${first.a + 1}, actual line ${first.b + 1} @@`);
    while (k < ops.length && keep[k]) {
      const op = ops[k++]!;
      out.push(`${op.t} ${op.line}`);
    }
  }
  if (out.length > maxLines) return [...out.slice(0, maxLines), `... (${out.length - maxLines} more diff lines)`].join('\n');
  return out.join('\n');
}

/** Whether a buffer looks like text (UTF-8 without NUL), for diffs. */
export function isText(data: Buffer): boolean {
  return !data.includes(0) && Buffer.from(data.toString('utf8'), 'utf8').equals(data);
}
