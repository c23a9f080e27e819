// apt-get with a private configuration: its own sources list, lists, caches, state and dpkg
// status file, all under one directory. The host's apt configuration, sources, lists, caches
// and dpkg database are never read or written: APT_CONFIG is read before anything else and
// points every Dir:: at the private tree, Dir::Etc::Parts included. `bundle` resolves and
// downloads through it as an unprivileged user can; the end-to-end tests use it too.
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** apt failed: its command line and the end of its output, for one error message. */
export class AptError extends Error {}

export interface AptResult {
  stdout: string;
  all: string;
}

export interface PrivateApt {
  dir: string;
  /** Where `apt-get download`/`source` and `install --download-only` leave files. */
  archives: string;
  /** Runs apt-get with the private configuration (cwd: the given directory or `dir`). */
  aptGet(args: readonly string[], cwd?: string): Promise<AptResult>;
  /** Runs another apt program (apt-cache, apt-ftparchive) with the same configuration. */
  run(program: string, args: readonly string[], cwd?: string): Promise<AptResult>;
}

export interface PrivateAptOptions {
  /** The dpkg status file apt resolves against; none: an empty system (the whole closure). */
  status?: string;
  /** The architecture resolved for (default amd64, what every target builds). */
  arch?: string;
}

/** The end of a program's output, for a one-message error. */
export const outputTail = (s: string, max = 3000): string => (s.length <= max ? s : `...${s.slice(-max)}`);

/** A private apt under `dir` with these one-line sources (`deb ...` / `deb-src ...`). */
export async function privateApt(dir: string, sources: readonly string[], opts: PrivateAptOptions = {}): Promise<PrivateApt> {
  const etc = path.join(dir, 'etc');
  for (const d of ['etc/apt.conf.d', 'etc/sources.list.d', 'etc/preferences.d', 'etc/trusted.gpg.d', 'state/lists/partial', 'cache/archives/partial', 'log']) {
    await fs.mkdir(path.join(dir, d), { recursive: true });
  }
  await fs.writeFile(path.join(etc, 'sources.list'), `${sources.join('\n')}\n`);
  const statusFile = path.join(dir, 'state', 'status');
  if (opts.status) await fs.copyFile(opts.status, statusFile);
  else await fs.writeFile(statusFile, '');
  const arch = opts.arch ?? 'amd64';
  const conf = [
    `Dir::Etc "${etc}/";`,
    `Dir::Etc::Main "${etc}/apt.conf";`,
    `Dir::Etc::Parts "${etc}/apt.conf.d/";`,
    `Dir::Etc::SourceList "${etc}/sources.list";`,
    `Dir::Etc::SourceParts "${etc}/sources.list.d/";`,
    `Dir::Etc::Preferences "${etc}/preferences";`,
    `Dir::Etc::PreferencesParts "${etc}/preferences.d/";`,
    `Dir::Etc::TrustedParts "${etc}/trusted.gpg.d/";`,
    `Dir::State "${dir}/state/";`,
    `Dir::State::Lists "${dir}/state/lists/";`,
    `Dir::State::status "${statusFile}";`,
    `Dir::Cache "${dir}/cache/";`,
    `Dir::Cache::Archives "${dir}/cache/archives/";`,
    `Dir::Log "${dir}/log/";`,
    `APT::Architecture "${arch}";`,
    `APT::Architectures { "${arch}"; };`,
    'APT::Install-Recommends "false";',
    'APT::Install-Suggests "false";',
    'APT::Get::Assume-Yes "true";',
    'Acquire::Languages "none";',
    'Acquire::Retries "3";',
    // As root, apt would drop to _apt, who cannot write a private tree under a user's directory.
    'APT::Sandbox::User "root";',
    '',
  ].join('\n');
  const confFile = path.join(dir, 'apt.conf');
  await fs.writeFile(confFile, conf);
  const env = { APT_CONFIG: confFile, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8' };
  const run = async (program: string, args: readonly string[], cwd?: string): Promise<AptResult> => {
    const r = await execa(program, args, { env, cwd: cwd ?? dir, all: true, reject: false, stdin: 'ignore', timeout: 30 * 60_000, maxBuffer: 256 * 1024 * 1024 });
    const all = String(r.all ?? '');
    if (r.exitCode !== 0) {
      const why = r.exitCode === undefined ? String((r as { shortMessage?: string }).shortMessage ?? 'could not run') : `exited ${r.exitCode}`;
      throw new AptError(`${program} ${args.join(' ')} ${why}:\n${outputTail(all)}`);
    }
    return { stdout: String(r.stdout ?? ''), all };
  };
  return {
    dir,
    archives: path.join(dir, 'cache', 'archives'),
    aptGet: (args, cwd) => run('apt-get', ['-q', ...args], cwd),
    run,
  };
}
