// The lock file's `packages` entries: a build's exact apt package versions, per profile, that
// `--frozen` installs again. The lock file is shared with the artifact lock (`artifacts`, owned
// by generator/lock/file.ts, which reads and writes the file): this module checks and writes
// only `packages`.
//   { "schema": "cocca-bake/lock/v1", "artifacts": {...},
//     "packages": { PROFILE: { os, recordedFrom, recordedAt, versions: { "name:arch": version } } } }
import { readFileSync } from 'node:fs';
import type { FrozenPackages } from '../components/model.js';
import type { BuildRecord } from '../commands/build/record.js';
import { readBesideRecord } from '../commands/build/sbom.js';
import type { ResolvedProfile } from '../profile/types.js';
import { lockPathFor, LockFileError, readLock, writeLockPart, type LockFile } from './file.js';
import { packageKey, PackageListError, parsePackageList } from '../sbom/package-list.js';

export interface PackagesEntry {
  os: string;
  /** The build record's digest (its `digest`): which build the versions came from. */
  recordedFrom: string;
  recordedAt: string;
  versions: Record<string, string>;
}

/** A mistake of the user's (a lock or record that cannot be used): one line, exit 1. */
export class LockPackagesError extends Error {}

/** The lock beside the profile; its mistakes are the user's, in one line. */
function readLockOf(profile: Pick<ResolvedProfile, 'sourceFile'>): { file: string; lock: LockFile | undefined } {
  const file = lockPathFor(profile.sourceFile);
  try {
    return { file, lock: readLock(file) };
  } catch (err) {
    throw err instanceof LockFileError ? new LockPackagesError(err.message) : err;
  }
}


/**
 * The packages of a finished build of this profile, from the package list beside its record
 * (checked against the digest the record holds), as the lock's entry for the profile.
 */
export function packagesFromRecord(profile: Pick<ResolvedProfile, 'name'>, recordFile: string, now: Date): PackagesEntry {
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as BuildRecord;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LockPackagesError(`${recordFile}: ${e.code === 'ENOENT' ? 'no such file' : `not a build record (${e.message})`}`);
  }
  if (record.schema !== 'cocca-bake/build-record/v1') throw new LockPackagesError(`${recordFile}: not a build record`);
  if (record.profile !== profile.name) throw new LockPackagesError(`${recordFile} is a build of profile ${record.profile}, not ${profile.name}`);
  if (record.result !== 'ok') throw new LockPackagesError(`${recordFile}: that build did not succeed (${record.result}); freeze a good build's packages`);
  if (!record.sbom) throw new LockPackagesError(`${recordFile}: the build recorded no package list (made before cocca-bake recorded them)`);
  if ('missing' in record.sbom) throw new LockPackagesError(`${recordFile}: the build has no package list: ${record.sbom.missing}`);
  // The package list first: it is what the lock records.
  const list = readBesideRecord(recordFile, record.sbom.packageList, 'package list');
  if ('problem' in list) throw new LockPackagesError(list.problem);
  const sbom = readBesideRecord(recordFile, record.sbom, 'SBOM');
  if ('problem' in sbom) throw new LockPackagesError(sbom.problem);
  const { file: listFile, text } = list;
  const { file: sbomFile, text: sbomText } = sbom;
  // The OS the image was made of: the SBOM says it (the profile may have changed since).
  const props = (JSON.parse(sbomText) as { metadata?: { component?: { properties?: Array<{ name: string; value: string }> } } }).metadata?.component?.properties ?? [];
  const os = props.find((p) => p.name === 'cocca-bake:os')?.value;
  if (!os) throw new LockPackagesError(`${sbomFile}: names no OS (cocca-bake:os)`);
  let packages;
  try {
    packages = parsePackageList(text, listFile);
  } catch (err) {
    if (err instanceof PackageListError) throw new LockPackagesError(err.message);
    throw err;
  }
  if (!record.digest) throw new LockPackagesError(`${recordFile}: holds no digest`);
  return { os, recordedFrom: record.digest, recordedAt: now.toISOString(), versions: Object.fromEntries(packages.map((p) => [packageKey(p), p.version])) };
}

/** Writes the profile's `packages` entry into the lock beside it, keeping everything else. */
export function lockPackages(profile: Pick<ResolvedProfile, 'name' | 'sourceFile'>, entry: PackagesEntry): string {
  const { file, lock } = readLockOf(profile);
  writeLockPart(file, 'packages', { ...(lock?.packages ?? {}), [profile.name]: entry });
  return file;
}

/** What a frozen bake of this profile installs; a clear error when the lock has nothing for it. */
export function frozenPackagesFor(profile: Pick<ResolvedProfile, 'name' | 'os' | 'sourceFile'>): FrozenPackages {
  const { file, lock } = readLockOf(profile);
  const hint = `record them from a good build: cocca-bake lock ${profile.sourceFile} --packages-from builds/${profile.name}/STAMP-TARGET/build-record.json`;
  if (!lock) throw new LockPackagesError(`--frozen: no ${file}; ${hint}`);
  const entry = lock.packages?.[profile.name] as PackagesEntry | undefined;
  if (!entry) throw new LockPackagesError(`--frozen: ${file} has no packages for profile ${profile.name}; ${hint}`);
  if (typeof entry !== 'object' || typeof entry.os !== 'string' || typeof entry.versions !== 'object' || entry.versions === null) throw new LockPackagesError(`${file}: packages.${profile.name} is not {os, recordedFrom, recordedAt, versions}`);
  if (entry.os !== profile.os) throw new LockPackagesError(`--frozen: ${file}: the packages of ${profile.name} were recorded on ${entry.os}, and the profile is ${profile.os}; ${hint}`);
  const bad = Object.entries(entry.versions).find(([k, v]) => !/^[a-z0-9][a-z0-9+.-]*:[a-z0-9-]+$/.test(k) || typeof v !== 'string' || !/^[0-9][A-Za-z0-9.+~:-]*$/.test(v));
  if (bad) throw new LockPackagesError(`${file}: packages.${profile.name}.versions: ${JSON.stringify(bad[0])}: ${JSON.stringify(bad[1])} is not "name:arch": "version"`);
  const byName = new Map<string, string>();
  for (const [key, version] of Object.entries(entry.versions)) {
    const name = key.replace(/:.*/, '');
    if (byName.has(name) && byName.get(name) !== version) throw new LockPackagesError(`${file}: packages.${profile.name}.versions: ${name} has two versions (${byName.get(name)}, ${version}); apt pins one per name`);
    byName.set(name, version);
  }
  if (Object.keys(entry.versions).length === 0) throw new LockPackagesError(`${file}: packages.${profile.name}.versions is empty`);
  return { os: entry.os, versions: entry.versions };
}
