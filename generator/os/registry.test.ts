// The registry (index.ts) is the one list of OSes: each module file in this folder is in it
// under its own name, has its test beside it, and the schema's `os` enum is the registry's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OS, OS_MODULES, OS_NAMES, osModule } from './index.js';

const HERE = __dirname;
const NOT_MODULES = new Set(['index.ts', 'types.ts', 'debian-family.ts']);

describe('the OS registry', () => {
  it('holds every module file of generator/os under its own name, each with its test beside it', () => {
    const files = readdirSync(HERE).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_MODULES.has(f));
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...OS_NAMES].sort());
    for (const name of OS_NAMES) {
      expect(osModule(name).name, `the module registered as ${name}`).toBe(name);
      expect(existsSync(path.join(HERE, `${name}.test.ts`)), `${name}.test.ts`).toBe(true);
    }
    expect(OS_MODULES.map((m) => m.name)).toEqual(OS_NAMES);
  });

  it("is the committed schema's os enum, in its order, with the seed's OS as the default", () => {
    const schema = JSON.parse(readFileSync(path.join(HERE, '../../profiles/profile.schema.json'), 'utf8')) as { properties: { os: { enum: string[]; default: string; description: string } } };
    expect(schema.properties.os.enum).toEqual(OS_NAMES);
    expect(schema.properties.os.default).toBe('ubuntu-22.04');
    expect(DEFAULT_OS).toBe('ubuntu-22.04');
    for (const name of OS_NAMES) expect(schema.properties.os.description).toContain(`\`${name}\``);
  });

  it("names each release's own archive for bundle: the release, -updates and -security, signed-by its keyring, as apt.sources lines", () => {
    const schema = JSON.parse(readFileSync(path.join(HERE, '../../profiles/profile.schema.json'), 'utf8')) as { properties: { apt: { properties: { sources: { items: { pattern: string } } } } } };
    const line = new RegExp(schema.properties.apt.properties.sources.items.pattern);
    for (const m of OS_MODULES) {
      const { sources, keyring } = m.archive;
      expect(keyring.path, m.name).toMatch(m.name.startsWith('debian') ? /^\/usr\/share\/keyrings\/debian-archive-keyring\.gpg$/ : /^\/usr\/share\/keyrings\/ubuntu-archive-keyring\.gpg$/);
      for (const l of sources) {
        expect(l, m.name).toMatch(line);
        expect(l, m.name).toContain(`[signed-by=${keyring.path}] `);
      }
      const suites = sources.map((l) => l.split(' ')[3]);
      expect(suites, m.name).toEqual([m.codename, `${m.codename}-updates`, `${m.codename}-security`]);
    }
  });
});
