/**
 * Golden files: test/golden/<profile-name>/ holds the complete render of each
 * example profile (modern flavor), every file except cloud-init/full.yaml.gz,
 * whose bytes are pinned by its sha256 in the golden manifest.json. A fresh
 * render must match byte for byte.
 *
 * After an intended change to the output, review the diff and accept it with:
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/golden.test.ts
 * (then review `git diff test/golden`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleProfiles, GOLDEN_DIR, isText, outFile, readTree, renderInProcess, textDiff } from '../helpers/outputs.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const UPDATE_CMD = 'UPDATE_GOLDEN=1 npx vitest run test/unit/golden.test.ts';
const NOT_GOLDEN = new Set(['cloud-init/full.yaml.gz']);

if (UPDATE && process.env.CI) throw new Error('UPDATE_GOLDEN=1 in CI: golden files are only rewritten on purpose, by a developer');

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function goldenFiles(name: string) {
  const files = renderInProcess(exampleProfiles().find((p) => p.name === name)!, 'modern');
  return { all: files, golden: new Map([...files].filter(([rel]) => !NOT_GOLDEN.has(rel)).map(([rel, f]) => [rel, f.data])) };
}

function writeGolden(dir: string, files: Map<string, Buffer>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [rel, data] of files) {
    const out = path.join(dir, ...rel.split('/'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, data, { mode: 0o644 });
  }
}

function compare(dir: string, fresh: Map<string, Buffer>): string[] {
  const stored = readTree(dir);
  const problems: string[] = [];
  for (const rel of fresh.keys()) if (!stored.has(rel)) problems.push(`+ new file ${rel} (not in the golden files)`);
  for (const rel of stored.keys()) if (!fresh.has(rel)) problems.push(`- file ${rel} is no longer rendered`);
  for (const [rel, data] of fresh) {
    const old = stored.get(rel)?.data;
    if (!old || old.equals(data)) continue;
    if (isText(old) && isText(data)) problems.push(`~ ${rel} differs:\n${textDiff(old.toString('utf8'), data.toString('utf8'))}`);
    else problems.push(`~ ${rel} differs (binary: ${old.length} -> ${data.length} bytes)`);
  }
  return problems;
}

describe.each(exampleProfiles().map((p) => [p.name] as const))('golden render of %s', (name) => {
  const dir = path.join(GOLDEN_DIR, name);

  it(`matches test/golden/${name}/ byte for byte`, () => {
    const { golden } = goldenFiles(name);
    if (UPDATE) {
      writeGolden(dir, golden);
      console.info(`golden: rewrote ${path.relative(process.cwd(), dir)} (${golden.size} files)`);
      return;
    }
    if (!existsSync(dir)) throw new Error(`no golden files for ${name} in ${dir}: generate them with ${UPDATE_CMD}`);
    const problems = compare(dir, golden);
    if (problems.length > 0) {
      throw new Error(
        `the render of ${name} differs from test/golden/${name} in ${problems.length} place(s):\n\n${problems.join('\n\n')}\n\n` +
          `If the change is intended, accept it with: ${UPDATE_CMD}`,
      );
    }
  });

  it('full.yaml.gz (not stored) has the sha256 and size the golden manifest.json pins', () => {
    const { all } = goldenFiles(name);
    const gz = all.get('cloud-init/full.yaml.gz');
    const manifest = JSON.parse(outFile(all, 'manifest.json').toString('utf8')) as { files: { path: string; bytes: number; sha256: string }[] };
    const entry = manifest.files.find((f) => f.path === 'cloud-init/full.yaml.gz');
    expect(entry === undefined, 'manifest lists full.yaml.gz exactly when it is rendered').toBe(gz === undefined);
    if (gz && entry) expect({ bytes: gz.data.length, sha256: sha256(gz.data) }).toEqual({ bytes: entry.bytes, sha256: entry.sha256 });
  });
});

describe('golden directory', () => {
  it('holds a directory for each example profile and nothing else', () => {
    const names = exampleProfiles().map((p) => p.name).sort();
    const present = existsSync(GOLDEN_DIR) ? readdirSync(GOLDEN_DIR).sort() : [];
    if (UPDATE) {
      for (const d of present) if (!names.includes(d)) rmSync(path.join(GOLDEN_DIR, d), { recursive: true, force: true });
      return;
    }
    expect(present, `stale or missing golden directories: fix with ${UPDATE_CMD}`).toEqual(names);
  });

  it('textDiff() shows separate hunks for separate changes', () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const after = [...before];
    after[4] = 'changed 5';
    after.splice(25, 0, 'inserted');
    expect(textDiff(before.join('\n'), after.join('\n'))).toBe(
      [
        '@@ expected line 2, actual line 2 @@',
        '  line 2', '  line 3', '  line 4', '- line 5', '+ changed 5', '  line 6', '  line 7', '  line 8',
        '@@ expected line 23, actual line 23 @@',
        '  line 23', '  line 24', '  line 25', '+ inserted', '  line 26', '  line 27', '  line 28',
      ].join('\n'),
    );
  });

  it('compare() reports a changed line, a missing file and an extra file (negative control)', () => {
    const [first] = exampleProfiles();
    const { golden } = goldenFiles(first!.name);
    const tampered = new Map(golden);
    const [someFile] = [...tampered.keys()].filter((k) => k.endsWith('.hcl'));
    tampered.set(someFile!, Buffer.from(`${tampered.get(someFile!)!.toString('utf8')}# tampered\n`));
    tampered.delete('manifest.json');
    tampered.set('extra/file.txt', Buffer.from('x\n'));
    const problems = compare(path.join(GOLDEN_DIR, first!.name), tampered);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^~ packer\/cocca\.pkr\.hcl differs:\n@@ expected line \d+, actual line \d+ @@\n[\s\S]*\n\+ # tampered/),
        '- file manifest.json is no longer rendered',
        '+ new file extra/file.txt (not in the golden files)',
      ]),
    );
  });
});
