// Finding and running HashiCorp Packer. Output is streamed line by line to the caller, and
// every line also goes to the build's log file (decoded from -machine-readable for people).
import { createWriteStream } from 'node:fs';
import { execa } from 'execa';
import { flavorFor, packerVersionOf, type PackerFlavor } from '../../emit/packer.js';
import { humanText } from './progress.js';
import { cleanupBoundMs, type Interruption } from './signals.js';

export interface PackerInfo {
  path: string;
  version: string;
  flavor: PackerFlavor;
}

export class PackerMissingError extends Error {}

export async function findPacker(command = process.env.COCCA_PACKER ?? 'packer'): Promise<PackerInfo> {
  const r = await execa(command, ['version'], { reject: false, env: { CHECKPOINT_DISABLE: '1' } });
  const version = packerVersionOf(r.stdout ?? '');
  if (r.failed || !version) {
    throw new PackerMissingError(
      `cannot run ${command}: install HashiCorp Packer (1.10 or later, or Debian/Ubuntu's 1.6.6: apt-get install packer) or set COCCA_PACKER`,
    );
  }
  const which = await execa('sh', ['-c', 'command -v "$0"', command], { reject: false });
  return { path: which.stdout.trim() || command, version, flavor: flavorFor(version) };
}

export interface RunOptions {
  cwd: string;
  /** packer.log: what a person would have read (ui messages decoded), for people. */
  log: string;
  /** The machine-readable stream as Packer wrote it, for tools and for checking what we parsed. */
  machineLog?: string;
  env?: Record<string, string>;
  /** Every human line (a decoded ui message). */
  onLine?: (line: string) => void;
  /** Called when Packer has been silent for `quietMs`, and again every `quietMs` after. */
  onQuiet?: (silentMs: number, lastSaid: string | undefined) => void;
  quietMs?: number;
  interruption?: Interruption;
}

export interface RunResult {
  exitCode: number;
  /** Packer was stopped by a signal we forwarded, and ran its clean-up to the end. */
  interrupted: boolean;
  /** Packer was killed before its clean-up ended (the bound passed, or the operator abandoned it). */
  killed: boolean;
}

/** Runs `packer ARGS` (with -machine-readable among them, or not). The child never outlives its clean-up bound. */
export async function runPacker(packer: PackerInfo, args: string[], opts: RunOptions): Promise<RunResult> {
  const log = createWriteStream(opts.log, { flags: 'a' });
  const raw = opts.machineLog ? createWriteStream(opts.machineLog, { flags: 'a' }) : undefined;
  // A log that cannot be written (a full disk) must not end the build, nor Packer's clean-up:
  // said once, and Packer goes on.
  let logFailed = false;
  for (const stream of [log, raw]) {
    stream?.on('error', (err) => {
      if (!logFailed) process.stderr.write(`cocca-bake: cannot write ${opts.log}: ${err.message}; Packer goes on\n`);
      logFailed = true;
    });
  }
  log.write(`$ ${packer.path} ${args.join(' ')}\n`);
  const child = execa(packer.path, args, {
    cwd: opts.cwd,
    reject: false,
    all: true,
    buffer: false,
    // Its own process group: a terminal's Ctrl-C reaches Packer once, forwarded by us (signals.ts).
    detached: true,
    // We send SIGKILL ourselves, after the clean-up bound (signals.ts), not execa after 5 s.
    forceKillAfterDelay: false,
    env: { CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1', ...opts.env },
    stdin: 'ignore',
  });
  let lastSaid: string | undefined;
  let lastAt = Date.now();
  let quietReported = 0;
  const emit = (line: string) => {
    raw?.write(`${line}\n`);
    for (const text of humanText(line).lines) {
      log.write(`${text}\n`);
      if (text.trim() !== '') {
        lastSaid = text.trim();
        lastAt = Date.now();
        quietReported = 0;
      }
      opts.onLine?.(text);
    }
  };
  let rest = '';
  // Read to the end whatever happens: a Packer cleaning up after a signal must not die writing to a closed pipe.
  child.all?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) emit(line.replace(/\r$/, ''));
  });

  const quietMs = opts.quietMs ?? 30_000;
  const heartbeat = opts.onQuiet
    ? setInterval(() => {
        const silent = Date.now() - lastAt;
        if (Math.floor(silent / quietMs) > quietReported) {
          quietReported = Math.floor(silent / quietMs);
          opts.onQuiet!(silent, lastSaid);
        }
      }, Math.min(quietMs, 1000))
    : undefined;

  let interrupted = false;
  let killed = false;
  let bound: NodeJS.Timeout | undefined;
  // To Packer's whole process group, as a terminal's Ctrl-C would: Packer 1.6.6's outer process
  // (panicwrap) ignores a SIGINT sent to it alone and relies on the group's (measured).
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  };
  const kill = () => {
    if (child.exitCode !== null || killed) return;
    killed = true;
    // Its plugins and qemu go with it.
    signalGroup('SIGKILL');
  };
  const stop = () => {
    if (interrupted || child.exitCode !== null) return;
    interrupted = true;
    // Once, and SIGINT whatever we received: Packer 1.6.6 leaves qemu running on SIGTERM.
    signalGroup('SIGINT');
    bound = setTimeout(kill, cleanupBoundMs());
  };
  // Once Packer has exited after a signal, what it leaves in its group (a local script of a
  // shell-local provisioner, started just as the signal came) must not hold its output open.
  let stragglers: NodeJS.Timeout | undefined;
  child.on('exit', () => {
    if (interrupted) stragglers = setTimeout(() => signalGroup('SIGKILL'), 5_000);
  });
  const ir = opts.interruption;
  if (ir?.requested) stop();
  ir?.on('stop', stop);
  ir?.on('abandon', kill);
  // Should cocca-bake itself die, its Packer goes too (detached children are not killed otherwise).
  const onExit = () => kill();
  process.on('exit', onExit);
  try {
    const result = await child;
    if (rest) emit(rest);
    return { exitCode: result.exitCode ?? 1, interrupted, killed };
  } finally {
    clearInterval(heartbeat);
    clearTimeout(bound);
    clearTimeout(stragglers);
    ir?.off('stop', stop);
    ir?.off('abandon', kill);
    process.off('exit', onExit);
    await new Promise<void>((resolve) => log.end(resolve));
    if (raw) await new Promise<void>((resolve) => raw.end(resolve));
  }
}
