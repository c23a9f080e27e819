// The bundle's flat apt repository: every package the plans install with its whole dependency
// closure, resolved by apt itself against an EMPTY dpkg status (so the bundle does not depend
// on what one base image happens to hold), downloaded through a private apt configuration,
// indexed with apt-ftparchive (Packages, Release) and signed (sign.ts).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { privateApt } from '../../apt/private.js';
import type { BundleSources } from './sources.js';
import { tool } from './tool.js';

/** One package of the repository, as its Packages stanza says. */
export interface BundledPackage {
  name: string;
  version: string;
  arch: string;
  sha256: string;
  size: number;
  file: string;
}

export interface ResolveInput {
  sources: BundleSources;
  /** Each install of the plans: apt resolves each on its own, as the bake does, then all together. */
  installs: string[][];
}

/**
 * Downloads the closure of every install into `repoDir` (the .debs, flat). `work` is a scratch
 * directory for the private apt trees.
 */
export async function fetchPackages(inputs: ResolveInput[], repoDir: string, work: string): Promise<void> {
  await fs.mkdir(repoDir, { recursive: true });
  for (const [i, input] of inputs.entries()) {
    const dir = path.join(work, `apt-${i}`);
    const keysDir = path.join(dir, 'keys');
    await fs.mkdir(keysDir, { recursive: true });
    // A key of apt.keys stands where the instance would have it: here, beside the private apt.
    let lines = input.sources.lines;
    for (const [at, key] of Object.entries(input.sources.keys)) {
      const local = path.join(keysDir, path.basename(at));
      await fs.writeFile(local, key);
      lines = lines.map((l) => l.split(`signed-by=${at}`).join(`signed-by=${local}`));
    }
    // apt reads file: sources in place and leaves nothing in its archives; copy: fetches.
    lines = lines.map((l) => l.replace(/^(deb(?:-src)? (?:\[[^\]]*\] )?)file:/, '$1copy:'));
    const apt = await privateApt(dir, lines);
    await apt.aptGet(['update']);
    const all = [...new Set(input.installs.flat())].sort();
    for (const install of [...input.installs, all]) {
      await apt.aptGet(['install', '--download-only', '--no-install-recommends', ...install]);
    }
    for (const f of await fs.readdir(apt.archives)) {
      if (f.endsWith('.deb')) await fs.rename(path.join(apt.archives, f), path.join(repoDir, f));
    }
  }
}

/** Writes Packages and Release for the .debs in `repoDir`; returns what Packages lists. */
export async function indexRepository(repoDir: string): Promise<BundledPackage[]> {
  const packages = await tool('apt-ftparchive', ['packages', '.'], { cwd: repoDir });
  await fs.writeFile(path.join(repoDir, 'Packages'), packages);
  const release = await tool('apt-ftparchive', ['-o', 'APT::FTPArchive::Release::Origin=cocca-bake-bundle', '-o', 'APT::FTPArchive::Release::Label=cocca-bake bundle', 'release', '.'], { cwd: repoDir });
  await fs.writeFile(path.join(repoDir, 'Release'), release);
  return parsePackages(packages);
}

/** The stanzas of a Packages file. */
export function parsePackages(text: string): BundledPackage[] {
  return text
    .split(/\n\n+/)
    .filter((s) => s.trim() !== '')
    .map((stanza) => {
      const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1] ?? '';
      return { name: field('Package'), version: field('Version'), arch: field('Architecture'), sha256: field('SHA256'), size: Number(field('Size')), file: field('Filename').replace(/^\.\//, '') };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
