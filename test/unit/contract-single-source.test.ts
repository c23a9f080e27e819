// The instance contract (generator/instance/contract.ts) and the shared paths
// (generator/instance/paths.ts) are the only source of the per-instance names, the user-data
// flags, the list first boot settles, the environment files and cocca-bake's directories on
// the instance. These tests hold every consumer to them: the CLI's real --help, the generated
// bash as bash reads it, and a scan of the repository's scripts and modules for a name or a
// path spelled anywhere else.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPONENTS } from '../../generator/components/index.js';
import { firstboot } from '../../generator/components/firstboot/index.js';
import { stepId } from '../../generator/components/model.js';
import { PGTUNE_PATH } from '../../generator/components/postgres/index.js';
import { HANDED_IN, INSTANCE_VALUES, instanceValue, type InstanceValue } from '../../generator/instance/contract.js';
import * as paths from '../../generator/instance/paths.js';
import { BASH_PATHS, CONTRACT_SH, DEFAULTS_ENV, INSTANCE_ENV, LIB_SH, PATHS_SH } from '../../generator/instance/paths.js';
import { execa } from 'execa';
import { translate } from './component-table.js';
import { CLEAN_BASE, leafHeader, REPO, tempTree } from './profile-helpers.js';

const ROOT = REPO;
const cli = (...args: string[]) => execa(process.execPath, [path.join(REPO, 'dist/generator/cli.js'), ...args], { cwd: REPO, reject: false });

// -------------------------------------------------------------------------------------------------
// the CLI

/** The options of `cocca-bake user-data --help`, with their argument. */
async function userDataOptions(): Promise<Map<string, string>> {
  const r = await cli('user-data', '--help');
  expect(r.exitCode).toBe(0);
  const out = new Map<string, string>();
  for (const m of r.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z0-9-]+)(?: <(\w+)>)?/gm)) out.set(m[1]!, m[2] ?? '');
  return out;
}

/** The options of user-data that are not about one contract value. */
const GENERAL_OPTIONS = ['--mode', '--secrets', '--gzip', '--root', '--help'];

describe('user-data: its flags come from the table', () => {
  it('takes every value a person may hand in, as its own flag or a line of --secrets, and no other', async () => {
    const options = await userDataOptions();
    expect([...options.keys()]).toEqual(expect.arrayContaining(GENERAL_OPTIONS));
    const byValue = new Map(
      [...options].filter(([o]) => !GENERAL_OPTIONS.includes(o)).map(([o, arg]) => [o, { arg, value: INSTANCE_VALUES.find((v) => v.input && 'flag' in v.input && v.input.flag === o) }]),
    );
    // Every contract flag is an option of the command, with the table's argument.
    for (const v of HANDED_IN) {
      expect(v.input, `${v.name} is handed in but the table says not how`).toBeDefined();
      if ('flag' in v.input!) expect({ name: v.name, arg: options.get(v.input.flag) }).toEqual({ name: v.name, arg: 'file' in v.input ? 'file' : v.input.arg });
    }
    // Every option that is not a general one is a contract value's.
    expect([...byValue].filter(([, b]) => !b.value).map(([o]) => o)).toEqual([]);
    // A value that is never handed in has no way in.
    expect(INSTANCE_VALUES.filter((v) => !v.from.includes('handed-in') && v.input).map((v) => v.name)).toEqual([]);
  });

  it('a --secrets line takes exactly the values the table says are handed in', async () => {
    const dir = tempTree({ 'base.yaml': CLEAN_BASE, 'p.yaml': leafHeader('base.yaml'), 's.env': 'COCCA_NOT_IN_THE_TABLE=x\n' });
    const r = await cli('user-data', path.join(dir, 'p.yaml'), '--mode', 'firstboot', '--secrets', path.join(dir, 's.env'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`COCCA_NOT_IN_THE_TABLE is not a value first boot takes (it takes: ${HANDED_IN.map((v) => `COCCA_${v.name}`).join(', ')})`);
  });

  it('hands the values in through instance.env, and a file value where the table puts it', async () => {
    const dir = tempTree({ 'base.yaml': CLEAN_BASE, 'p.yaml': leafHeader('base.yaml') + 'tls: {mode: custom}\n', 's.env': 'COCCA_SOURCE_KEYSTORE_PASSWORD=not-a-real-one\n', 'k.jks': 'JKS' });
    const files = INSTANCE_VALUES.filter((v) => v.input && 'file' in v.input);
    const flags = files.flatMap((v) => (v.input && 'flag' in v.input ? [v.input.flag, path.join(dir, 'k.jks')] : []));
    const r = await cli('user-data', path.join(dir, 'p.yaml'), '--mode', 'firstboot', '--secrets', path.join(dir, 's.env'), ...flags);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`path: ${INSTANCE_ENV}`);
    for (const v of files) expect(r.stdout).toContain(`path: ${v.file}`);
  });
});

