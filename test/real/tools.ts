/**
 * The real-validator toolbox: each helper runs the real program that consumes
 * one of cocca-bake's outputs and reports its verdict.
 *
 * Contract:
 * - every helper resolves to `{ ok, output }` (plus helper-specific extras);
 *   a tool saying "invalid" is a verdict, never an exception;
 * - a helper throws only when its tool is missing ({@link ToolMissingError};
 *   run `test/setup/deps.sh`) or when it is called with an argument it must
 *   refuse (e.g. a path escaping its temp dir, `ufw enable`);
 * - nothing touches the host: work happens in temp dirs under `os.tmpdir()`
 *   (removed afterwards), private mount/network namespaces (`unshare`), or as
 *   `nobody`. Only processes started here are ever stopped.
 *
 * Most helpers need root (sshd -t with a private /run, unshare, runuser, ufw).
 * See /work/shared/research/test-tools.md sections 5 and 7.
 */
import { execa } from 'execa';
import { constants as fsc } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

// ---------------------------------------------------------------------------
// common plumbing

export interface ToolResult {
  /** The tool's verdict: exit code 0 (and not timed out / killed). */
  ok: boolean;
  /** stdout and stderr, interleaved, plus a note if the tool timed out. */
  output: string;
  /** The exit code, undefined if the process was killed or timed out. */
  exitCode?: number | undefined;
}

export interface ToolResultWithStdout extends ToolResult {
  /** stdout alone (for machine-readable output). */
  stdout: string;
}

