// The host programs a bundle is made with, run with a clear word when one is missing or fails.
import { execa } from 'execa';
import { outputTail } from '../../apt/private.js';

export class BundleError extends Error {}

/** Which Debian package provides each program `bundle` runs. */
const PROVIDER: Record<string, string> = { 'apt-get': 'apt', 'apt-ftparchive': 'apt-utils', gpg: 'gpg', gpgconf: 'gpgconf' };

export async function tool(program: string, args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await execa(program, args, { cwd: opts.cwd, env: opts.env, all: true, reject: false, stdin: 'ignore', maxBuffer: 256 * 1024 * 1024 });
  if ((r as { code?: string }).code === 'ENOENT' || (r.failed && r.exitCode === undefined && /ENOENT/.test(String((r as { message?: string }).message)))) {
    throw new BundleError(`bundle needs ${program} (Debian package ${PROVIDER[program] ?? program}), which is not on the PATH`);
  }
  if (r.exitCode !== 0) throw new BundleError(`${program} ${args.join(' ')} exited ${r.exitCode}:\n${outputTail(String(r.all ?? ''), 2000)}`);
  return String(r.stdout ?? '');
}
