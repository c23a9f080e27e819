// The instance contract: each per-instance value has one syntax, checked alike by the CLI
// (syntaxProblem, TypeScript) and by first boot on the instance (syntax_problem in lib.sh, bash).
// One table of cases runs through both; the verdicts, messages included, must be the same.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstboot } from '../../generator/components/firstboot/index.js';
import { contractScript, HANDED_IN, INSTANCE_VALUES, neededSecrets, syntaxProblem, type Syntax } from '../../generator/instance/contract.js';
import { CONTRACT_SH, LIB_SH, PATHS_SH } from '../../generator/instance/paths.js';
import { translate } from './component-table.js';

// lib.sh as installed: with the generated paths.sh and contract.sh beside it, which it sources.
const installed = translate(firstboot, '').files;
const LIB_DIR = mkdtempSync(path.join(tmpdir(), 'cocca-lib-'));
afterAll(() => rmSync(LIB_DIR, { recursive: true, force: true }));
for (const p of [LIB_SH, PATHS_SH, CONTRACT_SH]) writeFileSync(path.join(LIB_DIR, path.basename(p)), installed.find((f) => f.path === p)!.content);
const LIB = path.join(LIB_DIR, 'lib.sh');

const CASES: Record<Syntax, string[]> = {
  fqdn: ['registry.nic.example', 'registry.nic.example.', 'a.b', 'xn--bcher-kva.example', 'registry', 'registry.123', 'reg_istry.example', '-a.example', 'a..example', `${'a'.repeat(64)}.example`, `${'a'.repeat(63)}.example`, `${`${'a'.repeat(63)}.`.repeat(4)}example`, 'ré.example', 'a b.example', '', 'a.example\r', 'a.example\nb.example'],
  ipv4: ['10.0.0.5', '0.0.0.0', '255.255.255.255', '256.1.1.1', '10.0.0', '10.0.0.5/24', '010.0.0.1', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4.5', '', 'a.b.c.d'],
  ipv6: ['fd88::2', '::1', '2001:db8::1', '::ffff:192.0.2.1', 'fe80::1%eth0', '2001:db8::g', '1:2:3:4:5:6:7:8:9', '', '10.0.0.5', '[::1]',
    '::', '1::', ':', ':1', '1:', '::1:', ':1::', '1:::2', '1::2::3', '12345::', 'FFFF::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1::3:4:5:6:7:8',
    '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '::ffff:01.2.3.4', '::ffff:1.2.3', '1.2.3.4::', '::1.2.3.4:1', 'fe80::1 ', ' ::1', '::１'],
  password: ['0123456789ab', '0123456789a', 'x'.repeat(128), 'x'.repeat(129), 'pass word with spaces', 'has${el}inside', 'has#{el}inside', 'has$plain{braces}', 'a@@FQDN@@b-long-enough', 'tab\there-long-enough', 'ünïcödé-long-enough', 'quote\'"`$(x)-long'],
  text: ['x', '', 'plain text', 'tab\there', 'del\u007f', 'c1\u0085x', 'cr\rx', 'lf\nx', 'émoji 😀', "q'\"`$(x)${y}"],
  base64: ['QUJD', 'QUI=', 'QQ==', 'QQ=', 'Q', 'QUJD\n', 'QU JD', '====', '/+9a'],
};

/** Every case through bash's syntax_problem, in one bash process: the problem, or "" when valid. */
function bashVerdicts(cases: Array<[Syntax, string]>): string[] {
  const input = cases.map(([s, v]) => `${s}\0${v}\0`).join('');
  const script = `. ${LIB}
while IFS= read -r -d '' syntax && IFS= read -r -d '' value; do
  if why=$(syntax_problem "$syntax" "$value"); then printf '\\0'; else printf '%s\\0' "$why"; fi
done`;
  const r = spawnSync('bash', ['-c', script], { input, encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C' } });
  if (r.status !== 0) throw new Error(`bash exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\0').slice(0, -1);
}

describe('value syntax: the CLI and first boot agree', () => {
  const cases = Object.entries(CASES).flatMap(([syntax, values]) => values.map((v) => [syntax as Syntax, v] as [Syntax, string]));
  const bash = bashVerdicts(cases.filter(([, v]) => !v.includes('\0')));

  it.each(cases.map((c, i) => [i, c[0], JSON.stringify(c[1]).slice(0, 60)] as const))('case %i: %s %s', (i) => {
    const [syntax, value] = cases[i]!;
    const ts = syntaxProblem(syntax, value) ?? '';
    expect({ syntax, value, bash: bash[i] }).toEqual({ syntax, value, bash: ts });
  });

  it('the table has valid and invalid values of every syntax (the cases can tell the two apart)', () => {
    for (const [syntax, values] of Object.entries(CASES)) {
      const verdicts = values.map((v) => syntaxProblem(syntax as Syntax, v) === undefined);
      expect({ syntax, some: verdicts.includes(true), other: verdicts.includes(false) }).toEqual({ syntax, some: true, other: true });
    }
  });
});

describe('the contract on the instance (contract.sh)', () => {
  it('is bash data equal to the table', () => {
    const r = spawnSync('bash', ['-c', 'eval "$(cat)"; for n in "${CONTRACT_NAMES[@]}"; do printf "%s|%s|%s|%s|%s\\n" "$n" "${CONTRACT_SYNTAX[$n]}" "${CONTRACT_FROM[$n]}" "${CONTRACT_SECRET[$n]}" "${CONTRACT_OPTIONAL[$n]}"; done'], { input: contractScript(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(INSTANCE_VALUES.map((v) => [v.name, v.syntax, v.from.join(' '), v.secret ? 'yes' : 'no', v.optional ? 'yes' : 'no'].join('|')));
  });

  it('hands in every value but the generated-only keystore password', () => {
    expect(HANDED_IN.map((v) => v.name)).toEqual(['FQDN', 'PRIVATE_IPV4', 'PRIVATE_IPV6', 'PUBLIC_IPV4', 'POSTGRES_PASSWORD', 'SOURCE_KEYSTORE_PASSWORD', 'KEYSTORE_JKS']);
  });

  it('needs the source keystore password in every TLS mode, and the keystore itself with custom', () => {
    expect(neededSecrets({ tls: { mode: 'lab', staging: false } }).map((n) => n.name)).toEqual(['SOURCE_KEYSTORE_PASSWORD']);
    expect(neededSecrets({ tls: { mode: 'letsencrypt', staging: false } }).map((n) => n.name)).toEqual(['SOURCE_KEYSTORE_PASSWORD']);
    expect(neededSecrets({ tls: { mode: 'custom', staging: false } }).map((n) => n.name)).toEqual(['SOURCE_KEYSTORE_PASSWORD', 'KEYSTORE_JKS']);
  });
});
