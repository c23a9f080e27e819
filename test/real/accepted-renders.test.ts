/**
 * Whatever validate accepts renders (issue 10), for every profile the repository holds: each
 * of test/fixtures/profiles/** and profiles/** goes through the CLI's `validate`, then its
 * `render` in both Packer flavors. Refused: render refuses too and writes nothing. Accepted:
 * render writes, and every output is checked by the program that consumes it
 * (render-checks.ts: bash -n, ShellCheck, hcl2json, packer validate, xmllint, PyYAML,
 * cloud-init schema). The property test (escaping-property.test.ts) does the same for
 * generated values.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_PACKER, readTree, ROOT, runCli } from '../helpers/outputs.js';
import { OutputChecker } from './render-checks.js';
import { hasTool, isRoot } from './tools.js';

const NEEDS = ['bash', 'shellcheck', 'xmllint', 'packer', 'unshare', 'cloud-init', 'runuser', '/usr/bin/python3'];
const missing = process.env.CI === 'true' ? [] : [...(await Promise.all(NEEDS.map(async (t) => ((await hasTool(t)) ? [] : [t])))).flat(), ...(isRoot() ? [] : ['root'])];
const SKIP = missing.length > 0 ? `needs ${missing.join(', ')} (sudo bash test/setup/deps.sh)` : undefined;

function profilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
const PROFILES = [...profilesUnder(path.join(ROOT, 'test/fixtures/profiles')), ...profilesUnder(path.join(ROOT, 'profiles'))];

interface Outcome {
  rel: string;
  validate: number | undefined;
  modern: { exit: number | undefined; wrote: boolean; stderr: string };
  legacy: { exit: number | undefined; wrote: boolean };
  dirs: { modern: string; legacy: string };
}

let work = '';
const outcomes: Outcome[] = [];

beforeAll(async () => {
  if (SKIP) return;
  work = mkdtempSync(path.join(tmpdir(), 'cocca-accepted-'));
  const queue = PROFILES.map((file, i) => ({ file, i }));
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const dirs = { modern: path.join(work, `${job.i}-modern`), legacy: path.join(work, `${job.i}-legacy`) };
        const v = await runCli(['validate', job.file]);
        const m = await runCli(['render', job.file, '--out', dirs.modern, '--packer-version', MODERN_PACKER]);
        const l = await runCli(['render', job.file, '--out', dirs.legacy, '--packer-version', '1.6.6']);
        outcomes.push({
          rel: path.relative(ROOT, job.file),
          validate: v.exitCode,
          modern: { exit: m.exitCode, wrote: existsSync(dirs.modern), stderr: String(m.stderr) },
          legacy: { exit: l.exitCode, wrote: existsSync(dirs.legacy) },
          dirs,
        });
      }
    }),
  );
  outcomes.sort((a, b) => a.rel.localeCompare(b.rel));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(SKIP)(`every profile in the repository${SKIP ? ` [skipped: ${SKIP}]` : ''}`, () => {
  it('render agrees with validate: refused, nothing written; accepted, written', () => {
    expect(outcomes.length).toBe(PROFILES.length);
    const disagree = outcomes.flatMap((o) => {
      if (o.validate === 0 && o.modern.exit === 0 && o.legacy.exit === 0 && o.modern.wrote && o.legacy.wrote) return [];
      if (o.validate === 1 && o.modern.exit === 1 && o.legacy.exit === 1 && !o.modern.wrote && !o.legacy.wrote) return [];
      return [`${o.rel}: validate exited ${o.validate}, render ${o.modern.exit} (wrote: ${o.modern.wrote}) and ${o.legacy.exit} for 1.6.6 (wrote: ${o.legacy.wrote})\n${o.modern.stderr}`];
    });
    expect(disagree).toEqual([]);
    // Both kinds are here: the fixtures hold refused profiles, the examples accepted ones.
    expect(outcomes.filter((o) => o.validate === 0).length).toBeGreaterThanOrEqual(5);
    expect(outcomes.filter((o) => o.validate === 1).length).toBeGreaterThanOrEqual(5);
  });

  it("every accepted profile's outputs pass the programs that read them", async () => {
    const checker = new OutputChecker({ cloudInit: true });
    try {
      for (const o of outcomes.filter((x) => x.validate === 0 && x.modern.wrote && x.legacy.wrote)) {
        const modern = new Map([...readTree(o.dirs.modern)].map(([rel, f]) => [rel, f.data]));
        const legacy = readTree(o.dirs.legacy).get('packer/cocca.pkr.hcl')?.data.toString('utf8');
        checker.add(o.rel, modern, legacy);
      }
      const problems = await checker.run();
      console.info(`accepted renders: ${checker.summary()}`);
      expect(problems).toEqual([]);
    } finally {
      checker.cleanup();
    }
  }, 600_000);
});
