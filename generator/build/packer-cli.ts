// Finding and running HashiCorp Packer. Output is streamed line by line to the caller,
// and every line also goes to the build's log file.
import { createWriteStream } from 'node:fs';
import { execa } from 'execa';
import { flavorFor, type PackerFlavor } from '../emit/packer.js';

export interface PackerInfo {
  path: string;
  version: string;
  flavor: PackerFlavor;
}

export class PackerMissingError extends Error {}

export async function findPacker(command = process.env.COCCA_PACKER ?? 'packer'): Promise<PackerInfo> {
  const r = await execa(command, ['version'], { reject: false, env: { CHECKPOINT_DISABLE: '1' } });
  const m = /Packer v?(\d+\.\d+\.\d+)/.exec(r.stdout ?? '');
  if (r.failed || !m) {
    throw new PackerMissingError(
      `cannot run ${command}: install HashiCorp Packer (1.10 or later, or Debian/Ubuntu's 1.6.6: apt-get install packer) or set COCCA_PACKER`,
    );
  }
  const which = await execa('sh', ['-c', 'command -v "$0"', command], { reject: false });
  return { path: which.stdout.trim() || command, version: m[1]!, flavor: flavorFor(m[1]!) };
}

export interface RunOptions {
  cwd: string;
  log: string; // file every line is appended to
  env?: Record<string, string>;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** Runs `packer ARGS`; resolves with the exit code. The child never outlives us. */
export async function runPacker(packer: PackerInfo, args: string[], opts: RunOptions): Promise<number> {
  const log = createWriteStream(opts.log, { flags: 'a' });
  log.write(`$ ${packer.path} ${args.join(' ')}\n`);
  const child = execa(packer.path, args, {
    cwd: opts.cwd,
    reject: false,
    all: true,
    buffer: false,
    cleanup: true,
    // Packer cleans up (stops the VM, deletes the instance) on SIGINT; on SIGTERM 1.6.6 leaves qemu running.
    killSignal: 'SIGINT',
    forceKillAfterDelay: 30_000,
    cancelSignal: opts.signal,
    env: { CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1', ...opts.env },
    stdin: 'ignore',
  });
  let rest = '';
  child.all?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) opts.onLine?.(line.replace(/\r$/, ''));
  });
  const result = await child;
  if (rest) opts.onLine?.(rest);
  await new Promise<void>((resolve) => log.end(resolve));
  return result.exitCode ?? 1;
}