/** Thrown when the program a helper needs is not installed. */
export class ToolMissingError extends Error {
  constructor(public readonly tool: string) {
    super(`required tool "${tool}" not found (install it with: sudo bash test/setup/deps.sh)`);
    this.name = 'ToolMissingError';
  }
}

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin', PG_BIN];
const DEFAULT_TIMEOUT = 60_000;
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of an executable (PATH, then the sbin dirs and PostgreSQL 15's bin dir). */
export async function whichTool(name: string): Promise<string | undefined> {
  if (name.includes('/')) return (await isExecutable(name)) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Whether an executable exists (for clear `skipIf`s). */
export async function hasTool(name: string): Promise<boolean> {
  return (await whichTool(name)) !== undefined;
}

async function requireTool(name: string): Promise<string> {
  const found = await whichTool(name);
  if (found === undefined) throw new ToolMissingError(name);
  return found;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function requireRoot(what: string): void {
  if (!isRoot()) throw new Error(`${what} must run as root (it uses unshare/runuser)`);
}

interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** false: only `env` (plus nothing from process.env). */
  extendEnv?: boolean;
  timeout?: number;
  input?: string;
}

async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<ToolResultWithStdout & { stderr: string }> {
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
  const r = await execa(file, args, {
    reject: false,
    all: true,
    timeout,
    cwd: opts.cwd ?? os.tmpdir(),
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    stripFinalNewline: true,
  });
  let output = typeof r.all === 'string' ? r.all : '';
  if (r.timedOut) output += `${output ? '\n' : ''}[cocca-bake tools] ${path.basename(file)} timed out after ${timeout} ms`;
  else if (r.signal) output += `${output ? '\n' : ''}[cocca-bake tools] ${path.basename(file)} killed by ${r.signal}`;
  else if (r.exitCode === undefined && r.failed) output += `${output ? '\n' : ''}[cocca-bake tools] ${r.shortMessage}`;
  return {
    ok: r.exitCode === 0 && !r.timedOut && !r.signal,
    output,
    exitCode: r.exitCode,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
  };
}

async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `cocca-${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** POSIX-shell single-quoting. */
function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Join `rel` under `root`, refusing absolute paths and `..` escapes. */
function safeJoin(root: string, rel: string): string {
  if (path.isAbsolute(rel)) throw new Error(`expected a relative path, got ${rel}`);
  const full = path.resolve(root, rel);
  if (full !== root && !full.startsWith(root + path.sep)) throw new Error(`path ${rel} escapes ${root}`);
  return full;
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const full = safeJoin(root, rel);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, text);
  }
}

let nobodyIds: { uid: number; gid: number } | undefined;
async function nobody(): Promise<{ uid: number; gid: number }> {
  if (nobodyIds) return nobodyIds;
  const passwd = await fs.readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('nobody:'));
  const parts = line?.split(':');
  if (!parts || parts.length < 4) throw new Error('user "nobody" not found in /etc/passwd');
  nobodyIds = { uid: Number(parts[2]), gid: Number(parts[3]) };
  return nobodyIds;
}

/** Replace the temp paths a tool prints by friendlier names. */
function rename(output: string, from: string, to: string): string {
  return from ? output.split(from).join(to) : output;
}

// ---------------------------------------------------------------------------
// cloud-init

/**
 * `cloud-init schema -c FILE` as `nobody` (cloud-init 22.4.2 on Debian 12).
 * A `.gz` file is gunzipped first (schema rejects gzip). The file is checked
 * from a private temp copy; paths in the output name the original file.
 */
export async function cloudInitSchema(file: string): Promise<ToolResult> {
  const cloudInit = await requireTool('cloud-init');
  const runuser = await requireTool('runuser');
  requireRoot('cloudInitSchema');
  return withTempDir('ci', async (dir) => {
    await fs.chmod(dir, 0o755);
    const base = path.basename(file).replace(/\.gz$/, '') || 'user-data';
    const copy = path.join(dir, base);
    const raw = await fs.readFile(file);
    await fs.writeFile(copy, file.endsWith('.gz') ? gunzipSync(raw) : raw);
    await fs.chmod(copy, 0o644);
    const r = await run(runuser, ['-u', 'nobody', '--', cloudInit, 'schema', '-c', copy], { cwd: dir });
    return { ok: r.ok, output: rename(r.output, copy, file), exitCode: r.exitCode };
  });
}

// ---------------------------------------------------------------------------
// Packer

export interface PackerValidateOptions {
  syntaxOnly?: boolean;
  vars?: Record<string, string>;
  timeout?: number;
}

/**
 * `packer validate .` in `dir`, inside a private network namespace
 * (`unshare -n`: nothing can leave the host), with CHECKPOINT_DISABLE=1 and a
 * private TMPDIR (Packer 1.6.6 leaves packer-log* files there).
 */
export async function packerValidate(dir: string, opts: PackerValidateOptions = {}): Promise<ToolResult> {
  const packer = await requireTool('packer');
  const unshare = await requireTool('unshare');
  requireRoot('packerValidate');
  const args = ['validate'];
  if (opts.syntaxOnly) args.push('-syntax-only');
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('-var', `${k}=${v}`);
  args.push('.');
  return withTempDir('packer-tmp', async (tmp) => {
    const r = await run(unshare, ['-n', '--', packer, ...args], {
      cwd: path.resolve(dir),
      env: { CHECKPOINT_DISABLE: '1', TMPDIR: tmp, PACKER_LOG: undefined, PACKER_LOG_PATH: undefined },
      timeout: opts.timeout ?? 120_000,
    });
    return { ok: r.ok, output: r.output, exitCode: r.exitCode };
  });
}

/** The installed Packer version, e.g. "1.6.6". */
export async function packerVersion(): Promise<string> {
  const packer = await requireTool('packer');
  const r = await run(packer, ['version'], { env: { CHECKPOINT_DISABLE: '1' } });
  const m = /Packer v(\d+\.\d+\.\d+)/.exec(r.output);
  if (!r.ok || !m?.[1]) throw new Error(`cannot read packer version: ${r.output}`);
  return m[1];
}

// ---------------------------------------------------------------------------
// ShellCheck

export type ShellDialect = 'bash' | 'sh' | 'dash' | 'ksh';

/** `shellcheck -s SHELL -f gcc FILES...` (rc 1 on any finding). */
export async function shellcheck(files: string | readonly string[], shell: ShellDialect = 'bash'): Promise<ToolResult> {
  const sc = await requireTool('shellcheck');
  const list = typeof files === 'string' ? [files] : [...files];
  if (list.length === 0) throw new Error('shellcheck: no files given');
  const r = await run(sc, ['-s', shell, '-f', 'gcc', ...list], { cwd: process.cwd() });
  return { ok: r.ok, output: r.output, exitCode: r.exitCode };
}

/** ShellCheck on script text (stdin); findings are reported as `-:LINE:COL`. */
export async function shellcheckText(text: string, shell: ShellDialect = 'bash'): Promise<ToolResult> {
  const sc = await requireTool('shellcheck');
  const r = await run(sc, ['-s', shell, '-f', 'gcc', '-'], { input: text });
  return { ok: r.ok, output: r.output, exitCode: r.exitCode };
}

// ---------------------------------------------------------------------------
// sshd

export interface SshdOptions {
  /**
   * Model Debian 12's stock /etc/ssh/sshd_config (from
   * /usr/share/openssh/sshd_config): its `Include sshd_config.d/*.conf` line
   * pulls the drop-in in first, then the Debian defaults follow (UsePAM yes,
   * Subsystem sftp, ...). Default true. false: the main file is only
   * `HostKey` + `Include`.
   */
  debianMain?: boolean;
  /** File name of the drop-in inside the temp sshd_config.d/ (default 50-cocca.conf). */
  dropinName?: string;
}

export interface ConnSpec {
  user: string;
  host: string;
  addr: string;
  laddr?: string;
  lport?: number;
  rdomain?: string;
}

const DEBIAN_SSHD_MAIN = '/usr/share/openssh/sshd_config';

async function withSshdConfig<T>(
  dropinText: string,
  opts: SshdOptions,
  fn: (sshd: string, mainConfig: string, dir: string) => Promise<T>,
): Promise<T> {
  const sshd = await requireTool('sshd');
  const keygen = await requireTool('ssh-keygen');
  await requireTool('unshare');
  requireRoot('sshd helpers');
  return withTempDir('sshd', async (dir) => {
    if (dir === '/run' || dir.startsWith('/run/')) {
      throw new Error(`os.tmpdir() (${os.tmpdir()}) is under /run, which the sshd helpers hide behind a tmpfs`);
    }
    const key = path.join(dir, 'ssh_host_ed25519_key');
    const kg = await run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'cocca-bake-test', '-f', key]);
    if (!kg.ok) throw new Error(`ssh-keygen failed: ${kg.output}`);
    const dropinDir = path.join(dir, 'sshd_config.d');
    await fs.mkdir(dropinDir);
    const name = opts.dropinName ?? '50-cocca.conf';
    await fs.writeFile(safeJoin(dropinDir, name), dropinText);
    const include = `Include ${dropinDir}/*.conf`;
    let main = `HostKey ${key}\n${include}\n`;
    if (opts.debianMain ?? true) {
      let stock = await fs.readFile(DEBIAN_SSHD_MAIN, 'utf8').catch(() => undefined);
      if (stock !== undefined) {
        const re = /^Include\s+\/etc\/ssh\/sshd_config\.d\/\*\.conf\s*$/m;
        stock = re.test(stock) ? stock.replace(re, include) : `${include}\n${stock}`;
        main = `HostKey ${key}\n${stock}`;
      }
    }
    const mainPath = path.join(dir, 'sshd_config');
    await fs.writeFile(mainPath, main);
    return fn(sshd, mainPath, dir);
  });
}

