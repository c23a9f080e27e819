/**
 * The files the stack downloads, made available to containers read-only at /srv/artifacts:
 * - OpenSSL 1.1.1w: the real upstream tarball. Debian bullseye's openssl_1.1.1w.orig.tar.gz is
 *   byte-identical to openssl.org's; fetched with `apt-get source --download-only` through a
 *   private apt configuration and checked against the published SHA-256.
 * - the real pgjdbc jar, from bookworm's libpostgresql-jdbc-java;
 * - stand-ins for what cannot be had here (built by standins.ts): a Resin source tarball,
 *   the registry and whois-dr ROOT.wars, and the lab keystore.
 * The first two and the stand-ins are cached (cache.ts); each run links them into one directory.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEBIAN_KEYRING, privateApt } from './apt.js';
import { cached, sha256File } from './cache.js';
import { MIRROR } from './rootfs.js';
import { progress, run } from './run.js';
import { buildStandIns, type StandIns } from './standins.js';

export const OPENSSL_VERSION = '1.1.1w';
/** openssl.org's published SHA-256 of openssl-1.1.1w.tar.gz (also in generator/catalog.ts). */
export const OPENSSL_SHA256 = 'cf3098950cb4d853ad95c0841f1f9c6d3dc102dccfcacd521d93925208b76ac8';
export const JDBC_PACKAGE = 'libpostgresql-jdbc-java';

/** One file in the artifacts directory. */
export interface ArtifactFile {
  /** File name in the artifacts directory (and under /srv/artifacts in a container). */
  name: string;
  sha256: string;
  /** file:///srv/artifacts/NAME, as the profile names it. */
  url: string;
}

export interface Artifacts {
  /** The directory bind-mounted read-only at /srv/artifacts. */
  dir: string;
  openssl: ArtifactFile;
  jdbc: ArtifactFile;
  jdbcVersion: string;
  resin: ArtifactFile;
  registryWar: ArtifactFile;
  whoisWar: ArtifactFile;
  keystore: ArtifactFile;
  keystorePassword: string;
  /** The subject CN of the lab keystore's key entry (what Resin serves). */
  keystoreCn: string;
}

