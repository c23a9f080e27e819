/**
 * Every example profile's output, checked by the real programs that consume it
 * (Debian 12 packages from test/setup/deps.sh; most need root). Each profile is
 * rendered once per Packer flavor through the CLI, into a temp dir:
 *
 * - cloud-init: `cloud-init schema -c` on full.yaml (and its .gz) and
 *   firstboot.yaml; PyYAML, which cloud-init loads with, reads the same data;
 * - Packer: `packer validate .` in DIR/packer of the `--packer-version 1.6.6`
 *   render, exactly as rendered (no vars, no flags);
 * - scripts: shellcheck (`-x -P SCRIPTDIR`, bash, from inside the rootfs) on
 *   every generated shell script and install.sh; `python3 -m py_compile` on
 *   cocca-fill-template;
 * - sshd: `sshd -t` on the staged drop-in, `sshd -T` shows the hardening;
 * - fail2ban: `fail2ban-client -t` on the jail, `-d` shows the sshd jail on the
 *   profile's port;
 * - systemd: `systemd-analyze verify --root` on the units;
 * - ufw: `ufw --dry-run` on every rule of the firewall step.
 *
 * A missing tool (or not being root) skips that check outside CI; with
 * CI=true nothing is skipped for that reason: the helper then fails with
 * "required tool ... not found".
 */
import { execa } from 'execa';
import { load } from 'js-yaml';
import * as fs from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EC2_USER_DATA_LIMIT } from '../../generator/emit/output.js';
import { loginUsers } from '../../generator/profile/resolve.js';
import { cliInvocation, exampleProfiles, readTree, renderCli, type ExampleProfile } from '../helpers/outputs.js';
import {
  cloudInitSchema,
  fail2banDump,
  fail2banTest,
  hasTool,
  isRoot,
  packerValidate,
  packerVersion,
  splitWords,
  sshdEffective,
  sshdTest,
  ufwDryRun,
  whichTool,
} from './tools.js';

const ROOT_USER = isRoot();
const IN_CI = process.env.CI === 'true';

/** Skip reason when the tools (and root, if needed) are missing; undefined when the check can run. */
async function unavailable(needsRoot: boolean, ...tools: string[]): Promise<string | undefined> {
  if (IN_CI) return undefined;
  const missing: string[] = [];
  for (const t of tools) if (!(await hasTool(t))) missing.push(t);
  if (needsRoot && !ROOT_USER) missing.push('root');
  return missing.length > 0 ? `needs ${missing.join(', ')} (sudo bash test/setup/deps.sh)` : undefined;
}
const title = (t: string, skip: string | undefined) => (skip ? `${t} [skipped: ${skip}]` : t);

const SKIP = {
  cloudInit: await unavailable(true, 'cloud-init', 'runuser'),
  pyyaml: await unavailable(false, '/usr/bin/python3'),
  packer: await unavailable(true, 'packer', 'unshare'),
  shellcheck: await unavailable(false, 'shellcheck'),
  python: await unavailable(false, '/usr/bin/python3'),
  sshd: await unavailable(true, 'sshd', 'ssh-keygen', 'unshare'),
  fail2ban: await unavailable(true, 'fail2ban-client', 'unshare'),
  ufw: await unavailable(true, 'ufw', 'unshare'),
};

const LIB = 'usr/local/lib/cocca';
const PY = '/usr/bin/python3';

// ---------------------------------------------------------------------------
// renders

let base = '';
const renders = new Map<string, { modern: string; legacy: string }>();

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-outputs-'));
  const jobs = exampleProfiles().map((p) => async () => {
    const modern = path.join(base, p.name, 'modern');
    const legacy = path.join(base, p.name, 'legacy');
    await renderCli(p.file, modern);
    await renderCli(p.file, legacy, { packerVersion: '1.6.6' });
    // Secrets from user-data: render writes no user-data; `cocca-bake user-data --secrets` makes
    // each instance's, and that is what the validators below read.
    if (!existsSync(path.join(modern, 'cloud-init'))) await userDataFromCli(p.file, path.join(modern, 'cloud-init'));
    renders.set(p.name, { modern, legacy });
  });
  const queue = [...jobs];
  await Promise.all(Array.from({ length: 3 }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
  console.info(`outputs: rendered ${renders.size} profiles x 2 flavors with ${cliInvocation().how}`);
}, 300_000);

