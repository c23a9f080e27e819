// Hostile and broken profiles, run through the built CLI as CI runs it on a pull request.
// Each case lays out a small profile repository in a temp directory, runs `validate` and then
// `render`, and holds the CLI to what it owes untrusted input:
//   - it ends by itself (no hang, no signal) with the expected exit status, never 70;
//   - no stack trace, and nothing of a canary (an environment variable, a file outside the
//     profile tree) ever reaches stdout or stderr;
//   - render agrees with validate: what validate refuses, render refuses without writing
//     anything; what validate accepts, render writes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect } from 'vitest';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/generator/cli.js');

/** The clean base: a profile extending it has no findings (test/fixtures/profiles/base/clean.yaml). */
export const CLEAN_BASE = readFileSync(path.join(REPO, 'test/fixtures/profiles/base/clean.yaml'), 'utf8');

/** In the CLI's environment and in a file outside the profile tree: must never be printed. */
export const CANARY_ENV = 'canary-env-5b2d9f0e7c';
export const CANARY_FILE = 'canary-file-81c4a6d3e2';

/** The leaf's first lines; a case's `yaml` is appended from line 4 on. */
export const LEAF_HEADER = 'apiVersion: cocca-bake/v1\nextends: base.yaml\nname: t\n';

export interface HostileCase {
  /** What the case tries, as a test name. */
  name: string;
  /**
   * YAML appended to LEAF_HEADER as profiles/p.yaml (extending profiles/base.yaml, the clean
   * base). Leave it out when `files` writes profiles/p.yaml itself.
   */
  yaml?: string;
  /** More files, relative to the repository root (profiles/p.yaml to replace the leaf whole). */
  files?: Record<string, string | Buffer>;
  /** Anything files cannot say: FIFOs, symlinks, modes. Gets the repository root. */
  setup?: (root: string) => void;
  /** Arguments before the profile; default ['validate']. render gets `--out` by the harness. */
  args?: string[];
  /** Options for both validate and render, after the command (e.g. ['--root', 'profiles']). */
  options?: string[];
  /** The profile argument, relative to the repository root; default profiles/p.yaml. */
  profile?: string;
  /** validate's exit status: 0 accepted (warnings allowed), 1 refused. */
  exit: 0 | 1;
  /** Must each appear in validate's stderr (a string verbatim, or a pattern). */
  stderr?: Array<string | RegExp>;
  /** Must not appear in validate's or render's output (besides the canaries, always checked). */
  never?: string[];
  /** Skip the render half (e.g. the case is about validate's flags). */
  validateOnly?: boolean;
}

export interface RunResult {
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 30_000;

async function runCli(args: string[], cwd: string): Promise<RunResult> {
  const r = await execa(process.execPath, [CLI, ...args], {
    cwd,
    reject: false,
    timeout: TIMEOUT_MS,
    // Small enough that an unbounded read fails fast instead of taking the machine down.
    nodeOptions: ['--max-old-space-size=512'],
    env: { COCCA_CANARY: CANARY_ENV, AWS_SECRET_ACCESS_KEY: CANARY_ENV },
    stdin: 'ignore',
  });
  return { exitCode: r.exitCode, signal: r.signal ?? undefined, timedOut: Boolean(r.timedOut), stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A profile repository: a .git marker, profiles/base.yaml, a canary file beside it. */
export function layOut(c: HostileCase): { root: string; cleanup: () => void } {
  const top = mkdtempSync(path.join(tmpdir(), 'cocca-hostile-'));
  const root = path.join(top, 'repo');
  mkdirSync(path.join(root, '.git'), { recursive: true });
  writeFileSync(path.join(top, 'outside.txt'), `secret: ${CANARY_FILE}\n`);
  const files: Record<string, string | Buffer> = { 'profiles/base.yaml': CLEAN_BASE, ...(c.yaml !== undefined ? { 'profiles/p.yaml': LEAF_HEADER + c.yaml } : {}), ...c.files };
  for (const [rel, data] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  c.setup?.(root);
  return { root, cleanup: () => rmSync(top, { recursive: true, force: true }) };
}

function expectWellBehaved(r: RunResult, what: string, never: string[]): void {
  const all = `${r.stdout}\n${r.stderr}`;
  expect(r.timedOut, `${what} hung (killed after ${TIMEOUT_MS} ms)`).toBe(false);
  expect(r.signal, `${what} ended by a signal\n${r.stderr}`).toBeUndefined();
  expect(r.exitCode, `${what} crashed\n${r.stderr}`).not.toBe(70);
  expect(all, `${what} printed a stack trace`).not.toMatch(/^\s+at .*[(:]\d+/m);
  expect(all).not.toContain('internal error');
  for (const s of [CANARY_ENV, CANARY_FILE, ...never]) expect(all, `${what} printed ${JSON.stringify(s)}`).not.toContain(s);
}

/** Runs one case: validate, then render (unless validateOnly), with every check above. */
export async function runHostileCase(c: HostileCase): Promise<void> {
  const { root, cleanup } = layOut(c);
  try {
    const profile = c.profile ?? 'profiles/p.yaml';
    const never = c.never ?? [];
    const v = await runCli([...(c.args ?? ['validate']), ...(c.options ?? []), profile], root);
    expectWellBehaved(v, 'validate', never);
    expect(v.exitCode, v.stderr).toBe(c.exit);
    for (const want of c.stderr ?? []) {
      if (typeof want === 'string') expect(v.stderr).toContain(want);
      else expect(v.stderr).toMatch(want);
    }
    if (c.validateOnly) return;

    const out = path.join(root, 'out');
    const r = await runCli(['render', ...(c.options ?? []), profile, '--out', out], root);
    expectWellBehaved(r, 'render', never);
    if (c.exit === 1) {
      expect(r.exitCode, `render of a profile validate refuses\n${r.stderr}`).toBe(1);
      expect(existsSync(out), 'render wrote output for a refused profile').toBe(false);
    } else {
      expect(r.exitCode, `render of a profile validate accepts\n${r.stderr}`).toBe(0);
      expect(existsSync(path.join(out, 'manifest.json'))).toBe(true);
    }
  } finally {
    cleanup();
  }
}