/** Run sshd as root in a private mount namespace with a tmpfs /run holding /run/sshd. */
async function runSshdPrivateRun(sshd: string, args: string[], dir: string): Promise<ToolResultWithStdout> {
  const unshare = await requireTool('unshare');
  const script = 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec "$0" "$@"';
  const r = await run(unshare, ['-m', '--propagation', 'private', '--', 'sh', '-c', script, sshd, ...args], { cwd: dir });
  return { ok: r.ok, output: r.output, exitCode: r.exitCode, stdout: r.stdout };
}

/**
 * `sshd -t` on a main sshd_config that Includes `dropinText` (see
 * {@link SshdOptions.debianMain}), with a throwaway ed25519 host key.
 */
export async function sshdTest(dropinText: string, opts: SshdOptions = {}): Promise<ToolResult> {
  return withSshdConfig(dropinText, opts, async (sshd, main, dir) => {
    const r = await runSshdPrivateRun(sshd, ['-t', '-f', main], dir);
    return { ok: r.ok, output: rename(r.output, dir, '<tmp>'), exitCode: r.exitCode };
  });
}

export interface SshdEffective extends ToolResult {
  /** lowercased keyword -> its value(s), one entry per output line (empty when !ok). */
  config: Map<string, string[]>;
}

export function connSpecString(spec: ConnSpec | string): string {
  if (typeof spec === 'string') return spec;
  const parts = [`user=${spec.user}`, `host=${spec.host}`, `addr=${spec.addr}`];
  if (spec.laddr !== undefined) parts.push(`laddr=${spec.laddr}`);
  if (spec.lport !== undefined) parts.push(`lport=${spec.lport}`);
  if (spec.rdomain !== undefined) parts.push(`rdomain=${spec.rdomain}`);
  return parts.join(',');
}

