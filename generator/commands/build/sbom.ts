// After a good bake: the package list Packer downloaded from the image goes beside the build
// record, with the SBOM made from it and the profile's downloads. A list that did not come back
// (or cannot be read) leaves no SBOM and the record says why: never an SBOM without packages.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_LIST_FILE } from '../../emit/packer.js';
import { sha256Hex } from '../../profile/resolve.js';
import { artifactSources } from '../../profile/rules.js';
import type { ResolvedProfile } from '../../profile/types.js';
import { redactUrl } from '../../profile/urls.js';
import { imageSbom, type SbomArtifact } from '../../sbom/cyclonedx.js';
import { PackageListError, parsePackageList } from '../../sbom/package-list.js';
import type { BuildRecord, SbomRecord } from './record.js';

/** The SBOM's file name beside build-record.json. */
export const SBOM_FILE = 'sbom.cdx.json';

/**
 * A file the build wrote beside its record (the SBOM, the package list), read from beside the
 * record wherever its folder was moved, and held to the SHA-256 the record gave it.
 */
export function readBesideRecord(recordFile: string, written: { file: string; sha256: string }, what: string): { file: string; text: string } | { problem: string } {
  const file = path.join(path.dirname(recordFile), path.basename(written.file));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (sha256Hex(text) !== written.sha256) return { problem: `${file} is not the ${what} the build wrote (its SHA-256 differs from the record's)` };
  return { file, text };
}

/** The downloads this build put in the image (the record's artifacts), with their versions. */
export function sbomArtifacts(profile: ResolvedProfile): SbomArtifact[] {
  return artifactSources(profile)
    .filter((s) => s.used)
    .map((s) => {
      const a = profile.downloads[s.name];
      return { name: s.name, url: redactUrl(a.url), sha256: a.sha256, ...(s.version ? { version: s.version } : {}) };
    });
}

/**
 * Writes DIR/image-packages.tsv and DIR/sbom.cdx.json from the Packer folder's download;
 * `image` names the image in the SBOM (an AMI and its region, or the qcow2).
 */
export function writeBuildSbom(dir: string, packerDir: string, profile: ResolvedProfile, record: BuildRecord, image: string): SbomRecord {
  const downloaded = path.join(packerDir, PACKAGE_LIST_FILE);
  if (!existsSync(downloaded)) return { missing: `the image's package list did not come back from the build (no ${downloaded})` };
  const list = path.join(dir, PACKAGE_LIST_FILE);
  copyFileSync(downloaded, list);
  const text = readFileSync(list, 'utf8');
  let packages;
  try {
    packages = parsePackageList(text, list);
  } catch (err) {
    if (err instanceof PackageListError) return { missing: `the image's package list cannot be read: ${err.message}` };
    throw err;
  }
  const json = imageSbom({
    profile: { name: profile.name, digest: profile.digest, os: profile.os },
    image,
    target: record.target,
    coccaBake: record.coccaBake,
    builtAt: record.startedAt,
    packages,
    artifacts: sbomArtifacts(profile),
  });
  const file = path.join(dir, SBOM_FILE);
  writeFileSync(`${file}.tmp`, json);
  renameSync(`${file}.tmp`, file);
  return { file, sha256: sha256Hex(json), packages: packages.length, packageList: { file: list, sha256: sha256Hex(text) } };
}
