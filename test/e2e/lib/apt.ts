/**
 * apt-get with a private configuration: its own sources list, lists, caches, state and dpkg
 * status file, all under one directory. The host's apt configuration, sources, lists, caches
 * and dpkg database are never read or written (APT_CONFIG is read before anything else and
 * points every Dir:: at the private tree, including Dir::Etc::Parts).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { run, type RunResult } from './run.js';

/** Debian's archive keyring on the host (package debian-archive-keyring). */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface PrivateApt {
  dir: string;
  /** Where `apt-get download`/`source` and `install --download-only` leave files. */
  archives: string;
  /** Runs apt-get with the private configuration (cwd: the given directory or `dir`). */
  aptGet(args: readonly string[], cwd?: string): Promise<RunResult>;
}

/**
 * A private apt under `dir` with these one-line sources (`deb ...` / `deb-src ...`); `status`
 * is the dpkg status file apt resolves against (a root file system's, so only what that
 * system lacks is fetched), none for an empty system.
 */
export async function privateApt(dir: string, sources: readonly string[], status?: string): Promise<PrivateApt> {
  const etc = path.join(dir, 'etc');
  for (const d of ['etc/apt.conf.d', 'etc/sources.list.d', 'etc/preferences.d', 'etc/trusted.gpg.d', 'state/lists/partial', 'cache/archives/partial', 'log']) {
    await fs.mkdir(path.join(dir, d), { recursive: true });
  }
  await fs.writeFile(path.join(etc, 'sources.list'), `${sources.join('\n')}\n`);
  const statusFile = path.join(dir, 'state', 'status');
  if (status) await fs.copyFile(status, statusFile);
  else await fs.writeFile(statusFile, '');
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
    'APT::Architecture "amd64";',
    'APT::Architectures { "amd64"; };',
    'APT::Install-Recommends "false";',
    'APT::Install-Suggests "false";',
    'APT::Get::Assume-Yes "true";',
    'Acquire::Languages "none";',
    'Acquire::Retries "3";',
    'APT::Sandbox::User "root";',
    '',
  ].join('\n');
  const confFile = path.join(dir, 'apt.conf');
  await fs.writeFile(confFile, conf);
  const env = { APT_CONFIG: confFile, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8' };
  return {
    dir,
    archives: path.join(dir, 'cache', 'archives'),
    aptGet: (args, cwd) => run('apt-get', ['-q', ...args], { env, cwd: cwd ?? dir, timeout: 30 * 60_000 }),
  };
}