/** Parse `sshd -T` output into lowercased keyword -> values. */
export function parseSshdT(text: string): Map<string, string[]> {
  const config = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line.trim());
    if (!m?.[1]) continue;
    const key = m[1].toLowerCase();
    const value = (m[2] ?? '').trim();
    const list = config.get(key);
    if (list) list.push(value);
    else config.set(key, [value]);
  }
  return config;
}

/** The effective settings for one connection: `sshd -T -C user=..,host=..,addr=..`. */
export async function sshdEffective(
  dropinText: string,
  connSpec: ConnSpec | string,
  opts: SshdOptions = {},
): Promise<SshdEffective> {
  return withSshdConfig(dropinText, opts, async (sshd, main, dir) => {
    const r = await runSshdPrivateRun(sshd, ['-T', '-f', main, '-C', connSpecString(connSpec)], dir);
    return {
      ok: r.ok,
      output: rename(r.output, dir, '<tmp>'),
      exitCode: r.exitCode,
      config: r.ok ? parseSshdT(r.stdout) : new Map(),
    };
  });
}

// ---------------------------------------------------------------------------
// fail2ban

export interface Fail2banOptions {
  /**
   * Absolute log files to make exist (only inside a private mount namespace,
   * through an overlay on their nearest existing parent dir; the host is not
   * touched), since `-t` fails for a jail whose logpath matches nothing.
   * Default: the literal absolute paths on `logpath` lines of the given files
   * that do not exist on the host (glob `*`/`?` replaced by `x`).
   * [] disables this.
   */
  logFiles?: string[];
}

