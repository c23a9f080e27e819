// Where a bundle's packages come from on the connected machine: the profile's own apt.sources,
// else its OS's archive; and PGDG beside them when the profile takes PostgreSQL from there
// (pgdg.ts). Every signed-by keyring they name must be on this machine (or be a key the bundle
// holds: apt.keys, PGDG's): apt would refuse the archive without it, after a slow download, with
// a vaguer word.
import * as fs from 'node:fs';
import type { OsModule } from '../../os/types.js';
import type { ResolvedProfile } from '../../profile/types.js';
import { APT_KEYRINGS } from '../../components/base/rules.js';
import { pgdgLine, PGDG_KEYRING, type PgdgSource } from './pgdg.js';

export class SourcesError extends Error {}

export interface BundleSources {
  lines: string[];
  /** What the lines are: the profile's apt.sources, or the OS's archive. */
  from: 'apt.sources' | 'os';
  /** Keys the lines trust (apt.keys, PGDG's; by the path the instance would have them at): written beside the private apt. */
  keys: Record<string, string>;
}

/** `pgdg`: PGDG and its checked key, which a profile with postgres.source pgdg needs (else an error). */
export function bundleSources(profile: ResolvedProfile, os: OsModule, pgdg?: PgdgSource): BundleSources {
  const own = profile.apt.sources?.filter((l) => l.startsWith('deb '));
  const lines = [...(own && own.length > 0 ? own : os.archive.sources)];
  const keys: Record<string, string> = {};
  if (profile.postgres.source === 'pgdg') {
    if (!pgdg) throw new Error(`internal: ${profile.name} takes PostgreSQL from PGDG, but its key was not fetched`);
    lines.push(pgdgLine(pgdg.origin, os.pgdgSuite));
    keys[PGDG_KEYRING] = pgdg.key;
  }
  for (const line of lines) {
    for (const keyring of signedBy(line)) {
      const keyName = new RegExp(`^${APT_KEYRINGS}/(.+)\\.asc$`).exec(keyring)?.[1];
      const key = keys[keyring] ?? (keyName === undefined ? undefined : profile.apt.keys?.[keyName]);
      if (key !== undefined) {
        keys[keyring] = key;
        continue;
      }
      if (fs.existsSync(keyring)) continue;
      const known = keyring === os.archive.keyring.path ? ` (package ${os.archive.keyring.package} installs it)` : '';
      throw new SourcesError(`${profile.name}: the apt source "${line}" is signed-by ${keyring}, which is not on this machine${known}`);
    }
  }
  return { lines, from: own && own.length > 0 ? 'apt.sources' : 'os', keys };
}

/** The keyring files a one-line source names with signed-by= (comma-separated is allowed). */
function signedBy(line: string): string[] {
  const opts = /^deb(?:-src)? \[([^\]]*)\]/.exec(line)?.[1] ?? '';
  return opts
    .split(/\s+/)
    .filter((o) => o.startsWith('signed-by='))
    .flatMap((o) => o.slice('signed-by='.length).split(','))
    .filter((k) => k.startsWith('/'));
}
