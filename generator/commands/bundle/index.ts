// `cocca-bake bundle PROFILE... --out DIR`: everything a bake needs, for a site without
// internet. Built in DIR.tmp-PID and renamed to DIR when whole, so a failure leaves nothing.
//   check -> PGDG's key (when a profile takes PostgreSQL from PGDG) -> plan (the packages)
//   -> resolve and download (apt) -> index and sign -> artifacts -> overlays -> bundle.json, README.txt
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { AptError } from '../../apt/private.js';
import { plan } from '../../components/index.js';
import type { OsModule } from '../../os/types.js';
import { loadProfile } from '../../profile/load.js';
import type { ResolvedProfile } from '../../profile/types.js';
import { checkProfile } from '../../check/index.js';
import { fetchArtifacts } from './artifacts.js';
import { manifest } from './manifest.js';
import { readme, writeOverlay } from './overlay.js';
import { planInstalls, PackagesError } from './packages.js';
import { fetchPgdgKey, PGDG, type PgdgOrigin, type PgdgSource } from './pgdg.js';
import { fetchPackages, indexRepository, type ResolveInput } from './repo.js';
import { signRepository } from './sign.js';
import { bundleSources, SourcesError } from './sources.js';
import { BundleError } from './tool.js';

export { BundleError };

export interface BundleProfile {
  file: string;
  profile: ResolvedProfile;
  os: OsModule;
}

export interface BundleOptions {
  out: string;
  /** Where the build machine finds the bundle: file:///path or an http(s):// base. */
  at: string;
  allowUnpinned: boolean;
  root?: string;
  /** Progress lines (stderr). */
  say?: (line: string) => void;
  /** The time written into the bundle (tests). */
  now?: Date;
  /** Tests only (never a CLI option): a stand-in for PGDG's repository, key URL and fingerprint. */
  pgdg?: PgdgOrigin;
}

export interface BundleSummary {
  dir: string;
  packages: number;
  artifacts: number;
  bytes: number;
  fingerprint: string;
}

/** Why `--at` cannot be a bundle's location, or undefined. */
export function atProblem(at: string): string | undefined {
  let u: URL;
  try {
    u = new URL(at);
  } catch {
    return `--at ${at}: not a URL (e.g. file:///srv/cocca-bundle)`;
  }
  if (!['file:', 'http:', 'https:'].includes(u.protocol)) return `--at ${at}: a file:///path or an http(s):// base`;
  if (u.username || u.password) return `--at ${at}: no credentials in the URL (apt sources keep them in auth.conf)`;
  if (/\s/.test(at)) return `--at ${at}: no spaces`;
  return undefined;
}

async function isEmptyOrAbsent(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new BundleError(`--out ${dir}: ${(err as Error).message}`);
  }
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(full);
    else if (e.isFile()) total += (await fs.stat(full)).size;
  }
  return total;
}

