// The pipeline runs one way (check → plan → emit → publish), and so do the imports: a module
// may import its own layer or any layer below it, never one above. The table names every
// file's layer; a file no row names fails too, so a new folder is placed on purpose.
// Imports are read with TypeScript's own pre-processor (static, `export ... from`, dynamic).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/outputs.js';

/**
 * Lowest first. A row lists paths under generator/: a file, or a folder ending in '/'.
 * The most specific match wins (profile/types.ts is shared, the rest of profile/ is not).
 */
const LAYERS: ReadonlyArray<readonly [string, readonly string[]]> = [
  // Names and shapes every layer speaks: the profile's types, the catalog, ports, paths, and
  // the OS registry (the profile's `os` is one of its names, and each module answers in the
  // profile's own types, so the two are one layer).
  ['shared', ['paths.ts', 'version.ts', 'ports.ts', 'catalog.ts', 'build-user.ts', 'profile/types.ts', 'os/']],
  // The profile language: load, schema, findings, the rules no component owns, resolve; and
  // the lock file, which pins the profile's downloads before the rules judge them.
  ['profile', ['profile/', 'lock/']],
  // The plan: each component's steps and rules, the instance contract.
  ['plan', ['components/', 'instance/']],
  // The image's SBOM is output built as data too.
  ['emit', ['emit/', 'sbom/']],
  // Runs first, but gathers every module's rules and proves the emitters can write the result.
  ['check', ['check/']],
  // The outside world: AWS, downloads over verified TLS, and apt run with a private configuration.
  ['publish', ['aws/', 'net/', 'apt/']],
  // The lock's packages entries (from build records, for --frozen).
  ['commands', ['commands/', 'build-report/', 'lock/packages.ts']],
  ['cli', ['cli.ts']],
];

const GENERATOR = path.join(ROOT, 'generator');

/** The layer of a path relative to generator/ ('/'-separated), or undefined. */
function layerOf(rel: string): { name: string; rank: number } | undefined {
  let best: { name: string; rank: number; length: number } | undefined;
  LAYERS.forEach(([name, paths], rank) => {
    for (const p of paths) {
      const hit = p.endsWith('/') ? rel.startsWith(p) : rel === p;
      if (hit && (!best || p.length > best.length)) best = { name, rank, length: p.length };
    }
  });
  return best && { name: best.name, rank: best.rank };
}

interface Source {
  rel: string; // relative to generator/
  text: string;
}

/** One line per import that goes up a layer, or from or to a file no layer names. */
function layerViolations(sources: readonly Source[]): string[] {
  const problems: string[] = [];
  for (const { rel, text } of sources) {
    const from = layerOf(rel);
    if (!from) {
      problems.push(`generator/${rel}: in no layer (add it to LAYERS in test/unit/layers.test.ts)`);
      continue;
    }
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue; // a package
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), imported.fileName)).replace(/\.js$/, '.ts');
      const line = text.slice(0, imported.pos).split('\n').length;
      const where = `generator/${rel}:${line} imports '${imported.fileName}'`;
      if (target.startsWith('../')) {
        problems.push(`${where}: outside generator/`);
        continue;
      }
      const to = layerOf(target);
      if (!to) problems.push(`${where}: generator/${target} is in no layer`);
      else if (to.rank > from.rank) problems.push(`${where}: the ${from.name} layer reaches up into the ${to.name} layer`);
    }
  }
  return problems;
}

function generatorSources(dir = GENERATOR): Source[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return generatorSources(full);
    // Tests beside a component use the whole pipeline to judge it; they are not part of it.
    if (!e.name.endsWith('.ts') || e.name.endsWith('.test.ts') || e.name.endsWith('.d.ts')) return [];
    return [{ rel: path.relative(GENERATOR, full).split(path.sep).join('/'), text: readFileSync(full, 'utf8') }];
  });
}

describe('layers', () => {
  it('no module in generator/ imports a layer above its own', () => {
    const sources = generatorSources();
    expect(sources.length).toBeGreaterThan(50);
    expect(layerViolations(sources)).toEqual([]);
  });

  it('names the file, line and import of a module that reaches up', () => {
    const sources: Source[] = [
      { rel: 'profile/rules.ts', text: "import type { Profile } from './types.js';\nimport {\n  COMPONENTS,\n} from '../components/index.js';\n" },
      { rel: 'emit/output.ts', text: "export { x } from '../commands/build/record.js';\nconst m = await import('../aws/images.js');\n" },
      { rel: 'components/generalize/index.ts', text: "import { BUILD_USER } from '../../build-user.js';\nimport { lines } from '../model.js';\n" },
      { rel: 'elsewhere/new.ts', text: '' },
    ];
    expect(layerViolations(sources)).toEqual([
      "generator/profile/rules.ts:4 imports '../components/index.js': the profile layer reaches up into the plan layer",
      "generator/emit/output.ts:1 imports '../commands/build/record.js': the emit layer reaches up into the commands layer",
      "generator/emit/output.ts:2 imports '../aws/images.js': the emit layer reaches up into the publish layer",
      'generator/elsewhere/new.ts: in no layer (add it to LAYERS in test/unit/layers.test.ts)',
    ]);
  });
});
