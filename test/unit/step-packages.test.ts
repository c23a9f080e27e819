// A step that installs apt packages through a script file it calls must say which (Step.packages):
// whatever carries the packages beforehand (the end-to-end harness's local mirror, an offline
// bundle) reads them from the step file, and cannot read them from `apt_install "$@"`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan } from '../../generator/components/index.js';
import { COCCA_LIB } from '../../generator/instance/paths.js';
import { ROOT } from '../helpers/outputs.js';
import { checkFragment } from './profile-helpers.js';

const COMPONENTS = path.join(ROOT, 'generator/components');
/** Script files (by installed name) with an apt_install of their own, outside comments. */
const installers = readdirSync(COMPONENTS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'runner')
  .flatMap((d) => readdirSync(path.join(COMPONENTS, d.name)).map((f) => path.join(COMPONENTS, d.name, f)))
  .filter((f) => !/\.(ts|json|ejs|md)$/.test(f) && readFileSync(f, 'utf8').split('\n').some((l) => /^\s*apt_install\b/.test(l)));

// The defaults (updates and NTP on, PostgreSQL from PGDG, the JDK tarball: cocca-java installs
// nothing from apt), then Java and PostgreSQL from apt: every branch that installs.
const VARIANTS: Array<[string, string[]]> = [
  ['', ['cocca-pg-install', 'cocca-time-utc', 'cocca-unattended']],
  ['java: {source: apt, package: openjdk-17-jdk-headless}\npostgres: {source: apt}\n', ['cocca-java', 'cocca-pg-install', 'cocca-time-utc', 'cocca-unattended']],
];

describe('steps declare the apt packages their script files install', () => {
  it('finds the installing scripts', () => {
    expect(installers.map((f) => path.basename(f)).sort()).toEqual(['cocca-java', 'cocca-pg-install', 'cocca-time-utc', 'cocca-unattended']);
  });

  for (const [yaml, installing] of VARIANTS) {
    it(`each call of one declares its packages${yaml ? ' (apt Java and PostgreSQL)' : ''}`, () => {
      const r = checkFragment({ yaml });
      const steps = Object.values(plan(r.profile!, r.os!).steps).flat();
      const called = new Set<string>();
      for (const name of installing) {
        for (const s of steps.filter((x) => x.script.includes(`${COCCA_LIB}/${name}`))) {
          called.add(name);
          expect(s.packages?.length, `${s.component}.${s.name} calls ${name}`).toBeGreaterThan(0);
          for (const p of s.packages!) expect(p).toMatch(/^[a-z0-9][a-z0-9+.-]*$/);
        }
      }
      expect([...called].sort()).toEqual(installing);
    });
  }

  it('a branch that installs nothing declares nothing', () => {
    const r = checkFragment({ yaml: 'updates: {unattendedSecurity: false}\ntime: {ntp: false}\n' });
    const steps = Object.values(plan(r.profile!, r.os!).steps).flat();
    for (const id of ['base.updates', 'time.utc', 'java.install']) expect(steps.find((s) => `${s.component}.${s.name}` === id)!.packages ?? [], id).toEqual([]);
  });
});
