/**
 * Stand-ins for the three things the end-to-end tests cannot download here: Resin 4.0.66's
 * source tarball, CoCCA's ROOT.war (registry and WHOIS/DR roles) and CoCCA's lab keystore.
 *
 * - resin-4.0.66.tar.gz: the tree test/e2e/standins/resin under the top directory
 *   resin-4.0.66/ (configure + Makefile.in + bin/resinctl.in + a small Java server that behaves
 *   like Resin where cocca-bake depends on it; see that tree's README.md). Byte-for-byte
 *   deterministic: sorted entries, fixed mtime, owner root, modes 0755/0644.
 * - ROOT.war, ROOT-whois-dr.war: deterministic zips with META-INF/MANIFEST.MF, WEB-INF/web.xml and
 *   an index.html saying "cocca stand-in war: registry" (or whois-dr); the Resin stand-in shows
 *   that role on its status page.
 * - cocca-lab.jks: keytool -genkeypair, JKS, RSA 2048, alias star_coccaregistry_org,
 *   CN=*.coccaregistry.org, key password = store password (as Resin needs). A new key each time.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gzipSync } from 'node:zlib';

export interface StandIns {
  resinTarball: string;
  registryWar: string;
  whoisWar: string;
  labKeystore: string;
  labKeystorePassword: string;
}

export const RESIN_STANDIN_VERSION = '4.0.66';
/** The stand-in Resin source tree. */
export const RESIN_STANDIN_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'standins', 'resin');
export const LAB_KEYSTORE_ALIAS = 'star_coccaregistry_org';
export const LAB_KEYSTORE_CN = '*.coccaregistry.org';
export const LAB_KEYSTORE_PASSWORD = 'cocca-lab-standin';

/** mtime of every tar entry: 2022-04-15 (Resin 4.0.66's import date), for a reproducible tarball. */
const TAR_MTIME = Date.UTC(2022, 3, 15) / 1000;
/** Files that configure or make write into the tree; never packed. */
const GENERATED = new Set(['Makefile', 'bin/resinctl', 'init.d/resin', 'build', 'lib']);
/** Executable whatever the checkout did with file modes. */
const EXECUTABLE = new Set(['configure']);

export async function buildStandIns(outDir: string): Promise<StandIns> {
  await mkdir(outDir, { recursive: true });
  const resinTarball = path.join(outDir, `resin-${RESIN_STANDIN_VERSION}.tar.gz`);
  const registryWar = path.join(outDir, 'ROOT.war');
  const whoisWar = path.join(outDir, 'ROOT-whois-dr.war');
  const labKeystore = path.join(outDir, 'cocca-lab.jks');

  await writeFile(resinTarball, await resinTarballBytes());
  await writeFile(registryWar, warBytes('registry'));
  await writeFile(whoisWar, warBytes('whois-dr'));
  await makeLabKeystore(labKeystore, LAB_KEYSTORE_PASSWORD);
  return { resinTarball, registryWar, whoisWar, labKeystore, labKeystorePassword: LAB_KEYSTORE_PASSWORD };
}

// -------------------------------------------------------------------------------------------------
// resin-4.0.66.tar.gz

interface TarEntry {
  name: string;
  mode: number;
  data?: Buffer; // undefined for a directory
}

async function collect(dir: string, rel: string, out: TarEntry[]): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const relName = rel === '' ? name : `${rel}/${name}`;
    if (GENERATED.has(relName)) continue;
    const full = path.join(dir, name);
    const st = await stat(full);
    if (st.isDirectory()) {
      out.push({ name: `${relName}/`, mode: 0o755 });
      await collect(full, relName, out);
    } else if (st.isFile()) {
      const exec = (st.mode & 0o111) !== 0 || EXECUTABLE.has(relName);
      out.push({ name: relName, mode: exec ? 0o755 : 0o644, data: await readFile(full) });
    }
  }
}