export const ARTIFACTS_MOUNT = '/srv/artifacts';
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The real OpenSSL tarball and pgjdbc jar, from Debian's archive. */
async function upstream(): Promise<{ dir: string; openssl: string; jar: string; jdbcVersion: string }> {
  const recipe = { v: 'upstream-artifacts-v1', mirror: MIRROR, openssl: OPENSSL_VERSION, sha256: OPENSSL_SHA256, jdbc: `bookworm ${JDBC_PACKAGE}` };
  const dir = await cached('upstream-artifacts', recipe, async (out) => {
    const apt = await privateApt(path.join(out, 'apt'), [
      `deb-src [signed-by=${DEBIAN_KEYRING}] ${MIRROR} bullseye main`,
      `deb [signed-by=${DEBIAN_KEYRING}] ${MIRROR} bookworm main`,
    ]);
    progress('fetching the OpenSSL 1.1.1w source and the pgjdbc package from Debian');
    await apt.aptGet(['update']);
    const dl = path.join(out, 'dl');
    await fs.mkdir(dl);
    await apt.aptGet(['source', '--download-only', 'openssl'], dl);
    const orig = path.join(dl, `openssl_${OPENSSL_VERSION}.orig.tar.gz`);
    const got = await sha256File(orig).catch(() => 'missing');
    if (got !== OPENSSL_SHA256) {
      throw new Error(`bullseye's openssl_${OPENSSL_VERSION}.orig.tar.gz has sha256 ${got}, expected ${OPENSSL_SHA256} (files: ${(await fs.readdir(dl)).join(' ')})`);
    }
    await fs.rename(orig, path.join(out, `openssl-${OPENSSL_VERSION}.tar.gz`));

    await apt.aptGet(['download', JDBC_PACKAGE], dl);
    const deb = (await fs.readdir(dl)).find((f) => f.startsWith(`${JDBC_PACKAGE}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${JDBC_PACKAGE} left no .deb in ${dl}`);
    const x = path.join(out, 'x');
    await run('dpkg-deb', ['-x', path.join(dl, deb), x]);
    const javaDir = path.join(x, 'usr', 'share', 'java');
    const jars = [];
    for (const f of await fs.readdir(javaDir)) {
      const m = /^postgresql-(\d+\.\d+\.\d+)\.jar$/.exec(f);
      if (m) jars.push({ f, version: m[1]! });
    }
    if (jars.length !== 1) throw new Error(`${deb} has no single versioned postgresql-X.Y.Z.jar in /usr/share/java: ${(await fs.readdir(javaDir)).join(' ')}`);
    // Debian ships it as a link into /usr/share/maven-repo: follow it inside the extracted tree.
    let jar = path.join(javaDir, jars[0]!.f);
    for (let i = 0; i < 5 && (await fs.lstat(jar)).isSymbolicLink(); i++) {
      const target = await fs.readlink(jar);
      jar = path.isAbsolute(target) ? path.join(x, target) : path.resolve(path.dirname(jar), target);
    }
    await fs.rename(jar, path.join(out, `postgresql-${jars[0]!.version}.jar`));
    await fs.writeFile(path.join(out, 'jdbc-version'), jars[0]!.version);
    await fs.rm(x, { recursive: true });
    await fs.rm(dl, { recursive: true });
    await fs.rm(path.join(out, 'apt'), { recursive: true });
  });
  const jdbcVersion = (await fs.readFile(path.join(dir, 'jdbc-version'), 'utf8')).trim();
  return { dir, openssl: path.join(dir, `openssl-${OPENSSL_VERSION}.tar.gz`), jar: path.join(dir, `postgresql-${jdbcVersion}.jar`), jdbcVersion };
}

/** Every file under dir (sorted relative paths), for the stand-ins' cache key. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** The stand-ins, cached by the content of their sources (test/e2e/standins/ and lib/standins.ts). */
async function standIns(): Promise<StandIns> {
  const srcDir = path.resolve(HERE, '..', 'standins');
  const h = createHash('sha256');
  for (const f of [path.join(HERE, 'standins.ts'), ...(await listFiles(srcDir)).map((r) => path.join(srcDir, r))]) {
    h.update(`${path.relative(HERE, f)}\0`).update(await fs.readFile(f)).update('\0');
  }
  const recipe = { v: 'standins-v1', sources: h.digest('hex') };
  const dir = await cached('standins', recipe, async (out) => {
    progress('building the stand-ins (Resin tarball, ROOT.wars, lab keystore)');
    const built = await buildStandIns(path.join(out, 'built'));
    // Keep only paths inside the entry, relative to it.
    const rel: Record<string, string> = {};
    for (const key of ['resinTarball', 'registryWar', 'whoisWar', 'labKeystore'] as const) {
      const p = path.resolve(built[key]);
      const inside = path.relative(out, p);
      if (inside.startsWith('..') || path.isAbsolute(inside)) {
        await fs.mkdir(path.join(out, 'copied'), { recursive: true });
        const dest = path.join(out, 'copied', `${key}-${path.basename(p)}`);
        await fs.copyFile(p, dest);
        rel[key] = path.relative(out, dest);
      } else rel[key] = inside;
    }
    await fs.writeFile(path.join(out, 'standins.json'), JSON.stringify({ ...rel, labKeystorePassword: built.labKeystorePassword }, null, 2));
  });
  const j = JSON.parse(await fs.readFile(path.join(dir, 'standins.json'), 'utf8')) as StandIns;
  return {
    resinTarball: path.join(dir, j.resinTarball),
    registryWar: path.join(dir, j.registryWar),
    whoisWar: path.join(dir, j.whoisWar),
    labKeystore: path.join(dir, j.labKeystore),
    labKeystorePassword: j.labKeystorePassword,
  };
}

/** The subject CN of the first private key entry of a JKS (host keytool). */
async function keystoreCn(file: string, password: string): Promise<string> {
  const r = await run('keytool', ['-list', '-v', '-keystore', file, '-storetype', 'JKS', '-storepass:env', 'KSPW'], { env: { KSPW: password } });
  const m = /Owner: (?:.*?,\s*)?CN=([^,\n]+)/.exec(r.stdout);
  if (!m) throw new Error(`no Owner CN in keytool -list -v of ${file}:\n${r.stdout.slice(0, 2000)}`);
  return m[1]!.trim();
}

/** Builds (or takes from the cache) every artifact and links them into `dir`. */
export async function prepareArtifacts(dir: string): Promise<Artifacts> {
  const up = await upstream();
  const si = await standIns();
  await fs.mkdir(dir, { recursive: true });
  const put = async (src: string, name: string): Promise<ArtifactFile> => {
    const dest = path.join(dir, name);
    await fs.rm(dest, { force: true });
    await fs.copyFile(src, dest);
    await fs.chmod(dest, 0o644);
    return { name, sha256: await sha256File(dest), url: `file://${ARTIFACTS_MOUNT}/${name}` };
  };
  return {
    dir,
    openssl: await put(up.openssl, `openssl-${OPENSSL_VERSION}.tar.gz`),
    jdbc: await put(up.jar, `postgresql-${up.jdbcVersion}.jar`),
    jdbcVersion: up.jdbcVersion,
    resin: await put(si.resinTarball, 'resin-4.0.66.tar.gz'),
    registryWar: await put(si.registryWar, 'registry-ROOT.war'),
    whoisWar: await put(si.whoisWar, 'whois-dr-ROOT.war'),
    keystore: await put(si.labKeystore, 'cocca-lab.jks'),
    keystorePassword: si.labKeystorePassword,
    keystoreCn: await keystoreCn(si.labKeystore, si.labKeystorePassword),
  };
}