/** The absolute, literal logpath values in fail2ban INI text (incl. continuation lines). */
export function extractLogpaths(text: string): string[] {
  const out: string[] = [];
  let inLogpath = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = /^logpath\s*[=:]\s*(.*)$/i.exec(line);
    let values: string | undefined;
    if (m) {
      inLogpath = true;
      values = m[1];
    } else if (inLogpath && /^\s+\S/.test(line)) {
      values = line;
    } else {
      inLogpath = false;
    }
    if (values === undefined) continue;
    for (const v of values.trim().split(/\s+/)) {
      if (!v || v.startsWith('#') || v.startsWith(';')) break;
      if (!v.startsWith('/') || v.includes('%(') || v.includes('[')) continue;
      if (/^(?:head|tail)$/i.test(v)) continue;
      out.push(v.replace(/[*?]/g, 'x'));
    }
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function nearestExistingDir(p: string): Promise<string> {
  let cur = p;
  while (!(await exists(cur))) cur = path.dirname(cur);
  return cur;
}

/** Builds the sh prologue that makes `logFiles` exist in a private mount namespace. */
async function logOverlayScript(logFiles: string[], ovRoot: string): Promise<string> {
  const wanted: string[] = [];
  for (const f of logFiles) {
    if (!path.isAbsolute(f)) throw new Error(`fail2ban logFiles must be absolute: ${f}`);
    const norm = path.resolve(f);
    if (!(await exists(norm))) wanted.push(norm);
  }
  if (wanted.length === 0) return '';
  const roots = new Set<string>();
  for (const f of wanted) {
    const anc = await nearestExistingDir(path.dirname(f));
    if (anc === '/') throw new Error(`refusing to overlay / for log file ${f}`);
    if (ovRoot === anc || ovRoot.startsWith(anc + '/')) throw new Error(`log dir ${anc} contains the temp dir ${ovRoot}`);
    if (/[,:\\\s]/.test(anc)) throw new Error(`unsupported characters in log dir ${anc}`);
    roots.add(anc);
  }
  // Mount only the outermost roots; nested ones are reachable through them.
  const sorted = [...roots].sort();
  const outer = sorted.filter((r) => !sorted.some((o) => o !== r && r.startsWith(o + '/')));
  const lines = ['set -e', `mount -t tmpfs tmpfs ${shq(ovRoot)}`];
  outer.forEach((root, i) => {
    const up = path.join(ovRoot, `u${i}`);
    const wk = path.join(ovRoot, `w${i}`);
    lines.push(`mkdir ${shq(up)} ${shq(wk)}`);
    lines.push(`mount -t overlay overlay -o ${shq(`lowerdir=${root},upperdir=${up},workdir=${wk}`)} ${shq(root)}`);
  });
  for (const f of wanted) lines.push(`mkdir -p ${shq(path.dirname(f))}`, `: > ${shq(f)}`);
  return lines.join('\n') + '\n';
}

async function fail2banRun(flag: '-t' | '-d', files: Record<string, string>, opts: Fail2banOptions): Promise<ToolResultWithStdout> {
  const client = await requireTool('fail2ban-client');
  return withTempDir('f2b', async (dir) => {
    const conf = path.join(dir, 'fail2ban');
    await fs.cp('/etc/fail2ban', conf, { recursive: true });
    await writeFiles(conf, files);
    const logFiles = opts.logFiles ?? Object.values(files).flatMap(extractLogpaths);
    const ovRoot = path.join(dir, 'ov');
    await fs.mkdir(ovRoot);
    const prologue = await logOverlayScript(logFiles, ovRoot);
    let r: ToolResultWithStdout & { stderr: string };
    if (prologue) {
      requireRoot('fail2ban with missing log files');
      const unshare = await requireTool('unshare');
      const script = `${prologue}exec "$0" "$@"`;
      r = await run(unshare, ['-m', '--propagation', 'private', '--', 'sh', '-c', script, client, '-c', conf, flag], { cwd: dir });
    } else {
      r = await run(client, ['-c', conf, flag], { cwd: dir });
    }
    return { ok: r.ok, output: rename(r.output, conf, '<fail2ban>'), exitCode: r.exitCode, stdout: r.stdout };
  });
}

/**
 * `fail2ban-client -c DIR -t` on a copy of /etc/fail2ban with `files`
 * (paths relative to it, e.g. `jail.d/cocca.local`) written in.
 * Note: Debian's own jail.d/defaults-debian.conf enables the sshd jail with
 * /var/log/auth.log, which Debian 12 does not have: override it (e.g.
 * `backend = systemd`) or list /var/log/auth.log in `logFiles`.
 */
export async function fail2banTest(files: Record<string, string>, opts: Fail2banOptions = {}): Promise<ToolResult> {
  const r = await fail2banRun('-t', files, opts);
  return { ok: r.ok, output: r.output, exitCode: r.exitCode };
}

/** `fail2ban-client -c DIR -d`: the parsed configuration as the stream of server commands (stdout). */
export async function fail2banDump(files: Record<string, string>, opts: Fail2banOptions = {}): Promise<ToolResultWithStdout> {
  return fail2banRun('-d', files, opts);
}

// ---------------------------------------------------------------------------
// xmllint

/** `xmllint --noout FILE`: well-formedness only (there is no Resin schema). */
export async function xmllint(file: string): Promise<ToolResult> {
  const x = await requireTool('xmllint');
  const r = await run(x, ['--noout', file], { cwd: process.cwd() });
  return { ok: r.ok, output: r.output, exitCode: r.exitCode };
}

// ---------------------------------------------------------------------------
// keytool / openssl

export interface ThinRunOptions {
  cwd?: string;
  input?: string;
  timeout?: number;
}

/** Thin runner for the JDK's `keytool`. */
export async function keytool(args: readonly string[], opts: ThinRunOptions = {}): Promise<ToolResultWithStdout> {
  const k = await requireTool('keytool');
  const r = await run(k, args, { cwd: opts.cwd ?? process.cwd(), input: opts.input, timeout: opts.timeout ?? 120_000 });
  return { ok: r.ok, output: r.output, exitCode: r.exitCode, stdout: r.stdout };
}

/** Thin runner for `openssl`. */
export async function openssl(args: readonly string[], opts: ThinRunOptions = {}): Promise<ToolResultWithStdout> {
  const o = await requireTool('openssl');
  const r = await run(o, args, { cwd: opts.cwd ?? process.cwd(), input: opts.input, timeout: opts.timeout });
  return { ok: r.ok, output: r.output, exitCode: r.exitCode, stdout: r.stdout };
}

// ---------------------------------------------------------------------------
// ufw

/** Shell-like split honouring '...', "..." and backslash escapes (for `comment 'x y'`). */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur = (cur ?? '') + c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < s.length) cur = (cur ?? '') + (s[++i] ?? '');
      else cur = (cur ?? '') + c;
    } else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur ??= '';
    } else if (c === '\\' && i + 1 < s.length) {
      cur = (cur ?? '') + (s[++i] ?? '');
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (quote) throw new Error(`unbalanced quotes in: ${s}`);
  if (cur !== undefined) words.push(cur);
  return words;
}

