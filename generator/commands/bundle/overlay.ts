// The profiles a bundle carries: for each profile, a copy of it (its extends chain merged, so
// it travels without the repository it came from) under profiles/source/, and an overlay,
// profiles/NAME.yaml, that extends the copy and points apt.sources and every artifact at the
// bundle (and PostgreSQL at apt, the bundle's, when the profile took it from PGDG). The overlay
// carries the bundle's public key itself (apt.keys), so the build machine needs nothing but the
// bundle to trust it.
import { dump } from 'js-yaml';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { APT_KEYRINGS } from '../../components/base/rules.js';
import type { ResolvedProfile } from '../../profile/types.js';
import type { BundledArtifact } from './artifacts.js';

/** The apt.keys name of a bundle's key, and so its file on the build machine. */
export const BUNDLE_KEY_NAME = 'cocca-bundle';

/** The apt source of a bundle found at `at` (file:///..., http(s)://...). */
export const bundleSource = (at: string): string => `deb [signed-by=${APT_KEYRINGS}/${BUNDLE_KEY_NAME}.asc] ${at}/apt ./`;

export interface OverlayInput {
  profile: ResolvedProfile;
  /** The merged profile document as written (defaults not applied), `extends` removed. */
  merged: Record<string, unknown>;
}

const yaml = (doc: unknown): string => dump(doc, { lineWidth: -1, noRefs: true });

/** Writes profiles/source/NAME.yaml and profiles/NAME.yaml; returns the overlay's path. */
export async function writeOverlay(dir: string, input: OverlayInput, at: string, publicKey: string, artifacts: BundledArtifact[], created: string): Promise<string> {
  const { profile } = input;
  const name = profile.name;
  const sourceDir = path.join(dir, 'profiles', 'source');
  await fs.mkdir(sourceDir, { recursive: true });
  const copy: Record<string, unknown> = { ...input.merged };
  if (profile.resinTemplate !== undefined) {
    // resin.template is read relative to the file that names it: the copy takes the text along.
    const template = `${name}.resin.xml`;
    await fs.writeFile(path.join(sourceDir, template), profile.resinTemplate);
    copy.resin = { ...(copy.resin as Record<string, unknown>), template };
  }
  await fs.writeFile(path.join(sourceDir, `${name}.yaml`), `# ${path.basename(profile.sourceFile)} as cocca-bake bundle read it (${created}), its extends chain merged.\n${yaml(copy)}`);

  const mine = artifacts.flatMap((a) => a.usedBy.filter((u) => u.profile === name).map((u) => [u.artifact, { url: `${at}/artifacts/${a.file}`, sha256: a.sha256 }] as const));
  const overlay = {
    apiVersion: 'cocca-bake/v1',
    extends: `source/${name}.yaml`,
    apt: { sources: [bundleSource(at)], keys: { [BUNDLE_KEY_NAME]: publicKey } },
    // The bundle carries PGDG's packages: the bake takes PostgreSQL from it, never adding PGDG.
    ...(profile.postgres.source === 'pgdg' ? { postgres: { source: 'apt' } } : {}),
    artifacts: Object.fromEntries(mine.sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  const file = path.join(dir, 'profiles', `${name}.yaml`);
  await fs.writeFile(
    file,
    `# ${name} from this bundle (cocca-bake bundle, ${created}): apt reads only the bundle's\n# signed repository at ${at}/apt, and every download is the bundle's file, held to its SHA-256.\n${yaml(overlay)}`,
  );
  return file;
}

/** DIR/README.txt: how to carry and use the bundle. */
export function readme(opts: { name: string; at: string; profiles: string[]; os: string; fingerprint: string; packages: number; artifacts: number; created: string }): string {
  const local = opts.at.startsWith('file://') ? opts.at.slice('file://'.length) : undefined;
  return `cocca-bake bundle, made ${opts.created}
Profiles: ${opts.profiles.join(', ')} (${opts.os})
${opts.packages} apt packages (apt/, a flat repository signed by the key below) and ${opts.artifacts} downloads (artifacts/).
Signing key: ${opts.fingerprint} (public half: bundle-key.asc; the secret half was destroyed after signing,
so nothing can be added to this bundle: make a new one instead).

To build on a machine without internet:
1. Carry this whole directory there (e.g. tar cf ${opts.name}.tar ${opts.name}) and check it arrived whole:
   the SHA-256 of every package and download is in bundle.json.
${local ? `2. Put it at ${local} on the machine that bakes (the build VM or container reads it there):\n   apt and the artifact URLs of the profiles below name that path.` : `2. Serve it at ${opts.at}/ on the site's network (apt checks the signature; downloads are held to their SHA-256).`}
3. Build from the overlay profiles, not the originals:
${opts.profiles.map((p) => `     cocca-bake build profiles/${p}.yaml`).join('\n')}
   Each extends profiles/source/NAME.yaml (a copy of the profile as it was bundled) and sets
   apt.sources to the bundle's repository (signed-by the key it carries in apt.keys) and every
   artifact to the bundle's file with its SHA-256.

Not in a bundle: the base cloud image (targets.qemu.baseImage or the AMI), Packer and its plugins,
cocca-bake itself, and what first boot fetches at run time (Let's Encrypt certificates).
A profile change that installs other packages or downloads other files needs a new bundle.
`;
}
