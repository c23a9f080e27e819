// The components' translate tests (generator/components/NAME/NAME.test.ts), in the style of
// Butane's: each row is a profile fragment laid over the clean test base, and what the one
// component must make of it — its step ids by phase, the files it installs, and lines those
// hold (or must not). The profile goes through the real checker first: a row that the schema or
// the rules refuse fails, so no row can test a profile nobody could write.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Component, FrozenPackages, InstanceFile, Step } from '../../generator/components/model.js';
import { checkProfile } from '../../generator/check/index.js';
import { CLEAN_BASE, leafHeader, tempTree } from './profile-helpers.js';

export interface TranslateRow {
  name: string;
  /** YAML laid over test/fixtures/profiles/base/clean.yaml (an `extends` leaf). */
  profile: string;
  /** Other files beside the profile (e.g. a resin.xml template it names). */
  beside?: Record<string, string>;
  /** A frozen bake's package versions (`--frozen`); the OS defaults to the profile's. */
  frozen?: Omit<FrozenPackages, 'os'> & { os?: string };
  /** The component's steps, as `phase:component.name`, in order. */
  steps: string[];
  /** The paths of the files it installs, in its order; left out: no check. */
  files?: string[];
  /** Lines (trimmed, whole; or a pattern one line matches) that a step (by id) or a file (by path) holds. */
  has?: Record<string, Array<string | RegExp>>;
  /** Lines the step or file must not hold (same matching). */
  lacks?: Record<string, Array<string | RegExp>>;
}

export interface Translated {
  steps: Step[];
  files: InstanceFile[];
}

/** The profile through the checker, then through the one component. */
export function translate(component: Component, profile: string, beside: Record<string, string> = {}, frozen?: TranslateRow['frozen']): Translated {
  const dir = tempTree({ ...beside, 'base.yaml': CLEAN_BASE, 'p.yaml': leafHeader('base.yaml') + profile });
  const r = checkProfile(path.join(dir, 'p.yaml'));
  const errors = r.findings.filter((f) => f.severity === 'error').map((f) => `${f.path}: ${f.message}`);
  expect(errors, 'the row\'s profile must be one the checker accepts').toEqual([]);
  const ctx = { profile: r.profile!, os: r.os!, frozen: frozen && { os: frozen.os ?? r.profile!.os, versions: frozen.versions } };
  return { steps: component.steps(ctx), files: component.files?.(ctx) ?? [] };
}

const matches = (line: string, want: string | RegExp) => (typeof want === 'string' ? line === want : want.test(line));

function textOf(t: Translated, key: string): string {
  const step = t.steps.find((s) => `${s.component}.${s.name}` === key);
  if (step) return step.script;
  const file = t.files.find((f) => f.path === key);
  if (file) return file.content;
  throw new Error(`no step or file ${key}: steps ${t.steps.map((s) => `${s.component}.${s.name}`).join(', ')}; files ${t.files.map((f) => f.path).join(', ')}`);
}

/** One `it` per row. */
export function translateTable(component: Component, rows: TranslateRow[]): void {
  describe(`component ${component.name}`, () => {
    it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
      const t = translate(component, row.profile, row.beside, row.frozen);
      expect(t.steps.map((s) => `${s.phase}:${s.component}.${s.name}`)).toEqual(row.steps);
      for (const s of t.steps) expect(s.component, `${s.component}.${s.name}`).toBe(component.name);
      if (row.files) expect(t.files.map((f) => f.path)).toEqual(row.files);
      for (const [key, wanted] of Object.entries(row.has ?? {})) {
        const got = textOf(t, key).split('\n').map((l) => l.trim());
        for (const want of wanted) expect(got.some((l) => matches(l, want)), `${key} holds ${String(want)}:\n${got.join('\n')}`).toBe(true);
      }
      for (const [key, unwanted] of Object.entries(row.lacks ?? {})) {
        const got = textOf(t, key).split('\n').map((l) => l.trim());
        for (const want of unwanted) expect(got.filter((l) => matches(l, want)), `${key} must not hold ${String(want)}`).toEqual([]);
      }
    });
  });
}
