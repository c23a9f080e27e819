// The image's software bill of materials as CycloneDX 1.6 JSON, made with OWASP's CycloneDX
// library: every apt package the image holds (with a deb purl, as scanners such as grype read
// them) and every file the bake put in itself, with where it came from and how it went in.
// Deterministic for one input: lists sorted, the serial number derived from the content.
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import { UNPINNED } from '../catalog.js';
import type { ArtifactName } from '../profile/types.js';
import type { InstalledPackage } from './package-list.js';

/** How a file the bake downloaded went into the image. */
export type Provenance = 'built from source' | 'copied';

/** OpenSSL and Resin are compiled on the image; the rest is put in as downloaded. */
export const PROVENANCE: Readonly<Record<ArtifactName, Provenance>> = {
  openssl: 'built from source',
  resin: 'built from source',
  jdk: 'copied',
  war: 'copied',
  keystore: 'copied',
  jdbc: 'copied',
};

const ARTIFACT_TYPE: Readonly<Record<ArtifactName, Enums.ComponentType>> = {
  openssl: Enums.ComponentType.Library,
  resin: Enums.ComponentType.Application,
  jdk: Enums.ComponentType.Framework,
  war: Enums.ComponentType.Application,
  keystore: Enums.ComponentType.File,
  jdbc: Enums.ComponentType.Library,
};

export interface SbomArtifact {
  name: ArtifactName;
  /** Without credentials (the caller redacts). */
  url: string;
  /** 64 hex characters, or 'unpinned'. */
  sha256: string;
  version?: string;
}

export interface SbomInput {
  profile: { name: string; digest: string; os: string };
  /** e.g. "ami-0123… in af-south-1" or the qcow2's file name. */
  image: string;
  target: 'aws' | 'qemu';
  coccaBake: string;
  /** When the build started (the SBOM's timestamp). */
  builtAt: string;
  packages: readonly InstalledPackage[];
  artifacts: readonly SbomArtifact[];
}

/** The purl of a Debian or Ubuntu binary package (distro: the profile's OS, e.g. debian-12). */
export function debPurl(p: Pick<InstalledPackage, 'name' | 'version' | 'arch'>, os: string): string {
  const vendor = os.replace(/-.*$/, '');
  return new PackageURL('deb', vendor, p.name, p.version, { arch: p.arch, distro: os }, undefined).toString();
}

const PROP = 'cocca-bake';

function packageComponent(p: InstalledPackage, os: string): Models.Component {
  const purl = debPurl(p, os);
  return new Models.Component(Enums.ComponentType.Library, p.name, {
    bomRef: purl,
    version: p.version,
    purl,
    properties: new Models.PropertyRepository([
      new Models.Property(`${PROP}:source`, 'dpkg'),
      new Models.Property(`${PROP}:deb:arch`, p.arch),
      new Models.Property(`${PROP}:deb:source`, p.source),
      new Models.Property(`${PROP}:deb:source-version`, p.sourceVersion),
    ]),
  });
}

function artifactComponent(a: SbomArtifact): Models.Component {
  const pinned = a.sha256 !== UNPINNED;
  return new Models.Component(ARTIFACT_TYPE[a.name], a.name, {
    bomRef: `artifact:${a.name}`,
    version: a.version,
    hashes: pinned ? new Models.HashDictionary([[Enums.HashAlgorithm['SHA-256'], a.sha256]]) : undefined,
    externalReferences: new Models.ExternalReferenceRepository([new Models.ExternalReference(a.url, Enums.ExternalReferenceType.Distribution)]),
    properties: new Models.PropertyRepository([
      new Models.Property(`${PROP}:source`, 'download'),
      new Models.Property(`${PROP}:provenance`, PROVENANCE[a.name]),
      new Models.Property(`${PROP}:sha256`, a.sha256),
    ]),
  });
}

/** A version-4-shaped UUID from the content's digest: the same input, the same serial number. */
function serialOf(digest: string): string {
  const h = digest.slice(0, 32).split('');
  h[12] = '4';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `urn:uuid:${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** The SBOM as CycloneDX 1.6 JSON text (2-space indent, trailing newline). */
export function imageSbom(input: SbomInput): string {
  const image = new Models.Component(Enums.ComponentType.OperatingSystem, `cocca-${input.profile.name}`, {
    bomRef: 'image',
    description: `CoCCA registry image from cocca-bake profile ${input.profile.name} (${input.profile.os})`,
    properties: new Models.PropertyRepository([
      new Models.Property(`${PROP}:image`, input.image),
      new Models.Property(`${PROP}:target`, input.target),
      new Models.Property(`${PROP}:profile`, input.profile.name),
      new Models.Property(`${PROP}:profile-digest`, input.profile.digest),
      new Models.Property(`${PROP}:os`, input.profile.os),
    ]),
  });
  const tool = new Models.Component(Enums.ComponentType.Application, 'cocca-bake', { version: input.coccaBake });
  const bom = new Models.Bom({
    metadata: new Models.Metadata({
      timestamp: new Date(input.builtAt),
      component: image,
      tools: new Models.Tools({ components: new Models.ComponentRepository([tool]) }),
    }),
  });
  const parts = [...input.packages.map((p) => packageComponent(p, input.profile.os)), ...input.artifacts.map(artifactComponent)];
  for (const c of parts) {
    bom.components.add(c);
    image.dependencies.add(c.bomRef);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const unsealed = serializer.serialize(bom, { sortLists: true, space: 2 });
  bom.serialNumber = serialOf(createHash('sha256').update(unsealed).digest('hex'));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}
