// The bundle's downloads: every artifact the profiles use, fetched once per URL over verified
// TLS (net/download.ts) into artifacts/, and held to its pinned SHA-256 (the profile's, the
// catalog's, or the lock's: check applied the lock before the bundle sees it). An unpinned one is
// refused (the bundle would carry whatever the server sent that day) unless --allow-unpinned,
// which records the SHA-256 it computed, so the build machine holds the bundle to it.
import * as path from 'node:path';
import { UNPINNED } from '../../catalog.js';
import { download, DownloadError } from '../../net/download.js';
import { redactUrl } from '../../profile/urls.js';
import { artifactSources } from '../../profile/rules.js';
import type { ArtifactName, ResolvedProfile } from '../../profile/types.js';
import { BundleError } from './tool.js';

export interface BundledArtifact {
  url: string;
  /** Its file under artifacts/. */
  file: string;
  sha256: string;
  size: number;
  /** Which profiles use it, as which artifact. */
  usedBy: Array<{ profile: string; artifact: ArtifactName }>;
  /** pinned: the profile's (or the catalog's) SHA-256 held; computed: --allow-unpinned took what came. */
  sha256From: 'pinned' | 'computed';
}

/** A file name for the URL's last path segment, unique in the bundle. */
function fileName(url: string, taken: Set<string>): string {
  const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || 'download';
  const base = last.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '_');
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${i}-${base}`;
  taken.add(name);
  return name;
}

export async function fetchArtifacts(profiles: ResolvedProfile[], dir: string, allowUnpinned: boolean): Promise<BundledArtifact[]> {
  const byUrl = new Map<string, { sha256: string; usedBy: BundledArtifact['usedBy'] }>();
  const unpinned: string[] = [];
  for (const p of profiles) {
    for (const src of artifactSources(p).filter((s) => s.used)) {
      const art = p.downloads[src.name];
      const seen = byUrl.get(art.url);
      if (seen && seen.sha256 !== art.sha256 && art.sha256 !== UNPINNED && seen.sha256 !== UNPINNED) {
        throw new BundleError(`${redactUrl(art.url)} is pinned to two SHA-256s (${seen.sha256} and ${art.sha256} in ${p.name})`);
      }
      if (art.sha256 === UNPINNED) unpinned.push(`${p.name}: artifacts.${src.name} ${redactUrl(art.url)}`);
      const entry = seen ?? { sha256: art.sha256, usedBy: [] };
      if (entry.sha256 === UNPINNED) entry.sha256 = art.sha256;
      entry.usedBy.push({ profile: p.name, artifact: src.name });
      byUrl.set(art.url, entry);
    }
  }
  if (unpinned.length > 0 && !allowUnpinned) {
    throw new BundleError(`not pinned to a SHA-256, so a bundle cannot vouch for them: ${unpinned.join('; ')} (set artifacts.NAME.sha256 after checking the file, or --allow-unpinned to record what is downloaded now)`);
  }
  const taken = new Set<string>();
  const out: BundledArtifact[] = [];
  for (const [url, { sha256, usedBy }] of [...byUrl].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = fileName(url, taken);
    let got;
    try {
      got = await download(url, path.join(dir, file));
    } catch (err) {
      if (err instanceof DownloadError) throw new BundleError(err.message);
      throw err;
    }
    if (sha256 !== UNPINNED && got.sha256 !== sha256) {
      throw new BundleError(`${redactUrl(url)} has SHA-256 ${got.sha256}, but ${usedBy.map((u) => `${u.profile}'s artifacts.${u.artifact}`).join(' and ')} is pinned to ${sha256}: the file changed, or the pin is wrong`);
    }
    out.push({ url: redactUrl(url), file, sha256: got.sha256, size: got.size, usedBy, sha256From: sha256 === UNPINNED ? 'computed' : 'pinned' });
  }
  return out;
}