const UFW_FORBIDDEN = new Set(['enable', 'disable', 'reset', 'reload', 'logging']);

export interface UfwDryRunResult extends ToolResult {
  results: { rule: string; ok: boolean; output: string }[];
}

/**
 * `ufw --dry-run RULE` for each rule (root). Dry-run touches neither netfilter
 * nor /etc/ufw; it additionally runs in a private network namespace. Commands
 * that change the firewall state (enable, disable, reset, reload, logging)
 * are refused with an exception.
 */
export async function ufwDryRun(rules: readonly string[]): Promise<UfwDryRunResult> {
  const ufw = await requireTool('ufw');
  const unshare = await requireTool('unshare');
  requireRoot('ufwDryRun');
  const results: UfwDryRunResult['results'] = [];
  for (const rule of rules) {
    const words = splitWords(rule);
    const verb = (words[0] ?? '').toLowerCase();
    if (!verb) throw new Error('ufwDryRun: empty rule');
    if (UFW_FORBIDDEN.has(verb) || words.some((w) => w.startsWith('-'))) {
      throw new Error(`ufwDryRun refuses "${rule}": only rule commands may be dry-run here`);
    }
    const r = await run(unshare, ['-n', '--', ufw, '--dry-run', ...words]);
    results.push({ rule, ok: r.ok, output: r.output });
  }
  return {
    ok: results.every((r) => r.ok),
    output: results.map((r) => `$ ufw --dry-run ${r.rule}\n${r.output}`).join('\n'),
    results,
  };
}

// ---------------------------------------------------------------------------
// PostgreSQL 15

export interface PsqlOptions {
  user?: string;
  password?: string;
  db?: string;
}

export interface PgContext {
  dataDir: string;
  sockDir: string;
  logFile: string;
  /** Run SQL (stdin, ON_ERROR_STOP, unaligned tuples-only) over the socket; never prompts. */
  psql(sql: string, opts?: PsqlOptions): Promise<ToolResultWithStdout>;
  /** `SHOW name` as the trust superuser `postgres`; throws if it fails. */
  show(name: string): Promise<string>;
  /** Replace pg_hba.conf (call reload() afterwards). */
  writeHba(text: string): Promise<void>;
  /** Write or replace conf.d/NAME (call reload() afterwards). */
  writeConf(name: string, text: string): Promise<void>;
  /** `pg_ctl reload`. */
  reload(): Promise<ToolResult>;
  /** The server log so far. */
  serverLog(): Promise<string>;
}

export interface PgRunResult<T> extends ToolResult {
  /** fn's result; undefined when the cluster could not be created or started. */
  value?: T;
}

/**
 * Run `fn` against a throwaway PostgreSQL 15 cluster owned by `nobody`:
 * initdb (`--auth=trust -U postgres`), `confDropins` in conf.d/ (with
 * `include_dir = 'conf.d'`), optional pg_hba.conf, started without TCP
 * (`listen_addresses=''`, socket in the temp dir). The server is always
 * stopped and the temp dir removed, even if fn throws (fn's error is
 * rethrown). A cluster that fails to initialise or start is a verdict:
 * `{ ok: false, output }` with the server log, and fn is not called.
 */
