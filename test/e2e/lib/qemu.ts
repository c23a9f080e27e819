/**
 * A qemu VM for the qemu build flow: TCG (this machine has no usable KVM), direct kernel boot,
 * always inside a network namespace of its own (`unshare -n`, only loopback) with qemu's
 * user network restricted (`restrict=on`): nothing the guest does can leave it. The host reaches
 * the guest through forwards on that namespace's 127.0.0.1, by entering the namespace
 * (`nsenter -n`). Commands run in the guest over ssh as the profile's login user, with sudo.
 * qemu is ended by PID (poweroff in the guest first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { execa } from 'execa';
import type { Shell } from './checks.js';
import { Guest } from './guest.js';
import { sleep } from './nspawn.js';
import { progress, run, tail, type RunResult } from './run.js';
import { KERNEL_APPEND } from './vm.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** qemu's first NIC's MAC, and so the guest's addresses on qemu's user network. */
export const VM_MAC = '52:54:00:12:34:56';
export const VM_IPV4 = '10.0.2.15';
export const VM_IPV6 = 'fec0::5054:ff:fe12:3456';
/** The guest sees connections forwarded from the host as coming from qemu's gateway. */
export const VM_GATEWAY = '10.0.2.2';

export interface VmOptions {
  name: string;
  /** The qcow2 to boot (written to). */
  disk: string;
  kernel: string;
  initrd: string;
  /** A NoCloud seed image (cloud-localds). */
  seed?: string;
  memoryMiB: number;
  cpus: number;
  /** host port on the namespace's 127.0.0.1 -> guest port */
  forwards: Record<number, number>;
  logDir: string;
  /** For ssh: the login user and the private key whose public half the user-data installs. */
  login: { user: string; key: string };
}

/** qemu's command line for a VM (without the namespace around it). */
export function qemuArgs(o: VmOptions, consoleLog: string): string[] {
  const fwd = Object.entries(o.forwards).map(([h, g]) => `,hostfwd=tcp:127.0.0.1:${h}-:${g}`).join('');
  return [
    '-accel', 'tcg',
    '-machine', 'pc',
    '-m', String(o.memoryMiB),
    '-smp', String(o.cpus),
    '-nodefaults',
    '-display', 'none',
    '-no-reboot',
    '-kernel', o.kernel,
    '-initrd', o.initrd,
    '-append', KERNEL_APPEND,
    '-drive', `file=${o.disk},if=virtio,format=qcow2`,
    ...(o.seed ? ['-drive', `file=${o.seed},if=virtio,format=raw,readonly=on`] : []),
    '-netdev', `user,id=n0,restrict=on${fwd}`,
    '-device', `virtio-net-pci,netdev=n0,mac=${VM_MAC}`,
    '-serial', `file:${consoleLog}`,
  ];
}

const live = new Set<Vm>();

export class Vm extends Guest implements Shell {
  private constructor(
    readonly o: VmOptions,
    consoleLog: string,
    child: ChildProcess,
  ) {
    super(o.name, consoleLog, child, () => live.delete(this));
  }

