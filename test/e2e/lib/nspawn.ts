/**
 * Booted Debian 12 "instances" at native speed: systemd-nspawn containers with real systemd
 * and real cloud-init (NoCloud seed in /var/lib/cloud/seed/nocloud/), always on a private
 * network namespace (only lo and the image's own veth pair: the firewall steps never touch
 * the host), the bundle (or the local apt mirror) and the artifacts bind-mounted read-only.
 *
 * Commands run inside through nsenter into the container's namespaces, as root, with a clean
 * environment. Every container started here is recorded and ended in stopAll() (afterAll):
 * `systemctl poweroff` inside, then by PID (nspawn, then the container's PID 1) after a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { execa } from 'execa';
import { Guest } from './guest.js';
import { progress, run, tail, type RunResult } from './run.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Bind {
  host: string;
  container: string;
}

export interface BootOptions {
  /** A short name for logs and the machine name ([a-z0-9-]). */
  name: string;
  /** The root file system to boot (a copy: booting changes it). */
  rootfs: string;
  /** The NoCloud user-data (`#cloud-config ...`); absent: the seed already there is kept (a reboot). */
  userData?: string;
  instanceId?: string;
  /** meta-data local-hostname. */
  localHostname?: string;
  /** Read-only bind mounts. */
  binds: Bind[];
  /** Where the console log goes. */
  logDir: string;
  /** The instance's memory: a memory cgroup limit the container runs under (its "RAM"). */
  memoryMiB?: number;
  /** The CPUs it may run on (nspawn --cpu-affinity, e.g. "0" or "0-1"): what nproc sees. */
  cpuAffinity?: string;
}

/**
 * A memory cgroup of the harness's own, below this process's, limited to `mib`: the container
 * starts inside it (cgroup v1 memory.limit_in_bytes, or v2 memory.max).
 */
async function memoryCgroup(name: string, mib: number): Promise<string> {
  const own = await fs.readFile('/proc/self/cgroup', 'utf8');
  const v1 = /^\d+:[^:]*\bmemory\b[^:]*:(.*)$/m.exec(own);
  const [base, rel, file] = v1 ? ['/sys/fs/cgroup/memory', v1[1]!, 'memory.limit_in_bytes'] : ['/sys/fs/cgroup', /^0::(.*)$/m.exec(own)?.[1] ?? '/', 'memory.max'];
  const dir = path.join(base, rel, `cocca-e2e-${name}`);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, file), String(mib * 1024 * 1024));
  return dir;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string | Buffer;
}

const live = new Set<Container>();

/** nspawn refuses to start unless its propagation directory is on a tmpfs (PID 1 here is not systemd). */
async function preparePropagationDir(): Promise<void> {
  await run('bash', ['-c', 'mkdir -p /run/systemd/nspawn && { mountpoint -q /run/systemd/nspawn || mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn; }']);
}

