// bundle.json: what a bundle holds, for review and for checking it arrived whole.
import type { OsModule } from '../../os/types.js';
import { redactUrl } from '../../profile/urls.js';
import type { BundledArtifact } from './artifacts.js';
import type { BundledPackage, ResolveInput } from './repo.js';

export const BUNDLE_SCHEMA = 'cocca-bake/bundle/v1';

export interface ManifestInput {
  created: string;
  os: OsModule;
  at: string;
  inputs: ResolveInput[];
  profiles: string[];
  packages: BundledPackage[];
  artifacts: BundledArtifact[];
  fingerprint: string;
  /** PGDG, when the packages were resolved from it too (its line is among resolvedFrom). */
  pgdg?: { repository: string; suite: string; keyUrl: string; fingerprint: string };
}

export function manifest(m: ManifestInput) {
  const sources = [...new Set(m.inputs.flatMap((i) => i.sources.lines))];
  return {
    schema: BUNDLE_SCHEMA,
    created: m.created,
    os: m.os.name,
    // The suite of each source line: `deb [options] URI SUITE [components]`.
    suites: [...new Set(sources.map((l) => l.replace(/^deb(-src)? (\[[^\]]*\] )?/, '').split(' ')[1]!))],
    resolvedFrom: sources,
    ...(m.pgdg ? { pgdg: { repository: m.pgdg.repository, suite: m.pgdg.suite, keyUrl: redactUrl(m.pgdg.keyUrl), keyFingerprint: m.pgdg.fingerprint } } : {}),
    at: m.at,
    profiles: m.profiles.map((name) => ({ name, overlay: `profiles/${name}.yaml`, source: `profiles/source/${name}.yaml` })),
    key: { fingerprint: m.fingerprint, file: 'bundle-key.asc' },
    packages: m.packages.map((p) => ({ name: p.name, version: p.version, arch: p.arch, sha256: p.sha256, size: p.size, file: `apt/${p.file}` })),
    artifacts: m.artifacts.map((a) => ({ url: a.url, file: `artifacts/${a.file}`, sha256: a.sha256, size: a.size, sha256From: a.sha256From, usedBy: a.usedBy })),
  };
}
