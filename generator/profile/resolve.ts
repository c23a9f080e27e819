// From a checked profile to what the stack consumes: catalog lookups, operator files, digest.
import { createHash } from 'node:crypto';
import { lookup } from '../catalog.js';
import type { OsModule } from '../os/types.js';
import { artifactSources, declaredArtifact } from './rules.js';
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

/**
 * Who logs in to each target's image: ssh.loginUser, or that image's default user. With no
 * target (a user-data pasted into a console), every image of the OS could be meant.
 */
export function loginUsers(p: Profile, os: OsModule): Array<{ target: 'aws' | 'qemu'; user: string }> {
  const targets = (['aws', 'qemu'] as const).filter((t) => p.targets[t]);
  return (targets.length > 0 ? targets : (['aws', 'qemu'] as const)).map((target) => ({ target, user: p.ssh.loginUser ?? os.users[target] }));
}

/** Fills what defaults depend on: AllowUsers, the qemu base image, the JDK package. Runs before the rules. */
export function applyDerivedDefaults(p: Profile, os: OsModule): void {
  if (os.jdk8Package) p.java.package ??= os.jdk8Package;
  p.ssh.allowUsers ??= [...new Set(loginUsers(p, os).map((u) => u.user))];
  if (p.targets.qemu) p.targets.qemu.baseImage ??= { url: os.cloudImage.url, sha256: os.cloudImage.sha256 };
}

/**
 * The host name as it goes into the hostname, resin.xml and the certificate: without the root's
 * trailing dot (registry.nic.example. is the same name, but hostname and certbot refuse the dot).
 */
export const canonicalFqdn = (fqdn: string): string => fqdn.replace(/\.$/, '');

/** Only called on a profile that passed every check, so every lookup succeeds. */
export function resolveProfile(checked: Profile, profileFile: string, resinTemplate?: string): ResolvedProfile {
  const p: Profile = { ...checked, host: { ...checked.host, fqdn: canonicalFqdn(checked.host.fqdn) } };
  const downloads = {} as Record<ArtifactName, Artifact>;
  let jdkHome = p.java.home;
  for (const src of artifactSources(p)) {
    const art = declaredArtifact(p, src);
    if (art) downloads[src.name] = { url: art.url, sha256: art.sha256 };
    if (src.name === 'jdk') jdkHome ??= lookup('jdk', src.version!)?.home;
  }
  const digest = sha256Hex(canonicalJson({ profile: p, resinTemplate }));
  // The rules refuse a profile without secrets.source, so only a checked one gets here.
  return { ...p, secrets: p.secrets!, sourceFile: profileFile, downloads: { ...downloads, jdkHome: jdkHome ?? `jdk-${p.java.version}` }, resinTemplate, digest };
}
