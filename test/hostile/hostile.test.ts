// The hostile-profile set (issue 10): every class of untrusted input, through the built CLI.
// Cases live in cases/<class>.ts; see harness.ts for what each one is held to.
import { describe, expect, it } from 'vitest';
import { cases as basics } from './cases/basics.js';
import { cases as escaping } from './cases/escaping.js';
import { cases as files } from './cases/files.js';
import { cases as rules } from './cases/rules.js';
import { runHostileCase, type HostileCase } from './harness.js';

const CLASSES: Record<string, HostileCase[]> = {
  basics,
  escaping,
  files,
  rules,
};

describe.concurrent.each(Object.entries(CLASSES))('hostile profiles: %s', (_, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await runHostileCase(c);
  });
});

it('the set holds at least 60 cases, with unique names', () => {
  const names = Object.values(CLASSES).flat().map((c) => c.name);
  expect(names.length).toBeGreaterThanOrEqual(60);
  expect(new Set(names).size).toBe(names.length);
});