afterAll(async () => {
  if (base) await fs.rm(base, { recursive: true, force: true });
});

/** full.yaml (and .gz when over EC2's limit) and firstboot.yaml, from `cocca-bake user-data` with a secret handed in. */
async function userDataFromCli(profile: string, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const secrets = path.join(dir, '..', 'secrets.env');
  await fs.writeFile(secrets, 'COCCA_SOURCE_KEYSTORE_PASSWORD=lab-keystore-pass\n', { mode: 0o600 });
  for (const [mode, file, extra] of [['full', 'full.yaml', []], ['firstboot', 'firstboot.yaml', []], ['full', 'full.yaml.gz', ['--gzip']]] as const) {
    const r = await execa(cliInvocation().file, [...cliInvocation().args, 'user-data', profile, '--mode', mode, '--secrets', secrets, ...extra], { encoding: 'buffer', reject: false, stdin: 'ignore', stripFinalNewline: false });
    if (r.exitCode !== 0) throw new Error(`cocca-bake user-data ${profile} --mode ${mode} exited ${r.exitCode}: ${Buffer.from(r.stderr).toString()}`);
    await fs.writeFile(path.join(dir, file), r.stdout);
  }
  if ((await fs.stat(path.join(dir, 'full.yaml'))).size <= EC2_USER_DATA_LIMIT) await fs.rm(path.join(dir, 'full.yaml.gz'));
}

function dirs(name: string): { modern: string; legacy: string; rootfs: string } {
  const r = renders.get(name);
  if (!r) throw new Error(`profile ${name} was not rendered (see beforeAll)`);
  return { ...r, rootfs: path.join(r.modern, 'packer', 'files', 'rootfs') };
}

// ---------------------------------------------------------------------------
// shell scripts

interface Script {
  rel: string; // relative to the rootfs
  shell: 'bash' | 'sh';
}

/** Classify every rootfs file by its first line; anything executable must be a known kind. */
function classify(rootfs: string): { scripts: Script[]; python: string[]; problems: string[] } {
  const scripts: Script[] = [];
  const python: string[] = [];
  const problems: string[] = [];
  for (const [rel, f] of readTree(rootfs)) {
    const first = f.data.toString('utf8').split('\n', 1)[0] ?? '';
    const bash = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?bash\b/.test(first) || /^#\s*shellcheck\s+shell=bash\b/.test(first);
    const sh = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:sh|dash)\b/.test(first) || /^#\s*shellcheck\s+shell=(?:sh|dash)\b/.test(first);
    if (bash) scripts.push({ rel, shell: 'bash' });
    else if (sh) scripts.push({ rel, shell: 'sh' });
    else if (/^#!\s*\/usr\/bin\/(?:env\s+)?python3\b/.test(first)) python.push(rel);
    else if (first.startsWith('#!')) problems.push(`${rel}: interpreter no check here knows: ${first}`);
    else if (f.mode & 0o111) problems.push(`${rel}: executable (mode ${f.mode.toString(8)}) but no #! line`);
    else if (rel.endsWith('.sh')) problems.push(`${rel}: named .sh but has neither #! nor a shellcheck shell= directive`);
  }
  return { scripts, python, problems };
}