  static async boot(o: VmOptions): Promise<Vm> {
    await fs.mkdir(o.logDir, { recursive: true });
    const consoleLog = path.join(o.logDir, `${o.name}.console.log`);
    const stderrLog = path.join(o.logDir, `${o.name}.qemu.log`);
    const fd = openSync(stderrLog, 'a');
    // unshare execs sh, sh execs qemu: one PID throughout, inside the new namespace.
    const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec qemu-system-x86_64 "$@"', 'qemu', ...qemuArgs(o, consoleLog)], {
      stdio: ['ignore', fd, fd],
      env: { PATH, LANG: 'C.UTF-8' },
    });
    closeSync(fd);
    const vm = new Vm(o, consoleLog, child);
    live.add(vm);
    progress(`${o.name}: qemu pid ${vm.pid} (TCG, ${o.cpus} CPUs, ${o.memoryMiB} MiB), console ${consoleLog}`);
    await sleep(1000);
    if (!vm.running) throw new Error(`${o.name}: qemu exited ${vm.exitCode}:\n${readFileSync(stderrLog, 'utf8')}`);
    return vm;
  }

  /** A program run on the host inside the VM's network namespace. */
  async inNetns(file: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
    if (!this.running) throw new Error(`${this.name}: qemu is not running (exit ${this.exitCode}):\n${this.consoleTail()}`);
    return run('nsenter', ['-t', String(this.pid), '-n', file, ...args], { reject: false, timeout: timeoutMs });
  }

  /** Runs a bash script in the guest as root: ssh as the login user, then sudo. */
  async exec(script: string, o: { timeoutMs?: number } = {}): Promise<RunResult> {
    const port = Object.entries(this.o.forwards).find(([, g]) => g === 22)?.[0];
    if (!port) throw new Error(`${this.name}: no forward to the guest's port 22`);
    const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
    const r = await this.inNetns(
      'ssh',
      [
        '-q', '-F', 'none', '-i', this.o.login.key, '-p', port,
        '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=20',
        '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
        `${this.o.login.user}@127.0.0.1`,
        `sudo -n env -i PATH=${PATH} LANG=C.UTF-8 HOME=/root TERM=dumb bash -c ${quoted}`,
      ],
      o.timeoutMs ?? 180_000,
    );
    return r;
  }

  async sh(script: string, o: { timeoutMs?: number } = {}): Promise<string> {
    const r = await this.exec(script, o);
    if (r.exitCode !== 0) throw new Error(`${this.name}: \`${script}\` exited ${r.exitCode}:\n${tail(r.all)}`);
    return r.stdout;
  }

  /** Powers the guest off from inside, then waits; SIGTERM and SIGKILL by PID after the deadline. */
  async poweroff(deadlineMs = 180_000): Promise<void> {
    if (!this.running) return;
    await this.exec('systemctl poweroff', { timeoutMs: 30_000 }).catch(() => undefined);
    await this.stop(deadlineMs);
  }

  /** Waits for qemu to exit by itself, then ends it by PID. */
  async stop(deadlineMs: number): Promise<void> {
    const exitedWithin = (ms: number) => Promise.race([this.exited.then(() => true), sleep(ms).then(() => false)]);
    if (await exitedWithin(deadlineMs)) return;
    progress(`${this.name}: still running after ${deadlineMs / 1000} s; SIGTERM to qemu pid ${this.pid}`);
    this.child.kill('SIGTERM');
    if (await exitedWithin(15_000)) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Ends every VM still running (afterAll). */
export async function stopAllVms(): Promise<void> {
  await Promise.all([...live].map((vm) => vm.poweroff(60_000)));
}

/** A NoCloud seed image with this user-data and a fresh instance-id. */
export async function seedImage(dir: string, userData: string, instanceId: string, hostname: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'user-data'), userData, { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'meta-data'), `instance-id: ${instanceId}\nlocal-hostname: ${hostname}\n`);
  const out = path.join(dir, 'seed.img');
  await run('cloud-localds', [out, path.join(dir, 'user-data'), path.join(dir, 'meta-data')]);
  return out;
}

/**
 * The directories of a qcow2's (unpartitioned ext4) file system, copied out with debugfs (no
 * mount, no loop device), owners and modes kept: the image as Packer left it, to inspect.
 */
export async function extractImage(qcow2: string, dirs: string[], out: string): Promise<void> {
  const raw = `${out}.raw`;
  await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, raw], { timeout: 20 * 60_000 });
  try {
    await fs.rm(out, { recursive: true, force: true });
    for (const d of dirs) {
      const dest = path.join(out, path.dirname(d));
      await fs.mkdir(dest, { recursive: true });
      // rdump prints per-file complaints (sockets, devices) but exits 0; the tree is checked after.
      await execa('debugfs', ['-R', `rdump ${d} ${dest}`, raw], { stdin: 'ignore', reject: true, timeout: 20 * 60_000 });
    }
  } finally {
    await fs.rm(raw, { force: true });
  }
}
