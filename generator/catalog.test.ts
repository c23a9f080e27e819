// The catalog's choices: PostgreSQL 16 and 17 and Resin 4.0.67 beside the seed's 15 and 4.0.66,
// which stay the defaults. Each choice goes through the real checker (schema and rules) and
// renders: the packages or the download it names land in the bake steps.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFragment } from '../test/unit/profile-helpers.js';
import { catalog, POSTGRES_MAJORS } from './catalog.js';
import { plan } from './components/index.js';

function planned(yaml: string) {
  const r = checkFragment({ yaml, base: 'bare' });
  expect(r.findings.filter((f) => f.severity === 'error').map((f) => `${f.path}: ${f.message}`)).toEqual([]);
  const steps = plan(r.profile!, r.os!).steps.bake;
  return { profile: r.profile!, script: (id: string) => steps.find((s) => `${s.component}.${s.name}` === id)!.script };
}

describe('the catalog', () => {
  it("keeps the seed's defaults: PostgreSQL 15, Resin 4.0.66", () => {
    const { profile } = planned('description: defaults\n');
    expect(profile.postgres.version).toBe(15);
    expect(profile.resin.version).toBe('4.0.66');
    expect(profile.downloads.resin.url).toBe('https://caucho.com/download/resin-4.0.66.tar.gz');
  });

  it("offers PostgreSQL 15, 16 and 17: the schema's enum is the catalog's list", () => {
    expect([...POSTGRES_MAJORS]).toEqual([15, 16, 17]);
    const fragment = JSON.parse(readFileSync(path.join(__dirname, 'components/postgres/schema.json'), 'utf8')) as { postgres: { properties: { version: { enum: number[]; default: number } } } };
    expect(fragment.postgres.properties.version.enum).toEqual([...POSTGRES_MAJORS]);
    expect(fragment.postgres.properties.version.default).toBe(15);
  });

  it.each([16, 17])('PostgreSQL %i is accepted and installed from PGDG', (v) => {
    const { script } = planned(`postgres:\n  version: ${v}\n`);
    expect(script('postgres.install')).toBe(`/usr/local/lib/cocca/cocca-pg-install ${v} registry postgresql-${v} postgresql-client-${v}`);
    expect(script('postgres.repository')).toContain('/cocca-pgdg jammy-pgdg ');
  });

  it('refuses a PostgreSQL the catalog does not offer', () => {
    const r = checkFragment({ yaml: 'postgres:\n  version: 14\n', base: 'bare' });
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.path)).toEqual(['postgres.version']);
  });

  it("Resin 4.0.67 is accepted and downloaded from Caucho, unpinned like 4.0.66 (a warning)", () => {
    expect(catalog.resin['4.0.67']).toEqual({ url: 'https://caucho.com/download/resin-4.0.67.tar.gz', sha256: 'unpinned' });
    const r = checkFragment({ yaml: 'resin:\n  version: 4.0.67\n', base: 'bare' });
    expect(r.findings.filter((f) => f.path === 'resin.version').map((f) => `${f.severity}: ${f.message}`)).toEqual(['warning: resin download https://caucho.com/download/resin-4.0.67.tar.gz is not pinned to a SHA-256']);
    const { profile, script } = planned('resin:\n  version: 4.0.67\n');
    expect(profile.downloads.resin.url).toBe('https://caucho.com/download/resin-4.0.67.tar.gz');
    expect(script('resin.build')).toContain(' 4.0.67 https://caucho.com/download/resin-4.0.67.tar.gz unpinned ');
  });
});
