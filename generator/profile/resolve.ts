// From a checked profile to what the stack consumes: catalog lookups, operator files, digest.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { coccaDownloads, lookup } from '../catalog.js';
import type { OsModule } from '../os/types.js';
import { artifactSources } from './rules.js';
import type { Artifact, ArtifactName, Profile, ResolvedProfile } from './types.js';

/** JSON with sorted keys: the same profile always has the same digest. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Fills what defaults depend on: the OS's login user, AllowUsers. Runs before the rules. */
export function applyDerivedDefaults(p: Profile, os: OsModule): void {
  p.ssh.loginUser ??= os.defaultUser;
  p.ssh.allowUsers ??= [p.ssh.loginUser];
  if (p.targets.qemu) p.targets.qemu.baseImage ??= { url: os.cloudImage.url, sha256: os.cloudImage.sha256 };
}

/** Only called on a profile that passed every check, so every lookup succeeds. */
export function resolveProfile(p: Profile, profileFile: string, templateFile?: string): ResolvedProfile {
  const downloads = {} as Record<ArtifactName, Artifact>;
  let jdkHome = p.java.home;
  for (const src of artifactSources(p)) {
    const fromCatalog = src.kind ? lookup(src.kind, src.version!) : undefined;
    const fallback = src.name === 'war' ? coccaDownloads.war[p.role] : src.name === 'keystore' ? coccaDownloads.keystore : fromCatalog;
    const art = p.artifacts[src.name] ?? fallback;
    if (art) downloads[src.name] = { url: art.url, sha256: art.sha256 };
    if (src.name === 'jdk') jdkHome ??= fromCatalog?.home;
  }
  const resinTemplate = templateFile ? readFileSync(templateFile, 'utf8') : undefined;
  const digest = sha256Hex(canonicalJson({ profile: p, resinTemplate }));
  return { ...p, sourceFile: profileFile, downloads: { ...downloads, jdkHome: jdkHome ?? `jdk-${p.java.version}` }, resinTemplate, digest };
}