// -------------------------------------------------------------------------------------------------
// the image's copy, as bash reads it

const generated = translate(firstboot, '').files;
const installed = (p: string) => generated.find((f) => f.path === p)?.content;
const dir = mkdtempSync(path.join(tmpdir(), 'cocca-contract-sh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const p of [LIB_SH, PATHS_SH, CONTRACT_SH]) writeFileSync(path.join(dir, path.basename(p)), installed(p)!);

/** Runs SCRIPT in bash after sourcing the generated lib.sh (which sources paths.sh and contract.sh beside it). */
function withLib(script: string): { stdout: string; stderr: string; status: number | null } {
  // stdin from /dev/null: bash reads ~/.bashrc when its stdin is a socket (as if started by sshd).
  return spawnSync('bash', ['-c', `set -euo pipefail; . ${dir}/lib.sh; ${script}`], { encoding: 'utf8', env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the image: first boot settles the table, in its order', () => {
  it('installs lib.sh with paths.sh and contract.sh beside it', () => {
    expect([LIB_SH, PATHS_SH, CONTRACT_SH].map((p) => path.dirname(p))).toEqual([paths.COCCA_LIB, paths.COCCA_LIB, paths.COCCA_LIB]);
    expect([LIB_SH, PATHS_SH, CONTRACT_SH].map((p) => installed(p) !== undefined)).toEqual([true, true, true]);
  });

  it('the settle list: every value, in the table\'s order, with its sources, kind, detection, fallback and file', () => {
    const r = withLib(`for n in "\${CONTRACT_NAMES[@]}"; do printf '%s|%s|%s|%s|%s|%s|%s|%s\\n' "$n" "\${CONTRACT_FROM[$n]}" "\${CONTRACT_SECRET[$n]}" "\${CONTRACT_OPTIONAL[$n]}" "\${CONTRACT_DETECT[$n]}" "\${CONTRACT_FALLBACK[$n]}" "\${CONTRACT_FILE[$n]}" "\${CONTRACT_ONCE[$n]}"; done`);
    expect(r.stderr).toBe('');
    const want = (v: InstanceValue) => [v.name, v.from.join(' '), v.secret ? 'yes' : 'no', v.optional ? 'yes' : 'no', v.detect ?? '', v.fallback?.value ?? '', v.file ?? '', v.once ? 'yes' : 'no'].join('|');
    expect(r.stdout.trim().split('\n')).toEqual(INSTANCE_VALUES.map(want));
  });

  it('each source the table names has what it needs: a profile value, a detection, a way in', () => {
    for (const v of INSTANCE_VALUES) {
      expect({ name: v.name, profile: v.profile !== undefined, detect: v.detect !== undefined, input: v.input !== undefined }).toEqual({ name: v.name, profile: v.from.includes('profile'), detect: v.from.includes('detected'), input: v.from.includes('handed-in') });
    }
  });

  it('the shared paths: paths.sh exports each one as paths.ts says, in sh and in bash', () => {
    const names = BASH_PATHS.map(([n]) => n);
    const want = BASH_PATHS.map(([n, v]) => `${n}=${v}`);
    const sh = spawnSync('sh', ['-c', `. ${dir}/paths.sh; env`], { encoding: 'utf8', env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(sh.stdout.split('\n').filter((l) => names.includes(l.split('=')[0]!)).sort()).toEqual([...want].sort());
    const bash = withLib('env');
    expect(bash.stdout.split('\n').filter((l) => names.includes(l.split('=')[0]!)).sort()).toEqual([...want].sort());
    // Plain paths: paths.sh writes them unquoted.
    for (const [, v] of BASH_PATHS) expect(v).toMatch(/^\/[A-Za-z0-9_./-]+$/);
  });

  it('value and secret read only names of their kind, and say so for any other', () => {
    const r = withLib(`value KEYSTORE_PASSWORD; echo unreachable`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('KEYSTORE_PASSWORD is not a value of the instance contract');
    expect(r.stdout).toBe('');
    const s = withLib(`secret FQDN_TYPO`);
    expect(s.status).toBe(1);
    expect(s.stderr).toContain('FQDN_TYPO is not a secret of the instance contract');
  });

  it('a secret the operator must give names a boot step that exists, for first boot to know when it is still needed', () => {
    const boot = COMPONENTS.flatMap((c) => translate(c, 'tls: {mode: custom}\n').steps).filter((st) => st.phase === 'boot').map(stepId);
    const named = INSTANCE_VALUES.flatMap((v) => (v.needed ? [v.needed.step] : []));
    expect(named.length).toBeGreaterThan(0);
    for (const step of named) expect(boot).toContain(step);
  });

  it("the environment files: defaults.env holds the profile's values of the table", () => {
    const defaults = installed(DEFAULTS_ENV)!.split('\n');
    expect(INSTANCE_VALUES.filter((x) => x.profile).length).toBeGreaterThan(0);
    for (const v of INSTANCE_VALUES.filter((x) => x.profile)) expect(defaults).toContain(`${v.name}=registry.nic.example`);
  });
});

// -------------------------------------------------------------------------------------------------
// the scan: nothing else spells a contract name or a shared path

/** Files scanned: the generator's modules and every instance script and template (by name below: scripts move between folders). */
const SCANNED = ['generator', 'cloud-init'];
/** Not scanned, each for its reason. */
const NOT_SCANNED: Array<[RegExp, string]> = [
  [/^generator\/instance\//, 'the contract and the paths themselves'],
  [/\.test\.ts$/, 'a test states the output it expects in full, apart from the module it checks'],
  [/\.md$/, 'documentation for people'],
];

/** Spellings allowed where they stand, each with its reason. */
const ALLOWED: Array<{ file: RegExp; text: RegExp; why: string }> = [
  { file: /^generator\/components\/resin\/(resin-xml\.ts|schema\.json|index\.ts|cocca-resin-config)$|(^|\/)resin\.xml\.ejs$/, text: /@@[A-Z0-9_]+@@|'[A-Z0-9_]+'(?=[,\]:])|^\s*[A-Z0-9_]+:|printf "[A-Z0-9_]+=%s/g, why: "resin.xml's placeholders (@@FQDN@@) are the operator template's own names; the fill step reads the contract's values into them" },
  { file: /^generator\/(profile\/schema\.central\.json|check\/rules\.ts)$/, text: /"description": "aws-(ssm|secretsmanager): [^"]*"|PATH \+ [A-Z_]+|the keys [A-Z_]+/g, why: "the operator-facing words of the secrets store (the schema's descriptions, a rule's hint): which parameters or keys to create" },
  { file: /(^|\/)cocca-run$/, text: /usage: cocca-run [a-z|]+/g, why: "the runner's own usage line" },
];

function scannedFiles(rel: string): string[] {
  return readdirSync(path.join(ROOT, rel), { withFileTypes: true }).flatMap((e) => {
    const r = path.posix.join(rel, e.name);
    if (e.isDirectory()) return scannedFiles(r);
    return NOT_SCANNED.some(([re]) => re.test(r)) ? [] : [r];
  });
}

const isTs = (rel: string) => rel.endsWith('.ts');
const isShell = (rel: string) => rel.endsWith('.sh') || /^#!\s*\/bin\/(ba)?sh\b/.test(readFileSync(path.join(ROOT, rel), 'utf8'));

/** The code of a file without its comments: whole lines of bash #, TypeScript //, /* and *, and ejs comment blocks. */
function code(rel: string): Array<[number, string]> {
  const text = readFileSync(path.join(ROOT, rel), 'utf8');
  const comment = isTs(rel) ? /^\s*(\/\/|\/\*|\*)/ : rel.endsWith('.json') ? /$^/ : /^\s*#/;
  let inBlock = false;
  return text
    .split('\n')
    .map((l, i) => [i + 1, l] as [number, string])
    .filter(([, l]) => {
      if (rel.endsWith('.ejs')) {
        const starts = /<%#|<!--/.test(l);
        const was = inBlock || starts;
        inBlock = was && !/%>|-->/.test(l);
        return !was;
      }
      return !comment.test(l);
    });
}

const CONTRACT_NAMES = `\\b(${INSTANCE_VALUES.map((v) => v.name).join('|')})\\b`;
const CONTRACT_WORD = new RegExp(CONTRACT_NAMES, 'g');
const ENV_FILES = [paths.INSTANCE_ENV, paths.VALUES_ENV, paths.SECRETS_ENV, paths.DEFAULTS_ENV, paths.CONTRACT_SH, paths.PATHS_SH].map((p) => path.basename(p));
const SHARED = [paths.COCCA_LIB, paths.COCCA_ETC, paths.COCCA_STATE, paths.COCCA_CACHE];
const SHARED_PATH = new RegExp(`(?<![\\w.-])(${SHARED.map((p) => p.replace(/[.]/g, '\\.')).join('|')})(?![\\w.-])|\\b(${ENV_FILES.map((f) => f.replace('.', '\\.')).join('|')})\\b|\\bcocca-run (bake|seal|harden|boot)\\b`, 'g');
/** How a script finds the generated files: the one path it spells, held to paths.ts below. */
const BOOTSTRAP = /^\s*\.\s+(\/\S+\/(?:lib|paths)\.sh)\s*$/;
/** How lib.sh finds them: beside itself. */
const BESIDE = /^\s*\.\s+"\$\{BASH_SOURCE\[0\]%\/\*\}\/([a-z]+\.sh)"\s*$/;
/** A reference to a value: lib.sh's value or secret, or a typed TypeScript reference. */
const BASH_READ = /(?<=^|[\s$(])(value|secret) ([A-Z][A-Z0-9_]*)\b/g;
const TS_READ = /\b(readValue|contractValue)\('([A-Z0-9_]+)'\)/g;

describe('nothing else spells a contract name or a shared path', () => {
  const files = SCANNED.flatMap((d) => scannedFiles(d));

  it('scans the first-boot program, the runner, lib.sh, the components and the CLI', () => {
    expect(['cocca-firstboot', 'lib.sh', 'cocca-run', 'cocca-secrets', 'cocca-motd', 'cocca-keystore'].map((n) => files.filter((f) => path.basename(f) === n).length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(files).toEqual(expect.arrayContaining(['generator/components/firstboot/index.ts', 'generator/cli.ts', 'generator/emit/cloud-init.ts']));
  });

  it('every allow-list entry is still needed', () => {
    for (const a of ALLOWED) {
      const spells = (t: string) => new RegExp(CONTRACT_NAMES).test(t) || new RegExp(SHARED_PATH.source).test(t);
      const used = files.filter((f) => a.file.test(f)).some((f) => code(f).some(([, l]) => [...l.matchAll(a.text)].some((m) => spells(m[0]))));
      expect({ why: a.why, used }).toEqual({ why: a.why, used: true });
    }
  });

  it('a script finds lib.sh and paths.sh where paths.ts puts them; cocca-sizing finds pgtune.sh where the postgres component installs it', () => {
    const found: string[] = [];
    for (const f of files) {
      for (const [n, l] of code(f)) {
        const m = BOOTSTRAP.exec(l);
        if (m) {
          found.push(f);
          expect({ at: `${f}:${n}`, path: m[1] }).toEqual({ at: `${f}:${n}`, path: m[1]!.endsWith('/lib.sh') ? LIB_SH : PATHS_SH });
        }
      }
    }
    expect(found.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['cocca-firstboot', 'cocca-run', 'cocca-motd']));
    const beside = files.flatMap((f) => code(f).flatMap(([, l]) => BESIDE.exec(l)?.[1] ?? []));
    expect(beside).toEqual([path.basename(PATHS_SH), path.basename(CONTRACT_SH)]);
    const sizing = readFileSync(path.join(ROOT, files.find((f) => path.basename(f) === 'cocca-sizing')!), 'utf8');
    expect(/\$\{COCCA_PGTUNE:-(\S+)\}/.exec(sizing)?.[1]).toBe(PGTUNE_PATH);
  });

  it('values are read by name only through lib.sh\'s value/secret (bash) or a typed reference (TypeScript), each of the right kind', () => {
    const wrong: string[] = [];
    for (const f of files.filter(isShell)) {
      for (const [n, l] of code(f)) {
        for (const m of l.matchAll(BASH_READ)) {
          const v = instanceValue(m[2]!);
          if (!v || v.secret !== (m[1] === 'secret')) wrong.push(`${f}:${n}: ${m[0]}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no other spelling of a contract name, a shared directory, an environment file or a runner command', () => {
    const found: string[] = [];
    for (const f of files) {
      const allowed = ALLOWED.filter((a) => a.file.test(f));
      for (const [n, raw] of code(f)) {
        if (BOOTSTRAP.test(raw) || BESIDE.test(raw) || /\$\{COCCA_PGTUNE:-/.test(raw)) continue;
        let l = isTs(f) ? raw.replace(TS_READ, '') : isShell(f) ? raw.replace(BASH_READ, '') : raw;
        for (const a of allowed) l = l.replace(a.text, '');
        for (const m of l.matchAll(CONTRACT_WORD)) found.push(`${f}:${n}: ${m[0]}`);
        for (const m of l.matchAll(SHARED_PATH)) found.push(`${f}:${n}: ${m[0]}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('the scan finds a spelled name, path or command (negative control)', () => {
    const lines = ['printf "%s" "$FQDN" /etc/cocca/x', 'x=/var/lib/cocca', 'cocca-run boot', 'kv_get "$d/values.env" K'];
    expect(lines.map((l) => [...l.matchAll(CONTRACT_WORD), ...l.matchAll(SHARED_PATH)].map((m) => m[0]))).toEqual([['FQDN', '/etc/cocca'], ['/var/lib/cocca'], ['cocca-run boot'], ['values.env']]);
    expect('fqdn=$(value FQDN)'.replace(BASH_READ, '').match(CONTRACT_WORD)).toBeNull();
    expect("`fqdn=${readValue('FQDN')}`".replace(TS_READ, '').match(CONTRACT_WORD)).toBeNull();
  });
});
