// `cocca-bake images --package NAME[=VERSION]`: which images hold a package (at a version),
// answered from the SBOMs builds left beside their records (builds/PROFILE/STAMP-TARGET/).
// An SBOM that no longer matches the digest its record holds is not believed, and said so.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildRecord } from './build/record.js';
import { readBesideRecord } from './build/sbom.js';

export interface PackageQuery {
  name: string;
  version?: string;
}

export interface PackageHit {
  /** An AMI as "ami-… (region)", or the qcow2's path. */
  image: string;
  profile: string;
  target: BuildRecord['target'];
  package: string;
  version: string;
  arch?: string;
  builtAt: string;
  record: string;
  sbom: string;
}

export interface PackageSearch {
  hits: PackageHit[];
  /** Builds whose SBOM is missing or not to be believed: "RECORD: why". */
  unknown: string[];
  /** How many build records were read. */
  records: number;
}

const NAME = /^[a-z0-9][a-z0-9+.-]*$/;

/** NAME or NAME=VERSION, or a message saying what is wrong. */
export function parsePackageQuery(arg: string): PackageQuery | string {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  const version = eq < 0 ? undefined : arg.slice(eq + 1);
  if (!NAME.test(name)) return `--package ${JSON.stringify(arg)}: not a Debian package name (lower case letters, digits, + - .)`;
  if (version !== undefined && !/^[0-9][A-Za-z0-9.+~:-]*$/.test(version)) return `--package ${JSON.stringify(arg)}: not a package version after "="`;
  return { name, ...(version !== undefined ? { version } : {}) };
}

/** Every build-record.json under `dir` (symbolic links not followed), sorted. */
export function findRecords(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && e.name === 'build-record.json') out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

function imageOf(r: BuildRecord): string | undefined {
  if (r.outputs.qemu) return r.outputs.qemu.path;
  const aws = r.outputs.aws ?? (r.source && { region: r.source.region, imageId: r.source.imageId });
  return aws ? `${aws.imageId} (${aws.region})` : undefined;
}

interface SbomComponent {
  name?: string;
  version?: string;
  purl?: string;
}

/** The images whose SBOM lists the package (a deb purl of that name, at that version when given). */
export function searchPackage(dir: string, q: PackageQuery, profile?: string): PackageSearch {
  const hits: PackageHit[] = [];
  const unknown: string[] = [];
  const records = findRecords(dir);
  for (const file of records) {
    let r: BuildRecord;
    try {
      r = JSON.parse(readFileSync(file, 'utf8')) as BuildRecord;
    } catch (err) {
      unknown.push(`${file}: not a build record (${(err as Error).message})`);
      continue;
    }
    if (r.schema !== 'cocca-bake/build-record/v1') {
      unknown.push(`${file}: not a build record`);
      continue;
    }
    if (profile !== undefined && r.profile !== profile) continue;
    const image = imageOf(r);
    if (!image) continue; // no image came of this build
    if (!r.sbom) {
      unknown.push(`${file}: no SBOM (built before cocca-bake wrote them)`);
      continue;
    }
    if ('missing' in r.sbom) {
      unknown.push(`${file}: no SBOM: ${r.sbom.missing}`);
      continue;
    }
    const sbom = readBesideRecord(file, r.sbom, 'SBOM');
    if ('problem' in sbom) {
      unknown.push(`${file}: ${sbom.problem}`);
      continue;
    }
    const { file: sbomFile, text } = sbom;
    const components = (JSON.parse(text) as { components?: SbomComponent[] }).components ?? [];
    for (const c of components) {
      if (!c.purl?.startsWith('pkg:deb/') || c.name !== q.name) continue;
      if (q.version !== undefined && c.version !== q.version) continue;
      const arch = /[?&]arch=([^&]+)/.exec(c.purl)?.[1];
      hits.push({ image, profile: r.profile, target: r.target, package: c.name, version: c.version ?? '', ...(arch ? { arch } : {}), builtAt: r.startedAt, record: file, sbom: sbomFile });
    }
  }
  return { hits, unknown, records: records.length };
}

/** One line an image: image, profile, package=version, when it was built. */
export function formatPackageSearch(q: PackageQuery, s: PackageSearch): string {
  const what = q.version !== undefined ? `${q.name}=${q.version}` : q.name;
  if (s.hits.length === 0) return `no image holds ${what} (${s.records} build record${s.records === 1 ? '' : 's'} read)\n`;
  const rows = s.hits.map((h) => [h.image, h.profile, `${h.package}=${h.version}${h.arch ? ` (${h.arch})` : ''}`, h.builtAt]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n') + '\n';
}
