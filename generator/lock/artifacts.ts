// Where the lock meets a profile: the one place that turns an `unpinned` download into the
// SHA-256 the lock recorded for its URL. The check applies it before the rules run, so
// validate, render, user-data and build all see the same resolved artifacts.
import { UNPINNED } from '../catalog.js';
import type { Report } from '../profile/rule.js';
import { artifactSources, declaredArtifact } from '../profile/rules.js';
import type { ArtifactName, Profile } from '../profile/types.js';
import { redactUrl } from '../profile/urls.js';
import type { LockFile } from './file.js';

export interface Lockable {
  name: ArtifactName;
  url: string;
}

/** The downloads this profile uses that nothing pins (neither the profile nor the catalog): what `lock` records. */
export function lockableArtifacts(p: Profile): Lockable[] {
  return artifactSources(p).flatMap((src) => {
    const art = src.used ? declaredArtifact(p, src) : undefined;
    return art && art.sha256 === UNPINNED ? [{ name: src.name, url: art.url }] : [];
  });
}

/**
 * Fills each unpinned download's SHA-256 from the lock's entry for its URL (as an artifacts
 * entry, the way an operator would pin it by hand). A pin written in the profile or the catalog
 * is never replaced: when the lock disagrees with it, a warning names both.
 */
export function applyLock(p: Profile, lock: LockFile, lockFile: string, report: Report): void {
  for (const src of artifactSources(p)) {
    const art = src.used ? declaredArtifact(p, src) : undefined;
    const entry = art && lock.artifacts[art.url];
    if (!art || !entry) continue;
    if (art.sha256 === UNPINNED) {
      p.artifacts[src.name] = { url: art.url, sha256: entry.sha256 };
    } else if (art.sha256 !== entry.sha256) {
      const own = Boolean(p.artifacts[src.name]);
      report(
        own ? ['artifacts', src.name, 'sha256'] : src.versionAt!,
        'warning',
        `${src.name} download ${redactUrl(art.url)}: ${own ? 'the profile pins' : 'the catalog pins'} sha256 ${art.sha256}, but ${lockFile} records ${entry.sha256}; the pin is used`,
        'check which one the file really has; when the pin is right, "cocca-bake lock" on the profiles of this directory drops entries no unpinned download uses',
      );
    }
  }
}