/** /proc/PID/status fields. */
function procStatus(pid: number): Record<string, string> | undefined {
  try {
    const out: Record<string, string> = {};
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The container's PID 1 as seen from the host: a descendant of nspawn that is PID 1 in its namespace. */
async function findLeader(nspawnPid: number): Promise<number | undefined> {
  const entries = await fs.readdir('/proc');
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    const st = procStatus(pid);
    const nspid = st?.NSpid?.split(/\s+/);
    if (!nspid || nspid.length < 2 || nspid[nspid.length - 1] !== '1') continue;
    // Walk up to nspawn.
    let p: number | undefined = pid;
    for (let depth = 0; p && p > 1 && depth < 5; depth++) {
      const pp: number = Number(procStatus(p)?.PPid ?? 0);
      if (pp === nspawnPid) return pid;
      p = pp;
    }
  }
  return undefined;
}

export class Container extends Guest {
  readonly rootfs: string;
  /** The container's PID 1 (systemd), as a host PID. */
  leader = 0;

  private constructor(name: string, rootfs: string, consoleLog: string, child: ChildProcess) {
    super(name, consoleLog, child, () => live.delete(this));
    this.rootfs = rootfs;
  }

  /** Writes the NoCloud seed into the root file system and boots it in the background. */
  static async boot(o: BootOptions): Promise<Container> {
    if (!/^[a-z0-9-]+$/.test(o.name)) throw new Error(`bad container name ${o.name}`);
    await preparePropagationDir();
    if (o.userData !== undefined) {
      if (!o.instanceId) throw new Error(`${o.name}: a seed needs an instance-id`);
      const seed = path.join(o.rootfs, 'var/lib/cloud/seed/nocloud');
      await fs.mkdir(seed, { recursive: true });
      await fs.writeFile(path.join(seed, 'user-data'), o.userData, { mode: 0o600 });
      await fs.writeFile(path.join(seed, 'meta-data'), `instance-id: ${o.instanceId}\n${o.localHostname ? `local-hostname: ${o.localHostname}\n` : ''}`);
    }
    await fs.mkdir(o.logDir, { recursive: true });
    const consoleLog = path.join(o.logDir, `${o.name}.console.log`);
    const fd = openSync(consoleLog, 'a');
    const args = [
      '-q',
      '-D',
      o.rootfs,
      '-b',
      `--machine=${o.name}`,
      '--private-network',
      '--register=no',
      '--keep-unit',
      '--console=read-only',
      '--link-journal=no',
      // The image's own /etc/localtime is what the tests check: nspawn must not touch it.
      '--timezone=off',
      '--resolv-conf=off',
      ...o.binds.map((b) => `--bind-ro=${b.host}:${b.container}`),
      ...(o.cpuAffinity ? [`--cpu-affinity=${o.cpuAffinity}`] : []),
    ];
    const cgroup = o.memoryMiB ? await memoryCgroup(o.name, o.memoryMiB) : undefined;
    progress(`${o.name}: systemd-nspawn ${args.join(' ')}${cgroup ? ` (in ${cgroup}, ${o.memoryMiB} MiB)` : ''}`);
    // Into the memory cgroup first, then nspawn: everything the container starts stays under its limit.
    const child = cgroup
      ? spawn('sh', ['-c', 'echo $$ >"$0/cgroup.procs" && exec systemd-nspawn "$@"', cgroup, ...args], { stdio: ['ignore', fd, fd], env: { PATH, LANG: 'C.UTF-8', SYSTEMD_LOG_LEVEL: 'info' } })
      : spawn('systemd-nspawn', args, { stdio: ['ignore', fd, fd], env: { PATH, LANG: 'C.UTF-8', SYSTEMD_LOG_LEVEL: 'info' } });
    closeSync(fd);
    if (cgroup) child.on('exit', () => void fs.rmdir(cgroup).catch(() => undefined));
    const c = new Container(o.name, o.rootfs, consoleLog, child);
    live.add(c);
    const deadline = Date.now() + 60_000;
    while (!c.leader) {
      if (!c.running) throw new Error(`${o.name}: systemd-nspawn exited (${c.exitCode}) before the container started:\n${c.consoleTail()}`);
      if (Date.now() > deadline) {
        await c.kill();
        throw new Error(`${o.name}: no container PID 1 after 60 s:\n${c.consoleTail()}`);
      }
      c.leader = (await findLeader(c.pid)) ?? 0;
      if (!c.leader) await sleep(200);
    }
    progress(`${o.name}: nspawn pid ${c.pid}, container PID 1 is host pid ${c.leader}`);
    return c;
  }

  /** The path on the host of a path inside the container's root file system (not /tmp, /run). */
  hostPath(p: string): string {
    return path.join(this.rootfs, p);
  }

  /** Runs a bash script inside the container as root (never throws on a non-zero exit). */
  async exec(script: string, o: ExecOptions = {}): Promise<RunResult> {
    if (!this.running) throw new Error(`${this.name}: the container is not running (nspawn exited ${this.exitCode}):\n${this.consoleTail()}`);
    const r = await execa(
      'nsenter',
      ['-t', String(this.leader), '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w', 'env', '-i', `PATH=${PATH}`, 'LANG=C.UTF-8', 'HOME=/root', 'TERM=dumb', 'bash', '-c', script],
      { reject: false, all: true, timeout: o.timeoutMs ?? 120_000, input: o.input, stdin: o.input === undefined ? 'ignore' : undefined, encoding: 'utf8', env: { PATH }, extendEnv: false },
    );
    return {
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      all: String(r.all ?? ''),
      exitCode: r.timedOut ? -1 : typeof r.exitCode === 'number' ? r.exitCode : -1,
    };
  }

  /** Runs a bash script inside; its stdout, or an error with its output when it fails. */
  async sh(script: string, o: ExecOptions = {}): Promise<string> {
    const r = await this.exec(script, o);
    if (r.exitCode !== 0) throw new Error(`${this.name}: \`${script}\` exited ${r.exitCode}:\n${tail(r.all)}`);
    return r.stdout;
  }

  /**
   * Waits until `check` returns true (a string return is a fatal reason: stop waiting), with a
   * deadline; the failure message has the console's tail and what `diagnose` returns.
   */
  async waitFor(what: string, check: () => Promise<boolean | string>, o: { timeoutMs: number; intervalMs?: number; diagnose?: () => Promise<string> }): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      if (!this.running) throw new Error(`${this.name}: nspawn exited (${this.exitCode}) while waiting for ${what}:\n${this.consoleTail()}`);
      let res: boolean | string = false;
      try {
        res = await check();
      } catch {
        res = false;
      }
      if (res === true) return Date.now() - t0;
      const timedOut = Date.now() - t0 > o.timeoutMs;
      if (typeof res === 'string' || timedOut) {
        const diag = o.diagnose ? await o.diagnose().catch((e: Error) => `(diagnose failed: ${e.message})`) : '';
        throw new Error(
          `${this.name}: ${typeof res === 'string' ? `failed while waiting for ${what}: ${res}` : `gave up waiting for ${what} after ${Math.round(o.timeoutMs / 1000)} s`}\n` +
            `${diag ? `--- diagnostics\n${diag}\n` : ''}--- console (${this.consoleLog})\n${this.consoleTail()}`,
        );
      }
      await sleep(o.intervalMs ?? 1000);
    }
  }

  /** Waits until a file exists in the container's root file system (checked from the host). */
  async waitForFile(p: string, timeoutMs: number): Promise<number> {
    return this.waitFor(p, async () => existsSync(this.hostPath(p)), { timeoutMs });
  }

  /** `systemctl poweroff` inside, then waits for nspawn to exit; by PID after the deadline. */
  async poweroff(timeoutMs = 90_000): Promise<void> {
    if (!this.running) return;
    progress(`${this.name}: poweroff`);
    await this.exec('systemctl poweroff', { timeoutMs: 30_000 }).catch(() => undefined);
    const done = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) {
      progress(`${this.name}: did not power off within ${timeoutMs / 1000} s; killing it`);
      await this.kill();
    }
  }

  /** Ends this container by PID: SIGTERM to nspawn, then SIGKILL to it and the container's PID 1. */
  async kill(): Promise<void> {
    if (!this.running) return;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // gone already
    }
    const done = await Promise.race([this.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (done) return;
    for (const pid of [this.leader, this.pid]) {
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await Promise.race([this.exited, sleep(10_000)]);
  }
}

/** Ends every container this process started (afterAll). */
export async function stopAll(): Promise<void> {
  for (const c of [...live]) await c.poweroff(60_000).catch(() => c.kill());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