export async function withPostgres<T>(
  confDropins: Record<string, string>,
  hba: string | undefined,
  fn: (ctx: PgContext) => Promise<T>,
): Promise<PgRunResult<T>> {
  const runuser = await requireTool('runuser');
  const initdb = await requireTool(path.join(PG_BIN, 'initdb'));
  const pgCtl = await requireTool(path.join(PG_BIN, 'pg_ctl'));
  const psqlBin = await requireTool(path.join(PG_BIN, 'psql'));
  requireRoot('withPostgres');
  const ids = await nobody();

  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-pg-'));
  const dataDir = path.join(root, 'data');
  const sockDir = path.join(root, 'sock');
  const logFile = path.join(root, 'server.log');
  const env = { PATH: SAFE_PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' };
  const asNobody = (file: string, args: string[], timeout = 120_000) =>
    run(runuser, ['-u', 'nobody', '--', file, ...args], { cwd: root, env, extendEnv: false, timeout });
  const serverLog = () => fs.readFile(logFile, 'utf8').catch(() => '');
  let started = false;

  try {
    if (/['"\s\\]/.test(root)) throw new Error(`unsupported characters in temp dir ${root}`);
    await fs.chown(root, ids.uid, ids.gid);
    await fs.chmod(root, 0o700);
    await fs.mkdir(sockDir, { mode: 0o700 });
    await fs.chown(sockDir, ids.uid, ids.gid);

    const init = await asNobody(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--locale=C.UTF-8', '-E', 'UTF8', '--no-sync']);
    if (!init.ok) return { ok: false, output: `initdb failed:\n${init.output}`, exitCode: init.exitCode };

    const confD = path.join(dataDir, 'conf.d');
    await fs.mkdir(confD);
    await fs.chown(confD, ids.uid, ids.gid);
    const writeOwned = async (file: string, text: string) => {
      await fs.writeFile(file, text, { mode: 0o600 });
      await fs.chown(file, ids.uid, ids.gid);
    };
    const writeConf = async (name: string, text: string) => writeOwned(safeJoin(confD, name), text);
    const writeHba = async (text: string) => writeOwned(path.join(dataDir, 'pg_hba.conf'), text);
    for (const [name, text] of Object.entries(confDropins)) await writeConf(name, text);
    await fs.appendFile(path.join(dataDir, 'postgresql.conf'), `\n# added by cocca-bake test/real/tools.ts\ninclude_dir = 'conf.d'\n`);
    if (hba !== undefined) await writeHba(hba);

    const start = await asNobody(pgCtl, [
      '-D', dataDir, '-l', logFile, '-w', '-t', '60',
      '-o', `-c listen_addresses='' -k '${sockDir}'`, 'start',
    ]);
    started = true; // a failed/timed-out start may still have left a postmaster behind
    if (!start.ok) {
      return { ok: false, output: `pg_ctl start failed:\n${start.output}\n--- server log ---\n${await serverLog()}`, exitCode: start.exitCode };
    }

    const ctx: PgContext = {
      dataDir,
      sockDir,
      logFile,
      async psql(sql, o = {}) {
        const r = await run(
          psqlBin,
          ['-X', '-w', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', sockDir, '-U', o.user ?? 'postgres', '-d', o.db ?? 'postgres', '-f', '-'],
          {
            cwd: root,
            env: { ...env, PGPASSFILE: path.join(root, 'no-pgpass'), ...(o.password !== undefined ? { PGPASSWORD: o.password } : {}) },
            extendEnv: false,
            input: sql,
          },
        );
        return { ok: r.ok, output: r.output, exitCode: r.exitCode, stdout: r.stdout.trim() };
      },
      async show(name) {
        if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`bad setting name ${name}`);
        const r = await ctx.psql(`SHOW ${name};`);
        if (!r.ok) throw new Error(`SHOW ${name} failed: ${r.output}`);
        return r.stdout;
      },
      writeHba,
      writeConf,
      async reload() {
        const r = await asNobody(pgCtl, ['-D', dataDir, 'reload']);
        return { ok: r.ok, output: r.output, exitCode: r.exitCode };
      },
      serverLog,
    };
    const value = await fn(ctx);
    return { ok: true, output: start.output, value };
  } finally {
    try {
      if (started) await stopPostgres(asNobody, pgCtl, dataDir);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  }
}

async function stopPostgres(
  asNobody: (file: string, args: string[], timeout?: number) => Promise<ToolResult>,
  pgCtl: string,
  dataDir: string,
): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!(await exists(pidFile))) return;
  const stop = await asNobody(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], 90_000);
  if (stop.ok || !(await exists(pidFile))) return;
  // Last resort: the postmaster we started (checked by its data dir), by pid.
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1) return;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (cmdline.includes(dataDir)) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      /* already gone */
    }
  }
}
