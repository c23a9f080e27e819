// profiles/profile.schema.json is the assembly of the central part and the components' fragments
// (generator/profile/schema-assemble.ts): the committed file must be exactly that.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleSchema, formatSchema, fragmentFile, SCHEMA_FILE, type Json } from '../../generator/profile/schema-assemble.js';
import { COMPONENTS } from '../../generator/components/index.js';

const ROOT = path.resolve(__dirname, '../..');

describe('the profile schema assembly', () => {
  it('is the committed profiles/profile.schema.json, byte for byte (npm run schema rewrites it)', () => {
    expect(formatSchema(assembleSchema())).toBe(readFileSync(path.join(ROOT, SCHEMA_FILE), 'utf8'));
  });

  it('places each component section where the central part names it, in its order', () => {
    const props = (assembleSchema() as { properties: Record<string, { $component?: string; type?: string }> }).properties;
    expect(Object.keys(props).slice(0, 8)).toEqual(['apiVersion', 'extends', 'name', 'description', 'role', 'os', 'host', 'time']);
    expect(props.ssh?.type).toBe('object');
    expect(Object.values(props).filter((p) => p.$component !== undefined)).toEqual([]);
  });

  it('names only component folders that exist, each fragment holding sections of its own component', () => {
    const names = new Set(COMPONENTS.map((c) => c.name));
    const central = JSON.parse(readFileSync(path.join(ROOT, 'generator/profile/schema.central.json'), 'utf8')) as { properties: Record<string, { $component?: string }> };
    const owners = Object.values(central.properties).flatMap((p) => (p.$component ? [p.$component] : []));
    expect(owners.length).toBeGreaterThanOrEqual(13);
    for (const owner of owners) expect(names.has(owner), owner).toBe(true);
  });

  const central: Json = { type: 'object', properties: { name: { type: 'string' }, ssh: { $component: 'sshd' } } };
  const files = (more: Record<string, Json>) => (file: string) => ({ 'generator/profile/schema.central.json': central, ...more })[file];

  it('refuses a section its fragment lacks, a fragment that does not exist, and a section nothing places', () => {
    expect(() => assembleSchema(files({ [fragmentFile('sshd')]: { sshx: {} } }))).toThrow('generator/components/sshd/schema.json has no section "ssh"');
    expect(() => assembleSchema(files({}))).toThrow('generator/components/sshd/schema.json does not exist');
    expect(() => assembleSchema(files({ [fragmentFile('sshd')]: { ssh: { type: 'object' }, extra: {} } }))).toThrow('section "extra" is not placed');
    expect(assembleSchema(files({ [fragmentFile('sshd')]: { ssh: { type: 'object' } } }))).toEqual({ type: 'object', properties: { name: { type: 'string' }, ssh: { type: 'object' } } });
  });

  it('writes non-ASCII as \\u escapes, keeping the file ASCII', () => {
    expect(formatSchema({ d: 'peer\u2192md5' })).toBe('{\n  "d": "peer\\u2192md5"\n}\n');
  });
});