/** shellcheck -x -P SCRIPTDIR -s SHELL -f gcc, run from `cwd` on paths relative to it. */
async function shellcheckX(cwd: string, files: string[], shell: 'bash' | 'sh') {
  const sc = await whichTool('shellcheck');
  if (!sc) throw new Error('required tool "shellcheck" not found (install it with: sudo bash test/setup/deps.sh)');
  const r = await execa(sc, ['-x', '-P', 'SCRIPTDIR', '-s', shell, '-f', 'gcc', ...files], { cwd, reject: false, all: true, stdin: 'ignore', timeout: 120_000 });
  return { ok: r.exitCode === 0, output: String(r.all ?? '') };
}

/** `python3 -m py_compile FILE` (pycache kept out of the tree), then a parse as Python 3.10 (Ubuntu 22.04's). */
async function pyCompile(file: string) {
  const cache = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-pycache-'));
  try {
    const env = { PYTHONPYCACHEPREFIX: cache, PYTHONDONTWRITEBYTECODE: undefined };
    const compiled = await execa(PY, ['-m', 'py_compile', file], { reject: false, all: true, stdin: 'ignore', env });
    const as310 = await execa(PY, ['-c', 'import ast, sys; ast.parse(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1], feature_version=(3, 10))', file], {
      reject: false,
      all: true,
      stdin: 'ignore',
      env,
    });
    return { ok: compiled.exitCode === 0 && as310.exitCode === 0, output: `${String(compiled.all ?? '')}\n${String(as310.all ?? '')}`.trim() };
  } finally {
    await fs.rm(cache, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// systemd-analyze verify, on a private root

/** Executables the units may name that a bake step installs (not part of the render). */
const BAKE_INSTALLED = /^\/(?:opt\/|usr\/(?:s?bin|lib)\/|s?bin\/)/;

async function systemdVerify(units: Record<string, string>, rootfs?: string) {
  const sa = await whichTool('systemd-analyze');
  if (!sa) throw new Error('required tool "systemd-analyze" not found');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-systemd-'));
  try {
    if (rootfs) await fs.cp(rootfs, root, { recursive: true });
    // The distribution's own units (sysinit.target, network-online.target, ...).
    await fs.mkdir(path.join(root, 'usr/lib/systemd'), { recursive: true });
    await fs.cp('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    const unitDir = path.join(root, 'etc/systemd/system');
    await fs.mkdir(unitDir, { recursive: true });
    for (const [name, text] of Object.entries(units)) await fs.writeFile(path.join(unitDir, name), text);
    // Stub the executables a bake step installs; anything else missing is a finding.
    const stubbed: string[] = [];
    const missing: string[] = [];
    for (const text of Object.values(units)) {
      for (const m of text.matchAll(/^Exec[A-Za-z]*=[-@:+!]*(\S+)/gm)) {
        const exe = m[1]!;
        if (!exe.startsWith('/') || existsSync(path.join(root, exe))) continue;
        if (!BAKE_INSTALLED.test(exe)) {
          missing.push(exe);
          continue;
        }
        await fs.mkdir(path.join(root, path.dirname(exe)), { recursive: true });
        await fs.writeFile(path.join(root, exe), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
        stubbed.push(exe);
      }
    }
    const r = await execa(sa, ['verify', `--root=${root}`, ...Object.keys(units)], { reject: false, all: true, stdin: 'ignore', timeout: 60_000 });
    const output = String(r.all ?? '').split(root).join('<root>');
    const notes = missing.map((m) => `not rendered and not installed by a bake step: ${m}`);
    return { ok: r.exitCode === 0 && output.trim() === '' && missing.length === 0, output: [...notes, output].filter(Boolean).join('\n'), stubbed };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

const GOOD_UNIT = '[Unit]\nDescription=probe\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n';

/** Whether systemd-analyze verify can run here at all (PID 1 is not systemd on these machines). */
async function systemdProbe(): Promise<string | undefined> {
  if (!(await hasTool('systemd-analyze'))) return 'systemd-analyze is not installed';
  try {
    const r = await systemdVerify({ 'cocca-probe.service': GOOD_UNIT });
    return r.ok ? undefined : `systemd-analyze verify cannot run here: ${r.output.split('\n')[0]}`;
  } catch (err) {
    return `systemd-analyze verify cannot run here: ${(err as Error).message}`;
  }
}
const SKIP_SYSTEMD = await systemdProbe();

// ---------------------------------------------------------------------------
// sshd, fail2ban, ufw expectations

function sshdProblems(config: Map<string, string[]>, p: ExampleProfile): string[] {
  const s = p.profile.ssh;
  const problems: string[] = [];
  const val = (k: string) => config.get(k) ?? [];
  const want = (k: string, expected: string[]) => {
    if (JSON.stringify(val(k)) !== JSON.stringify(expected)) problems.push(`${k}: expected ${expected.join(' ')}, got ${val(k).join(' | ') || '(none)'}`);
  };
  want('port', [String(s.port)]);
  want('passwordauthentication', ['no']);
  want('permitrootlogin', ['no']);
  want('permitemptypasswords', ['no']);
  want('kbdinteractiveauthentication', ['no']);
  want('maxauthtries', [String(s.maxAuthTries)]);
  want('logingracetime', [String(s.loginGraceTime)]);
  const cacm = Number(val('clientalivecountmax')[0]);
  if (!(cacm >= 1)) problems.push(`clientalivecountmax must be >= 1 (0 never disconnects), got ${val('clientalivecountmax').join(' ')}`);
  if (cacm !== s.clientAliveCountMax) problems.push(`clientalivecountmax ${cacm} is not the profile's ${s.clientAliveCountMax}`);
  if (!(Number(val('clientaliveinterval')[0]) > 0)) problems.push(`clientaliveinterval must be > 0, got ${val('clientaliveinterval').join(' ')}`);
  const allow = val('allowusers').flatMap((v) => v.split(/\s+/)).filter(Boolean).sort();
  if (JSON.stringify(allow) !== JSON.stringify([...s.allowUsers].sort())) problems.push(`allowusers: expected ${s.allowUsers.join(' ')}, got ${allow.join(' ') || '(none)'}`);
  for (const { user } of loginUsers(p.profile, p.os)) if (!allow.includes(user)) problems.push(`allowusers lacks the login user ${user}`);
  return problems;
}

/** From `fail2ban-client -d`: whether the sshd jail is added and started, its backend, and its action ports. */
function sshdJail(dump: string): { added: boolean; backend?: string; started: boolean; ports: string[] } {
  const lines = dump.split('\n');
  const add = lines.map((l) => /^\['add', 'sshd', '([^']+)'\]$/.exec(l.trim())).find(Boolean);
  const ports = lines
    .filter((l) => l.startsWith("['multi-set', 'sshd', 'action',"))
    .flatMap((l) => [...l.matchAll(/\['port', '([^']*)'\]/g)].map((m) => m[1]!));
  return { added: Boolean(add), backend: add?.[1], started: lines.some((l) => l.trim() === "['start', 'sshd']"), ports };
}

const NON_RULE_UFW = /^(?:--force (?:reset|enable)|status(?: verbose| numbered)?|reload)$/;

/** The `ufw ...` lines of the firewall steps: rules to dry-run, plus anything that is not one. */
function ufwLines(rootfs: string): { rules: string[]; problems: string[]; steps: string[] } {
  const problems: string[] = [];
  const rules: string[] = [];
  const steps: string[] = [];
  const rule = (where: string, raw: string, cmd: string) => {
    if (NON_RULE_UFW.test(cmd)) return;
    if (/[$`;&|<>()]/.test(cmd)) problems.push(`${where}: ufw line uses shell syntax, cannot dry-run it literally: ${raw}`);
    else if (!/^(?:allow|deny|reject|limit|default|route|insert|prepend|delete)\b/.test(cmd)) problems.push(`${where}: unknown ufw command: ${raw}`);
    else rules.push(cmd);
  };
  let applied = false;
  for (const [rel, f] of readTree(path.join(rootfs, LIB, 'steps'))) {
    // The profile's rule set is the bake's; first boot's transition rule for sshd's old port is
    // computed there (a shell loop), and run for real in host-steps.test.ts and the e2e flows.
    if (!/^bake\/.*firewall/.test(rel)) continue;
    steps.push(rel);
    for (const raw of f.data.toString('utf8').split('\n')) {
      if (raw.trim() === `/${LIB}/cocca-ufw-rules /${LIB}/ufw.rules`) applied = true;
      const m = /^\s*ufw\s+(.*?)\s*$/.exec(raw);
      if (!m) {
        if (/\bufw\s+(?:allow|deny|reject|limit|default|route|insert|delete)\b/.test(raw)) problems.push(`${rel}: a ufw rule not on a line of its own: ${raw}`);
        continue;
      }
      rule(rel, raw, m[1]!.replace(/\s*>\s*\/dev\/null$/, ''));
    }
  }
  // The firewall component keeps the rules in ufw.rules (one ufw command's arguments a line),
  // applied by its cocca-ufw-rules: those are the rules the bake step sets.
  const file = path.join(rootfs, LIB, 'ufw.rules');
  if (existsSync(file)) {
    if (!applied) problems.push(`${LIB}/ufw.rules is not applied by a firewall step`);
    for (const raw of readFileSync(file, 'utf8').split('\n')) {
      const cmd = raw.trim();
      if (cmd !== '' && !cmd.startsWith('#')) rule(`${LIB}/ufw.rules`, raw, cmd);
    }
  }
  return { rules, problems, steps };
}

/** The rules must open ssh only to the trusted networks and the public ports to all. */
function firewallProblems(rules: string[], p: ExampleProfile): string[] {
  const fw = p.profile.firewall;
  const port = p.profile.ssh.port;
  const problems: string[] = [];
  const words = rules.map((r) => splitWords(r));
  const has = (pred: (w: string[]) => boolean) => words.some(pred);
  if (!has((w) => w.join(' ') === 'default deny incoming')) problems.push('no "default deny incoming"');
  for (const net of fw.trusted) {
    if (!has((w) => w[0] === 'allow' && w.join(' ').startsWith(`allow from ${net} to any port ${port} proto tcp`))) problems.push(`ssh port ${port} not opened to trusted ${net}`);
  }
  // Public services are TCP: http, https, whois, EPP.
  for (const pub of fw.publicPorts) if (!has((w) => w[0] === 'allow' && w[1] === `${pub}/tcp`)) problems.push(`public port ${pub}/tcp not opened`);
  for (const w of words) {
    if (w[0] === 'allow' && (w[1] === String(port) || w[1] === `${port}/tcp`)) problems.push(`ssh port ${port} opened to everyone: ufw ${w.join(' ')}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// the checks, per example profile

describe.each(exampleProfiles().map((p) => [p.name, p] as const))('%s', (name, p) => {
  describe('cloud-init', () => {
    it.skipIf(SKIP.cloudInit)(title('cloud-init schema -c accepts full.yaml and firstboot.yaml', SKIP.cloudInit), async () => {
      const { modern } = dirs(name);
      for (const f of ['full.yaml', 'firstboot.yaml']) {
        const r = await cloudInitSchema(path.join(modern, 'cloud-init', f));
        expect(r.ok, `${f}:\n${r.output}`).toBe(true);
        expect(r.output).toContain('Valid cloud-config');
      }
    });

    it.skipIf(SKIP.cloudInit)(title('cloud-init schema -c accepts full.yaml.gz (gunzipped) when there is one', SKIP.cloudInit), async () => {
      const { modern } = dirs(name);
      const gz = path.join(modern, 'cloud-init', 'full.yaml.gz');
      if (!existsSync(gz)) {
        expect((await fs.stat(path.join(modern, 'cloud-init', 'full.yaml'))).size).toBeLessThanOrEqual(EC2_USER_DATA_LIMIT);
        return;
      }
      const r = await cloudInitSchema(gz);
      expect(r.ok, r.output).toBe(true);
    });

    it.skipIf(SKIP.pyyaml)(title('PyYAML (what cloud-init loads user-data with) reads the same data as js-yaml', SKIP.pyyaml), async () => {
      const { modern } = dirs(name);
      for (const f of ['full.yaml', 'firstboot.yaml']) {
        const file = path.join(modern, 'cloud-init', f);
        const r = await execa(PY, ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))', file], { reject: false, all: true, stdin: 'ignore' });
        expect(r.exitCode, String(r.all)).toBe(0);
        expect(JSON.parse(String(r.stdout)), `${f}: PyYAML and js-yaml disagree`).toEqual(load(readFileSync(file, 'utf8')));
      }
    });
  });

  describe('packer', () => {
    const skip = SKIP.packer;
    it.skipIf(skip)(title('packer validate . accepts the --packer-version 1.6.6 render, exactly as rendered', skip), async () => {
      const { legacy } = dirs(name);
      const r = await packerValidate(path.join(legacy, 'packer'));
      expect(r.ok, `packer validate . in ${name}'s legacy render:\n${r.output}`).toBe(true);
    });

    it.skipIf(SKIP.packer)(title('the legacy render is what Packer 1.6.6 needs: it refuses the modern one (required_plugins)', SKIP.packer), async () => {
      const version = await packerVersion();
      if (!version.startsWith('1.6.')) return; // a newer Packer accepts both flavors' syntax
      const { modern } = dirs(name);
      const r = await packerValidate(path.join(modern, 'packer'));
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/required_plugins/);
    });
  });

  describe('scripts', () => {
    it.skipIf(SKIP.shellcheck)(title('shellcheck -x accepts every generated shell script in the rootfs', SKIP.shellcheck), async () => {
      const { rootfs } = dirs(name);
      const { scripts, problems } = classify(rootfs);
      expect(problems).toEqual([]);
      const rels = scripts.map((s) => s.rel);
      // The discovery must find at least these (so a shebang change cannot hide a script).
      for (const must of [`${LIB}/lib.sh`, 'usr/local/sbin/cocca-run', 'usr/local/sbin/cocca-firstboot', `${LIB}/cocca-keystore`, `${LIB}/pgtune.sh`]) {
        expect(rels, `shell scripts found in ${name}'s rootfs`).toContain(must);
      }
      for (const phase of ['bake', 'seal', 'boot']) {
        const steps = (await fs.readdir(path.join(rootfs, LIB, 'steps', phase))).map((f) => `${LIB}/steps/${phase}/${f}`);
        expect(steps.length, `steps/${phase}`).toBeGreaterThan(0);
        for (const s of steps) expect(rels, 'every step script is checked').toContain(s);
      }
      for (const shell of ['bash', 'sh'] as const) {
        const files = scripts.filter((s) => s.shell === shell).map((s) => s.rel);
        if (files.length === 0) continue;
        const r = await shellcheckX(rootfs, files, shell);
        expect(r.ok, `shellcheck -x -P SCRIPTDIR -s ${shell} (in ${name}'s rootfs):\n${r.output}`).toBe(true);
      }
    });

    it.skipIf(SKIP.shellcheck)(title('shellcheck accepts install.sh', SKIP.shellcheck), async () => {
      const { modern } = dirs(name);
      const r = await shellcheckX(path.join(modern, 'packer', 'files'), ['install.sh'], 'bash');
      expect(r.ok, r.output).toBe(true);
    });

    it.skipIf(SKIP.python)(title('python3 -m py_compile accepts cocca-fill-template (and it parses as Python 3.10)', SKIP.python), async () => {
      const { rootfs } = dirs(name);
      const { python } = classify(rootfs);
      expect(python).toContain(`${LIB}/cocca-fill-template`);
      for (const rel of python) {
        const r = await pyCompile(path.join(rootfs, rel));
        expect(r.ok, `${rel}:\n${r.output}`).toBe(true);
      }
    });
  });

  describe('sshd', () => {
    const dropin = () => readFileSync(path.join(dirs(name).rootfs, LIB, 'sshd-hardening.conf'), 'utf8');

    it.skipIf(SKIP.sshd)(title('sshd -t accepts the staged drop-in (as sshd_config.d/00-cocca.conf)', SKIP.sshd), async () => {
      const r = await sshdTest(dropin(), { dropinName: '00-cocca.conf' });
      expect(r.ok, r.output).toBe(true);
    });

    it.skipIf(SKIP.sshd)(title('sshd -T shows the hardening (port, no passwords, no root, keepalive, AllowUsers)', SKIP.sshd), async () => {
      const net = p.profile.firewall.trusted.find((n) => n.includes('.'));
      const addr = net ? net.replace(/\.0\/\d+$/, '.7') : '192.0.2.7';
      const r = await sshdEffective(dropin(), { user: loginUsers(p.profile, p.os)[0]!.user, host: 'ops.example', addr }, { dropinName: '00-cocca.conf' });
      expect(r.ok, r.output).toBe(true);
      expect(sshdProblems(r.config, p)).toEqual([]);
    });
  });

  describe('fail2ban', () => {
    const jail = () => readFileSync(path.join(dirs(name).rootfs, 'etc/fail2ban/jail.d/cocca.local'), 'utf8');

    it.skipIf(SKIP.fail2ban)(title('fail2ban-client -t accepts the jail (jail.d/cocca.local)', SKIP.fail2ban), async () => {
      const r = await fail2banTest({ 'jail.d/cocca.local': jail() });
      expect(r.ok, r.output).toBe(true);
      expect(r.output).toContain('OK: configuration test is successful');
    });

    it.skipIf(SKIP.fail2ban)(title(`fail2ban-client -d shows the sshd jail on the profile's ssh port`, SKIP.fail2ban), async () => {
      const r = await fail2banDump({ 'jail.d/cocca.local': jail() });
      expect(r.ok, r.output).toBe(true);
      const j = sshdJail(r.stdout);
      expect(j).toMatchObject({ added: true, backend: 'systemd', started: true });
      expect(j.ports.length).toBeGreaterThan(0);
      expect([...new Set(j.ports)]).toEqual([String(p.profile.ssh.port)]);
    });
  });

  it.skipIf(SKIP_SYSTEMD)(title('systemd-analyze verify accepts the systemd units', SKIP_SYSTEMD), async () => {
    const { rootfs } = dirs(name);
    const unitDir = path.join(rootfs, 'etc/systemd/system');
    const units: Record<string, string> = {};
    for (const f of await fs.readdir(unitDir)) {
      if (/\.(?:service|timer|socket|path|target|mount)$/.test(f)) units[f] = await fs.readFile(path.join(unitDir, f), 'utf8');
    }
    expect(Object.keys(units)).toContain('cocca-firstboot.service');
    const r = await systemdVerify(units, rootfs);
    expect(r.ok, `systemd-analyze verify (stubbed bake-installed: ${r.stubbed.join(', ') || 'none'}):\n${r.output}`).toBe(true);
  });

  it.skipIf(SKIP.ufw)(title('ufw --dry-run accepts every rule of the firewall step, and they match the profile', SKIP.ufw), async () => {
    const { rootfs } = dirs(name);
    const { rules, problems, steps } = ufwLines(rootfs);
    expect(steps.length, 'firewall steps found').toBeGreaterThan(0);
    expect(problems).toEqual([]);
    expect(rules.length).toBeGreaterThan(0);
    expect(firewallProblems(rules, p)).toEqual([]);
    const r = await ufwDryRun(rules);
    const failed = r.results.filter((x) => !x.ok).map((x) => `ufw --dry-run ${x.rule}\n${x.output}`);
    expect(failed).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// negative controls for the invocations and expectations written here (the
// helpers from tools.ts prove theirs in tools.test.ts)

describe('negative controls', () => {
  it.skipIf(SKIP.shellcheck)(title('shellcheck -x -P SCRIPTDIR reports a finding, and an unresolvable source=', SKIP.shellcheck), async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-sc-neg-'));
    try {
      await fs.mkdir(path.join(dir, 'bin'));
      await fs.writeFile(path.join(dir, 'bin/bad'), '#!/bin/bash\nfor f in $(ls *.txt); do echo $f; done\n');
      await fs.writeFile(path.join(dir, 'bin/nosrc'), '#!/bin/bash\n# shellcheck source=../lib/missing.sh\n. /usr/local/lib/missing.sh\n');
      const bad = await shellcheckX(dir, ['bin/bad'], 'bash');
      expect(bad.ok).toBe(false);
      expect(bad.output).toMatch(/SC2045|SC2086/);
      const nosrc = await shellcheckX(dir, ['bin/nosrc'], 'bash');
      expect(nosrc.ok).toBe(false);
      expect(nosrc.output).toMatch(/SC1091/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(SKIP.python)(title('py_compile rejects broken Python, and the 3.10 parse rejects newer syntax', SKIP.python), async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-py-neg-'));
    try {
      await fs.writeFile(path.join(dir, 'broken'), '#!/usr/bin/python3\ndef f(:\n  pass\n');
      await fs.writeFile(path.join(dir, 'py312'), '#!/usr/bin/python3\ntype Alias = int\n');
      expect((await pyCompile(path.join(dir, 'broken'))).ok).toBe(false);
      expect((await pyCompile(path.join(dir, 'py312'))).ok).toBe(false);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(SKIP_SYSTEMD)(title('systemd-analyze verify rejects a broken unit and a unit with an unknown key', SKIP_SYSTEMD), async () => {
    const fatal = await systemdVerify({ 'bad.service': '[Unit]\nDescription=x\n[Service]\nExecStart=relative/path\n' });
    expect(fatal.ok).toBe(false);
    const warned = await systemdVerify({ 'warn.service': `${GOOD_UNIT}BogusKey=1\n` });
    expect(warned.ok).toBe(false);
    expect(warned.output).toMatch(/BogusKey/);
    const local = await systemdVerify({ 'local.service': GOOD_UNIT.replace('/bin/true', '/usr/local/sbin/not-rendered') });
    expect(local.ok).toBe(false);
    expect(local.output).toMatch(/not rendered/);
  });

  it('the sshd, fail2ban and firewall expectations catch weak or mismatched settings', () => {
    const p = exampleProfiles()[0]!;
    const s = p.profile.ssh;
    const weak = new Map<string, string[]>([
      ['port', ['22222']],
      ['passwordauthentication', ['yes']],
      ['permitrootlogin', ['prohibit-password']],
      ['clientalivecountmax', ['0']],
      ['allowusers', ['someone']],
    ]);
    const problems = sshdProblems(weak, p);
    for (const k of ['port', 'passwordauthentication', 'permitrootlogin', 'clientalivecountmax must be', 'allowusers']) {
      expect(problems.some((m) => m.startsWith(k)), `${k} in ${problems.join('; ')}`).toBe(true);
    }
    expect(sshdJail("['add', 'sshd', 'auto']\n['multi-set', 'sshd', 'action', 'x', [['port', 'ssh']]]\n")).toEqual({ added: true, backend: 'auto', started: false, ports: ['ssh'] });
    const open = firewallProblems([`allow ${s.port}`, 'default allow incoming'], p);
    expect(open).toContain(`ssh port ${s.port} opened to everyone: ufw allow ${s.port}`);
    expect(open).toContain('no "default deny incoming"');
  });

  it.skipIf(SKIP.ufw)(title('ufw --dry-run rejects a bad rule (a /33 prefix)', SKIP.ufw), async () => {
    const r = await ufwDryRun(['allow from 198.51.100.0/33 to any port 22 proto tcp']);
    expect(r.ok).toBe(false);
  });
});
