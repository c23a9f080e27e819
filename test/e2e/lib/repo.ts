/**
 * The local apt repository the containers install from (they have no network): every package
 * the rendered steps name in `apt_install` or declare (`# apt packages:`), with its whole dependency closure, minus what the
 * stock root file system already has at the same version. Resolved by apt itself, against the
 * stock image's own dpkg status, through a private apt configuration (apt.ts), once per
 * `apt_install` line (what a step installs on its own) and once for all of them together.
 * Cached, keyed by the stock image and the package lines. A flat repository
 * (`deb [trusted=yes] file:/srv/mirror ./`): the .debs, Packages and Release, made with
 * apt-ftparchive (apt-utils).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DEBIAN_KEYRING, privateApt } from './apt.js';
import { cached } from './cache.js';
import { MIRROR, SUITE, type Suite } from './rootfs.js';
import { progress, run } from './run.js';

const STEPS_DIR = 'packer/files/rootfs/usr/local/lib/cocca/steps';

/** The package lists of every `apt_install` in a render's step scripts (all phases), in order. */
export async function aptInstallLines(renderDir: string): Promise<string[][]> {
  const out: string[][] = [];
  const stepsDir = path.join(renderDir, STEPS_DIR);
  for (const phase of (await fs.readdir(stepsDir)).sort()) {
    for (const f of (await fs.readdir(path.join(stepsDir, phase))).sort()) {
      const text = await fs.readFile(path.join(stepsDir, phase, f), 'utf8');
      for (const line of text.split('\n')) {
        // A step's own apt_install, or the packages it declares for a script file it calls.
        const m = /^\s*(?:apt_install|# apt packages:)\s+(.+?)\s*$/.exec(line);
        if (!m) continue;
        const words = m[1]!.split(/\s+/).map((w) => w.replace(/^'(.*)'$/, '$1'));
        const bad = words.find((w) => !/^[a-z0-9][a-z0-9+.-]*$/.test(w));
        if (bad) throw new Error(`${phase}/${f}: cannot read the package name ${JSON.stringify(bad)} in: ${line.trim()}`);
        out.push(words);
      }
    }
  }
  if (out.length === 0) throw new Error(`no apt_install line in ${stepsDir}`);
  return out;
}

/** The cached repository for these package lines on top of this stock root file system (of this suite). */
export async function localMirror(stockRoot: string, lines: string[][], suite: Suite = SUITE): Promise<string> {
  const unique = [...new Set(lines.map((l) => l.join(' ')))].sort();
  const all = [...new Set(lines.flat())].sort();
  const recipe = { v: 'local-mirror-v1', suite, mirror: MIRROR, stock: path.basename(path.dirname(stockRoot)), lines: unique };
  return cached('local-mirror', recipe, async (out) => {
    const apt = await privateApt(path.join(out, '.apt'), [`deb [signed-by=${DEBIAN_KEYRING}] ${MIRROR} ${suite} main`], { status: path.join(stockRoot, 'var/lib/dpkg/status') });
    progress(`local mirror (${suite}): resolving ${all.length} packages (${all.join(' ')}) against the stock image`);
    await apt.aptGet(['update']);
    for (const line of [...unique.map((l) => l.split(' ')), all]) {
      await apt.aptGet(['install', '--download-only', '--no-install-recommends', ...line]);
    }
    const debs = (await fs.readdir(apt.archives)).filter((f) => f.endsWith('.deb'));
    for (const f of debs) await fs.rename(path.join(apt.archives, f), path.join(out, f));
    await fs.rm(apt.dir, { recursive: true });
    const packages = await run('apt-ftparchive', ['packages', '.'], { cwd: out });
    await fs.writeFile(path.join(out, 'Packages'), packages.stdout);
    const release = await run('apt-ftparchive', ['-o', `APT::FTPArchive::Release::Origin=cocca-bake-e2e`, 'release', '.'], { cwd: out });
    await fs.writeFile(path.join(out, 'Release'), release.stdout);
    progress(`local mirror: ${debs.length} packages`);
  });
}
