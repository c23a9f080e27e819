// Shared by the profile tests: temp directories of profile files, and findings in a
// compact form that tables can compare exactly.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';
import type { Finding } from '../../generator/profile/findings.js';
import { checkProfile, type CompileResult } from '../../generator/check/index.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(REPO, 'test/fixtures/profiles');

/** A 64-hex SHA-256 that satisfies the schema (the fixture base pins everything with it). */
export const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/** The clean base every table row extends: no findings of its own (see the fixture's comment). */
export const CLEAN_BASE = readFileSync(path.join(FIXTURES, 'base/clean.yaml'), 'utf8');
/** Lines of test/fixtures/profiles/base/clean.yaml that tests point at. */
export const CLEAN_BASE_LINES = { fqdn: 5, trusted: 7, trusted0: 8, trusted1: 9, region: 20, instanceType: 21 } as const;

/** The same base without artifacts: every download comes from the catalog. */
export const BARE_BASE = `apiVersion: cocca-bake/v1
host:
  fqdn: registry.nic.example
firewall:
  trusted: [198.51.100.0/24]
secrets:
  source: user-data
targets:
  aws:
    region: eu-west-1
`;

const dirs: string[] = [];
// Registered when a test file imports this module, so it runs after all of that file's tests.
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A fresh temp directory holding `files` (relative paths, parents created), removed after the
 * file's tests. With a profile (.yaml) in it, it is a profile repository: a `.git` marker makes
 * it the root that files a profile names must stay inside (generator/profile/files.ts).
 */
export function tempTree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cocca-bake-test-'));
  dirs.push(dir);
  if (Object.keys(files).some((f) => /\.ya?ml$/.test(f))) mkdirSync(path.join(dir, '.git'));
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** The first three lines of every table leaf; a row's fragment starts on line 4. */
export const leafHeader = (base: string): string => `apiVersion: cocca-bake/v1\nextends: ${base}\nname: t\n`;

export interface Fragment {
  /** YAML appended to the leaf header (line 4 onward), or the whole leaf when `base` is null. */
  yaml: string;
  /** Which base the leaf extends: 'clean' (default), 'bare', or null for a standalone leaf. */
  base?: 'clean' | 'bare' | null;
  /** Extra files next to the leaf. */
  files?: Record<string, string>;
}

export interface Checked extends CompileResult {
  dir: string;
  leaf: string;
  base: string;
}

/** Writes base.yaml (or bare.yaml) and leaf.yaml to a temp dir and runs the whole front half on the leaf. */
export function checkFragment(f: Fragment): Checked {
  const which = f.base === undefined ? 'clean' : f.base;
  const baseName = which === 'bare' ? 'bare.yaml' : 'base.yaml';
  const leafText = which === null ? f.yaml : leafHeader(baseName) + f.yaml;
  const dir = tempTree({ 'base.yaml': CLEAN_BASE, 'bare.yaml': BARE_BASE, 'leaf.yaml': leafText, ...f.files });
  const leaf = path.join(dir, 'leaf.yaml');
  return { ...checkProfile(leaf), dir, leaf, base: path.join(dir, baseName) };
}

/** One expected finding: [severity, path, line, column, message] in the leaf, or with `file` set. */
export type Want = [severity: Finding['severity'], path: string, line: number, column: number, message: string | RegExp, file?: string];

/** Findings as comparable tuples; `file` is given relative to `dir`. */
export function tuples(findings: Finding[], dir: string): Want[] {
  return findings.map((f) => [f.severity, f.path, f.line, f.column, f.message, path.relative(dir, f.file)]);
}

/** Asserts the findings are exactly `want`, in order (findings are sorted by file and position). */
export function expectFindings(findings: Finding[], dir: string, want: Want[]): void {
  const expected = want.map(([sev, p, line, col, msg, file]) => [
    sev,
    p,
    line,
    col,
    typeof msg === 'string' ? msg : expect.stringMatching(msg),
    file ?? 'leaf.yaml',
  ]);
  expect(tuples(findings, dir)).toEqual(expected);
}
