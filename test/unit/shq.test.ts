// shq, the one way profile values enter a shell script: bash reads each quoted value back as
// it was, and ShellCheck finds nothing to say about the quoting.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shq } from '../../generator/components/model.js';

const VALUES = [
  'plain',
  'https://m.example/a_b-c.tar.gz',
  '',
  'two words',
  "it's",
  '"double"',
  '$HOME',
  '${x}',
  '$(id)',
  '`id`',
  "a'$b\"`c\\d",
  'back\\slash\\',
  '\\$',
  '# not a comment',
  '; rm -rf / #',
  '* ? [a] ~ ! & | < >',
  'é 中文 🦀 e\u0301',
  '-n',
];

const HAVE_SHELLCHECK = spawnSync('shellcheck', ['--version']).status === 0;

describe('shq', () => {
  it('bash reads every value back byte for byte, as one word', () => {
    const script = VALUES.map((v) => `printf '%s\\0' ${shq(v)}`).join('\n');
    const out = execFileSync('bash', ['-c', script]).toString('utf8');
    expect(out.split('\0').slice(0, -1)).toEqual(VALUES);
  });

  it('leaves safe words bare, quotes the rest; $, ` and \\ in double quotes', () => {
    expect(shq('a-b_c.d/e:f=g@h%i+j,k')).toBe('a-b_c.d/e:f=g@h%i+j,k');
    expect(shq(8080)).toBe('8080');
    expect(shq("it's")).toBe("'it'\\''s'");
    expect(shq('a$(b)`c`"d"\\e')).toBe('"a\\$(b)\\`c\\`\\"d\\"\\\\e"');
  });

  it('ShellCheck has nothing to say about the quoted values', (ctx) => {
    ctx.skip(!HAVE_SHELLCHECK, 'shellcheck is not installed');
    const script = ['#!/bin/bash', ...VALUES.map((v, i) => `v${i}=${shq(v)}`), `printf '%s\\n' ${VALUES.map((_, i) => `"$v${i}"`).join(' ')}`, ''].join('\n');
    const r = spawnSync('shellcheck', ['-s', 'bash', '-f', 'gcc', '-'], { input: script, encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
