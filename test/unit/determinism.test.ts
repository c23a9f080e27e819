/**
 * Determinism and the manifest, through the real CLI in fresh processes:
 * every example profile is rendered twice per Packer flavor, the second time
 * from another working directory, with an absolute profile path, another
 * time zone and locale, into a differently named directory. The two trees
 * must be byte-identical (paths, bytes, modes) and equal the in-process render;
 * manifest.json must describe every file; the user-data EC2 gets must fit
 * in 16 KiB.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EC2_USER_DATA_LIMIT } from '../../generator/emit/output.js';
import { COCCA_BAKE_VERSION } from '../../generator/version.js';
import { exampleProfiles, readTree, renderCli, renderInProcess, ROOT, type TreeFile } from '../helpers/outputs.js';

interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
  gzipBytes?: number;
}
interface Manifest {
  generator: string;
  profile: string;
  profileDigest: string;
  packerFlavor: string;
  ec2UserDataLimit: number;
  files: ManifestEntry[];
}

const FLAVORS = [
  { flavor: 'modern', packerVersion: undefined },
  { flavor: 'legacy', packerVersion: '1.6.6' },
] as const;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let tmp: string;
const trees = new Map<string, { a: Map<string, TreeFile>; b: Map<string, TreeFile> }>();
const key = (name: string, flavor: string) => `${name}/${flavor}`;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocca-determinism-'));
  const elsewhere = mkdtempSync(path.join(tmp, 'cwd-'));
  const jobs = exampleProfiles().flatMap((p) =>
    FLAVORS.map(({ flavor, packerVersion }) => async () => {
      const outA = path.join(tmp, `${p.name}-${flavor}-a`);
      const outB = path.join(tmp, `second render of ${p.name} (${flavor})`);
      await renderCli(path.relative(ROOT, p.file), outA, { cwd: ROOT, packerVersion, env: { TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
      await renderCli(p.file, outB, { cwd: elsewhere, packerVersion, env: { TZ: 'Pacific/Kiritimati', LANG: 'de_DE.UTF-8', LC_ALL: 'tr_TR.UTF-8' } });
      trees.set(key(p.name, flavor), { a: readTree(outA), b: readTree(outB) });
    }),
  );
  // A few at a time: each is a fresh node process.
  const queue = [...jobs];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function treeDifferences(x: Map<string, TreeFile>, y: Map<string, TreeFile>): string[] {
  const out: string[] = [];
  for (const [rel, f] of x) {
    const g = y.get(rel);
    if (!g) out.push(`only in the first: ${rel}`);
    else if (!f.data.equals(g.data)) out.push(`bytes differ: ${rel}`);
    else if (f.mode !== g.mode) out.push(`mode differs: ${rel} ${f.mode.toString(8)} vs ${g.mode.toString(8)}`);
  }
  for (const rel of y.keys()) if (!x.has(rel)) out.push(`only in the second: ${rel}`);
  return out;
}

const cases = exampleProfiles().flatMap((p) => FLAVORS.map(({ flavor }) => [`${p.name} (${flavor})`, p, flavor] as const));

describe.each(cases)('%s', (_title, p, flavor) => {
  const get = () => {
    const t = trees.get(key(p.name, flavor));
    if (!t) throw new Error(`no render of ${p.name} (${flavor}): see beforeAll`);
    return t;
  };
  const manifestOf = (tree: Map<string, TreeFile>) => JSON.parse(tree.get('manifest.json')!.data.toString('utf8')) as Manifest;

  it('two fresh CLI processes give byte-identical trees (paths, bytes, modes)', () => {
    const { a, b } = get();
    expect(a.size).toBeGreaterThan(0);
    expect(treeDifferences(a, b)).toEqual([]);
  });

  it('the CLI writes exactly the in-process render (paths, bytes, modes)', () => {
    const { a } = get();
    const mem = new Map([...renderInProcess(p, flavor)].map(([rel, f]) => [rel, { data: f.data, mode: f.mode } as TreeFile]));
    expect(treeDifferences(mem, a)).toEqual([]);
  });

  it('manifest.json lists every other file with its size and sha256, and the profile digest', () => {
    const { a } = get();
    expect(a.has('manifest.json')).toBe(true);
    const m = manifestOf(a);
    expect(m.generator).toBe(`cocca-bake ${COCCA_BAKE_VERSION}`);
    expect(m.profile).toBe(p.name);
    expect(m.profileDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(m.profileDigest).toBe(p.profile.digest);
    expect(m.packerFlavor).toBe(flavor);
    expect(m.ec2UserDataLimit).toBe(EC2_USER_DATA_LIMIT);
    const listed = m.files.map((f) => f.path);
    expect(listed, 'manifest paths are sorted and unique').toEqual([...new Set(listed)].sort());
    expect(listed).toEqual([...a.keys()].filter((rel) => rel !== 'manifest.json'));
    for (const e of m.files) {
      const f = a.get(e.path)!;
      expect({ path: e.path, bytes: e.bytes, sha256: e.sha256 }).toEqual({ path: e.path, bytes: f.data.length, sha256: sha256(f.data) });
    }
  });

  it('the user-data entries carry raw and gzip sizes (and only they do)', () => {
    const { a } = get();
    const m = manifestOf(a);
    const gz = a.get('cloud-init/full.yaml.gz');
    for (const e of m.files) {
      const userData = e.path.startsWith('cloud-init/') && e.path.endsWith('.yaml');
      if (!userData) {
        expect(e.gzipBytes, `${e.path} should have no gzipBytes`).toBeUndefined();
        continue;
      }
      const data = a.get(e.path)!.data;
      expect(e.bytes).toBe(data.length);
      expect(e.gzipBytes, `${e.path}: gzipBytes`).toBe(gzipSync(data, { level: 9 }).length);
      if (e.path === 'cloud-init/full.yaml' && gz) expect(e.gzipBytes, 'full.yaml gzipBytes vs full.yaml.gz').toBe(gz.data.length);
    }
    // No user-data at all when first boot's secrets must come from user-data (render writes no secret).
    const rendered = a.has('cloud-init/firstboot.yaml') ? ['cloud-init/firstboot.yaml', 'cloud-init/full.yaml'] : [];
    expect(m.files.filter((e) => e.gzipBytes !== undefined).map((e) => e.path)).toEqual(rendered);
    if (gz) expect(gunzipSync(gz.data).equals(a.get('cloud-init/full.yaml')!.data)).toBe(true);
  });

  // On AWS the golden image is the way: its first-boot user-data must fit EC2's limit. The full
  // install is for consoles that take more (render says so when it is over EC2's; cli.test.ts).
  it(`the first-boot user-data is at most ${EC2_USER_DATA_LIMIT} bytes; full.yaml.gz is there exactly when full.yaml is over it`, () => {
    const { a } = get();
    const full = a.get('cloud-init/full.yaml')?.data;
    if (!full) {
      expect([...a.keys()].filter((f) => f.startsWith('cloud-init/'))).toEqual([]);
      return;
    }
    const gz = a.get('cloud-init/full.yaml.gz')?.data;
    expect(gz !== undefined, `full.yaml.gz is there exactly when full.yaml (${full.length} bytes) is over the limit`).toBe(full.length > EC2_USER_DATA_LIMIT);
    expect(a.get('cloud-init/firstboot.yaml')!.data.length).toBeLessThanOrEqual(EC2_USER_DATA_LIMIT);
  });
});

describe('negative control', () => {
  it('treeDifferences() notices a changed byte, a changed mode and a missing file', () => {
    const x = new Map<string, TreeFile>([
      ['a', { data: Buffer.from('1'), mode: 0o644 }],
      ['b', { data: Buffer.from('2'), mode: 0o755 }],
      ['c', { data: Buffer.from('3'), mode: 0o644 }],
    ]);
    const y = new Map<string, TreeFile>([
      ['a', { data: Buffer.from('x'), mode: 0o644 }],
      ['b', { data: Buffer.from('2'), mode: 0o644 }],
    ]);
    expect(treeDifferences(x, y)).toEqual(['bytes differ: a', 'mode differs: b 755 vs 644', 'only in the first: c']);
  });
});
