/**
 * The container flows bake from a bundle made by the product (`cocca-bake bundle`) for their
 * profiles: apt's only source in the build is the bundle's signed repository (signed-by the key
 * its overlay carries in apt.keys), and every download is the bundle's file. The bundle is
 * cached (cache.ts), keyed by what decides its content: the package lists the plans install,
 * the suite and archive they come from, and the downloads' SHA-256s.
 *
 * Each run bakes from the bundle's overlays (profiles/NAME.yaml, copied as they are) with the
 * run's own profile as the source they extend (profiles/source/NAME.yaml): the run's login key
 * differs from the one the bundle was made with, and nothing else the overlay depends on.
 */
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { checkProfile } from '../../../generator/check/index.js';
import { planInstalls } from '../../../generator/commands/bundle/packages.js';
import { plan } from '../../../generator/components/index.js';
import { cliInvocation } from '../../helpers/outputs.js';
import type { Artifacts } from './artifacts.js';
import { cached } from './cache.js';
import type { TestProfile } from './profile.js';
import { MIRROR, type Suite } from './rootfs.js';
import { progress, secs, tail } from './run.js';

/** Where the containers see the bundle, and so the overlays' --at. */
export const BUNDLE_MOUNT = '/srv/cocca-bundle';

export interface BundleUse {
  /** The bundle directory (bind-mounted read-only at BUNDLE_MOUNT). */
  dir: string;
  packages: number;
  bytes: number;
  /** How long making it took when it was made (cold), and getting it this run. */
  madeMs: number;
  tookMs: number;
  cacheHit: boolean;
}

interface Made {
  ms: number;
  packages: number;
  bytes: number;
}

/** Every install of the profiles' plans, as the product reads them (the bundle's package lists). */
function installsOf(profiles: TestProfile[]): string[] {
  const lines = profiles.flatMap((p) => {
    const r = checkProfile(p.file);
    const errors = r.findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) throw new Error(`${p.file}: ${errors.map((f) => `${f.path}: ${f.message}`).join('; ')}`);
    return planInstalls(plan(r.profile!, r.os!)).map((l) => l.join(' '));
  });
  return [...new Set(lines)].sort();
}

/**
 * The cached bundle for these (connected) profiles; the profiles' files become the overlays under
 * `work`. `mount`: where the build machine sees the bundle (the qemu flow's data disk is mounted
 * elsewhere, by the cached VM base's fstab).
 */
export async function bundleFor(work: string, suite: Suite, profiles: TestProfile[], a: Artifacts, mount = BUNDLE_MOUNT): Promise<BundleUse> {
  const t0 = Date.now();
  const downloads = [a.openssl, a.jdbc, a.resin, a.registryWar, a.whoisWar, a.keystore].map((f) => `${f.name} ${f.sha256}`).sort();
  const recipe = { v: 'bundle-v1', suite, mirror: MIRROR, installs: installsOf(profiles), downloads, profiles: profiles.map((p) => p.name).sort(), ...(mount !== BUNDLE_MOUNT && { mount }) };
  let cacheHit = true;
  const entry = await cached('bundle', recipe, async (out) => {
    cacheHit = false;
    const cli = cliInvocation();
    const args = [...cli.args, 'bundle', ...profiles.map((p) => p.file), '--out', path.join(out, 'bundle'), '--at', `file://${mount}`];
    progress(`cocca-bake bundle ${profiles.map((p) => p.name).join(' ')} (${suite})`);
    const s = Date.now();
    const r = await execa(cli.file, args, { all: true, reject: false, stdin: 'ignore', timeout: 40 * 60_000 });
    if (r.exitCode !== 0) throw new Error(`cocca-bake bundle exited ${r.exitCode}:\n${tail(String(r.all))}`);
    progress(String(r.stderr).trim().split('\n').at(-1)!);
    const m = JSON.parse(await fs.readFile(path.join(out, 'bundle', 'bundle.json'), 'utf8')) as { packages: Array<{ size: number }> };
    const du = await execa('du', ['-sb', path.join(out, 'bundle')]);
    const made: Made = { ms: Date.now() - s, packages: m.packages.length, bytes: Number(String(du.stdout).split(/\s/)[0]) };
    await fs.writeFile(path.join(out, 'made.json'), JSON.stringify(made));
  });
  const dir = path.join(entry, 'bundle');
  const made = JSON.parse(await fs.readFile(path.join(entry, 'made.json'), 'utf8')) as Made;

  const overlays = path.join(work, 'bundled-profiles');
  await fs.mkdir(path.join(overlays, 'source'), { recursive: true });
  for (const p of profiles) {
    await fs.copyFile(path.join(dir, 'profiles', `${p.name}.yaml`), path.join(overlays, `${p.name}.yaml`));
    await fs.copyFile(p.file, path.join(overlays, 'source', `${p.name}.yaml`));
    p.file = path.join(overlays, `${p.name}.yaml`);
  }
  const tookMs = Date.now() - t0;
  progress(`bundle (${suite}): ${made.packages} packages, ${(made.bytes / 1e6).toFixed(0)} MB, made in ${secs(made.ms)}; this run ${cacheHit ? 'from the cache' : 'made it'} in ${secs(tookMs)}`);
  return { dir, packages: made.packages, bytes: made.bytes, madeMs: made.ms, tookMs, cacheHit };
}

/** The bundle's packages by name: version (bundle.json). */
export async function bundleVersions(dir: string): Promise<Map<string, string>> {
  const m = JSON.parse(await fs.readFile(path.join(dir, 'bundle.json'), 'utf8')) as { packages: Array<{ name: string; version: string }> };
  return new Map(m.packages.map((p) => [p.name, p.version]));
}