/** What the profiles must agree on before anything is downloaded. */
function refusals(profiles: BundleProfile[]): void {
  const oses = [...new Set(profiles.map((p) => p.os.name))];
  if (oses.length > 1) throw new BundleError(`one bundle is for one OS, and these profiles are for ${oses.join(' and ')}: bundle them apart`);
  const names = profiles.map((p) => p.profile.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new BundleError(`two profiles are named ${twice}: a bundle's overlays are named after their profiles`);
}

/** The apt resolutions to make: profiles with the same sources are resolved together. */
function resolveInputs(profiles: BundleProfile[], pgdg: PgdgSource | undefined): ResolveInput[] {
  try {
    const groups = new Map<string, ResolveInput>();
    for (const p of profiles) {
      const sources = bundleSources(p.profile, p.os, pgdg);
      const key = JSON.stringify([sources.lines, sources.keys]);
      const group = groups.get(key) ?? { sources, installs: [] };
      group.installs.push(...planInstalls(plan(p.profile, p.os)));
      groups.set(key, group);
    }
    return [...groups.values()];
  } catch (err) {
    if (err instanceof SourcesError || err instanceof PackagesError) throw new BundleError(err.message);
    throw err;
  }
}

export async function makeBundle(profiles: BundleProfile[], opts: BundleOptions): Promise<BundleSummary> {
  const say = opts.say ?? (() => undefined);
  const out = path.resolve(opts.out);
  const at = opts.at.replace(/\/+$/, '');
  const problem = atProblem(at);
  if (problem) throw new BundleError(problem);
  if (!(await isEmptyOrAbsent(out))) throw new BundleError(`--out ${opts.out} is not empty: a bundle goes into a new directory`);
  refusals(profiles);
  const os = profiles[0]!.os;
  const created = (opts.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');

  await fs.mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp);
  const work = path.join(tmp, '.work');
  try {
    let pgdg: PgdgSource | undefined;
    if (profiles.some((p) => p.profile.postgres.source === 'pgdg')) {
      pgdg = await fetchPgdgKey(opts.pgdg ?? PGDG, work);
      say(`PGDG's key ${pgdg.origin.fingerprint} checked: resolving PostgreSQL from ${pgdg.origin.repository} ${os.pgdgSuite} too`);
    }
    const inputs = resolveInputs(profiles, pgdg);
    const names = [...new Set(inputs.flatMap((i) => i.installs.flat()))].sort();
    say(`resolving ${names.length} packages and their dependencies for ${os.name} from ${inputs.map((i) => i.sources.lines.join(', ')).join('; ')}`);
    await fetchPackages(inputs, path.join(tmp, 'apt'), work);
    const packages = await indexRepository(path.join(tmp, 'apt'));
    say(`${packages.length} packages; signing the repository with a key made for this bundle`);
    const signed = await signRepository(path.join(tmp, 'apt'), `cocca-bake bundle ${created} (${profiles.map((p) => p.profile.name).join(', ')})`);
    await fs.writeFile(path.join(tmp, 'bundle-key.asc'), signed.publicKey);

    await fs.mkdir(path.join(tmp, 'artifacts'));
    const artifacts = await fetchArtifacts(profiles.map((p) => p.profile), path.join(tmp, 'artifacts'), opts.allowUnpinned);
    say(`${artifacts.length} downloads, each held to its SHA-256`);

    const overlays: string[] = [];
    for (const p of profiles) {
      const { loaded } = loadProfile(p.file, { root: opts.root });
      overlays.push(await writeOverlay(tmp, { profile: p.profile, merged: loaded!.merged }, at, signed.publicKey, artifacts, created));
    }
    // The overlays must be profiles cocca-bake accepts as they are.
    for (const file of overlays) {
      const r = checkProfile(file);
      const errors = r.findings.filter((f) => f.severity === 'error');
      if (errors.length > 0) throw new BundleError(`the overlay ${path.basename(file)} does not check: ${errors.map((f) => `${f.path}: ${f.message}`).join('; ')}`);
    }
    await fs.rm(work, { recursive: true, force: true });
    const doc = manifest({ created, os, at, inputs, profiles: profiles.map((p) => p.profile.name), packages, artifacts, fingerprint: signed.fingerprint, pgdg: pgdg && { ...pgdg.origin, suite: os.pgdgSuite } });
    await fs.writeFile(path.join(tmp, 'bundle.json'), `${JSON.stringify(doc, null, 2)}\n`);
    await fs.writeFile(path.join(tmp, 'README.txt'), readme({ name: path.basename(out), at, profiles: profiles.map((p) => p.profile.name), os: os.name, fingerprint: signed.fingerprint, packages: packages.length, artifacts: artifacts.length, created }));
    const bytes = await treeBytes(tmp);
    await fs.rm(out, { recursive: true, force: true }); // empty, checked above
    await fs.rename(tmp, out);
    return { dir: out, packages: packages.length, artifacts: artifacts.length, bytes, fingerprint: signed.fingerprint };
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    if (err instanceof AptError) throw new BundleError(`apt could not make the bundle: ${err.message}`);
    throw err;
  }
}
