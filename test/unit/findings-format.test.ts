// Findings are printed to terminals and CI logs: what a profile holds must not reach them as
// control sequences, and the caret must still point at the value.
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../generator/profile/characters.js';
import { formatFinding, type Finding } from '../../generator/profile/findings.js';

const finding = (over: Partial<Finding>): Finding => ({ file: 'p.yaml', line: 1, column: 1, severity: 'error', path: 'x', message: 'm', ...over }) as Finding;

describe('terminalSafe', () => {
  it('escapes C0 (but TAB), DEL, C1 and the Unicode line separators; keeps the rest', () => {
    expect(terminalSafe('a\x1b[2Jb\x07c\rd\ne\x7ff\x9bg\u2028h\u2029i')).toBe('a\\u001b[2Jb\\u0007c\\u000dd\\u000ae\\u007ff\\u009bg\\u2028h\\u2029i');
    expect(terminalSafe('tab\there é 🦀 中文')).toBe('tab\there é 🦀 中文');
  });
});

describe('formatFinding', () => {
  it('prints the source line escaped, the caret under the value', () => {
    const src = 'a: "\x1b[31m" # x\nport: 0\n';
    const text = formatFinding(finding({ line: 1, column: 14, message: 'bad \x1b]0;t\x07' }), () => src);
    expect(text).toBe(['p.yaml:1:14: error: x: bad \\u001b]0;t\\u0007', ' 1 | a: "\\u001b[31m" # x', '   |                   ^'].join('\n'));
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });

  it('escapes the hint too', () => {
    expect(formatFinding(finding({ hint: 'use \x1b[0m' }), () => undefined)).toBe('p.yaml:1:1: error: x: m\n  hint: use \\u001b[0m');
  });
});
