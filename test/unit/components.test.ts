// One folder per component (generator/components/NAME/): its steps (index.ts) and its translate
// test beside it; the list in the seed's order is generator/components/index.ts.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPONENTS } from '../../generator/components/index.js';

const DIR = path.resolve(__dirname, '../../generator/components');

describe('the component folders', () => {
  it('keep the seed order', () => {
    expect(COMPONENTS.map((c) => c.name)).toEqual(['base', 'time', 'host', 'postgres', 'openssl', 'java', 'environment', 'resin', 'app', 'tls', 'firewall', 'fail2ban', 'sshd', 'firstboot', 'inventory', 'generalize']);
  });

  it.each(COMPONENTS.map((c) => c.name))('%s has its folder, its index.ts and its test', (name) => {
    expect(existsSync(path.join(DIR, name, 'index.ts'))).toBe(true);
    expect(existsSync(path.join(DIR, name, `${name}.test.ts`))).toBe(true);
  });

  it('hold no folder that is not a listed component, but the runner\'s (its README says why)', () => {
    const folders = readdirSync(DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual([...COMPONENTS.map((c) => c.name), 'runner'].sort());
    expect(existsSync(path.join(DIR, 'runner', 'index.ts')), 'the runner is no component').toBe(false);
  });
});