async function resinTarballBytes(): Promise<Buffer> {
  const top = `resin-${RESIN_STANDIN_VERSION}`;
  const entries: TarEntry[] = [{ name: `${top}/`, mode: 0o755 }];
  const inner: TarEntry[] = [];
  await collect(RESIN_STANDIN_SOURCE, '', inner);
  for (const e of inner) entries.push({ ...e, name: `${top}/${e.name}` });
  const blocks: Buffer[] = [];
  for (const e of entries) {
    blocks.push(tarHeader(e));
    if (e.data) {
      blocks.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) blocks.push(Buffer.alloc(pad));
    }
  }
  blocks.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}

function tarHeader(e: TarEntry): Buffer {
  const h = Buffer.alloc(512);
  let name = e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: path too long: ${e.name}`);
  }
  const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(e.data ? e.data.length : 0, 12), 124, 'ascii');
  h.write(octal(TAR_MTIME, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum, spaces while summing
  h.write(e.data ? '0' : '5', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

// -------------------------------------------------------------------------------------------------
// ROOT.war

function warBytes(role: 'registry' | 'whois-dr'): Buffer {
  const title = role === 'registry' ? 'CoCCA registry (SRS)' : 'CoCCA WHOIS/DR';
  return zip([
    { name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\r\nCreated-By: cocca-bake e2e stand-in\r\n\r\n') },
    {
      name: 'WEB-INF/web.xml',
      data: Buffer.from(
        [
          '<?xml version="1.0" encoding="UTF-8"?>',
          '<web-app xmlns="http://xmlns.jcp.org/xml/ns/javaee" version="3.1">',
          `  <display-name>cocca stand-in ${role}</display-name>`,
          '  <welcome-file-list><welcome-file>index.html</welcome-file></welcome-file-list>',
          '</web-app>',
          '',
        ].join('\n'),
      ),
    },
    {
      name: 'index.html',
      data: Buffer.from(
        [
          '<!doctype html>',
          `<html><head><meta charset="utf-8"><title>${title} stand-in</title></head>`,
          `<body><h1>${title}</h1><p>cocca stand-in war: ${role}</p></body></html>`,
          '',
        ].join('\n'),
      ),
    },
  ]);
}

interface ZipEntry {
  name: string;
  data: Buffer;
}

/** A minimal zip (deflate, fixed 1980-01-01 timestamps): what a servlet container reads as a .war. */
function zip(entries: ZipEntry[]): Buffer {
  const DOS_TIME = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const compressed = deflateRawSync(e.data, { level: 9 });
    const crc = crc32(e.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4); // version needed
    lh.writeUInt16LE(0x0800, 6); // UTF-8 names
    lh.writeUInt16LE(8, 8); // deflate
    lh.writeUInt16LE(DOS_TIME, 10);
    lh.writeUInt16LE(DOS_DATE, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(compressed.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    local.push(lh, name, compressed);

    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt16LE(DOS_TIME, 12);
    ch.writeUInt16LE(DOS_DATE, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(compressed.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(0, 30); // extra
    ch.writeUInt16LE(0, 32); // comment
    ch.writeUInt16LE(0, 34); // disk
    ch.writeUInt16LE(0, 36); // internal attributes
    ch.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external: regular file, 0644
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name);
    offset += lh.length + name.length + compressed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cd, end]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// -------------------------------------------------------------------------------------------------
// cocca-lab.jks

/** The JDK tool `name`: from $JAVA_HOME when set, else from PATH. */
export function jdkTool(name: string): string {
  const home = process.env.JAVA_HOME;
  if (home && existsSync(path.join(home, 'bin', name))) return path.join(home, 'bin', name);
  return name;
}

async function makeLabKeystore(file: string, password: string): Promise<void> {
  await rm(file, { force: true });
  await execa(jdkTool('keytool'), [
    '-genkeypair',
    '-keystore', file,
    '-storetype', 'JKS',
    '-storepass', password,
    '-keypass', password,
    '-alias', LAB_KEYSTORE_ALIAS,
    '-keyalg', 'RSA',
    '-keysize', '2048',
    '-sigalg', 'SHA256withRSA',
    '-validity', '3650',
    '-dname', `CN=${LAB_KEYSTORE_CN}, OU=cocca-bake e2e stand-in, O=CoCCA lab`,
    '-ext', 'SAN=dns:*.coccaregistry.org,dns:coccaregistry.org',
  ]);
}
