// The image's package list as the bake's last step wrote it (components/inventory): one
// installed package a line, "name<TAB>version<TAB>arch<TAB>source<TAB>source version".
// Read strictly: a line that is not five fields names its file and line.

export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
  /** The source package and its version (dpkg's source:Package, source:Version). */
  source: string;
  sourceVersion: string;
}

export class PackageListError extends Error {}

// Debian policy: names [a-z0-9][a-z0-9+.-]+; versions [epoch:]upstream[-revision], no spaces.
const NAME = /^[a-z0-9][a-z0-9+.-]*$/;
const VERSION = /^[0-9][A-Za-z0-9.+~:-]*$|^[0-9]+:[A-Za-z0-9.+~:-]+$/;
const ARCH = /^[a-z0-9-]+$/;

/** The packages of `text` (from `file`, for messages), in the file's order. */
export function parsePackageList(text: string, file: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const f = line.split('\t');
    if (f.length !== 5) throw new PackageListError(`${where}: expected 5 tab-separated fields (name, version, arch, source, source version), found ${f.length}`);
    const [name, version, arch, source, sourceVersion] = f as [string, string, string, string, string];
    if (!NAME.test(name)) throw new PackageListError(`${where}: not a package name: ${JSON.stringify(name)}`);
    if (!VERSION.test(version)) throw new PackageListError(`${where}: ${name}: not a package version: ${JSON.stringify(version)}`);
    if (!ARCH.test(arch)) throw new PackageListError(`${where}: ${name}: not an architecture: ${JSON.stringify(arch)}`);
    // dpkg leaves source:Version empty for a few packages without a Source field: the binary's version.
    out.push({ name, version, arch, source: source || name, sourceVersion: sourceVersion || version });
  });
  if (out.length === 0) throw new PackageListError(`${file}: no packages`);
  return out;
}

/** The lock's key for a package: "name:arch". */
export const packageKey = (p: Pick<InstalledPackage, 'name' | 'arch'>): string => `${p.name}:${p.arch}`;
