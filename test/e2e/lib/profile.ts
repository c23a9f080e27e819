/**
 * The end-to-end test profiles: the real stack on the containers' OS (Debian 12; Debian 13 for
 * its own flow), OpenSSL 1.1.1w compiled without `make test` (time), the JDK from apt. One per role.
 * The container flows' profiles are written as an operator's on a connected machine (apt from
 * Debian's archive signed-by its keyring, downloads where the host has them, each with its
 * SHA-256) and baked from `cocca-bake bundle`'s overlay of them (env.ts, and the qemu flow).
 */
import { dump } from 'js-yaml';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DEBIAN_KEYRING } from './apt.js';
import type { Artifacts } from './artifacts.js';
import { MIRROR, type Suite } from './rootfs.js';

/** Where the qemu flow's VM mounts its bundle disk (the cached VM base's fstab names it). */
export const MIRROR_MOUNT = '/srv/mirror';
export const TRUSTED = ['192.0.2.0/24', '2001:db8::/32'];
export const JAVA_PACKAGE = 'openjdk-17-jdk-headless';

/** The OS a profile is for, with what its Debian archive (the local mirror's source) carries. */
export interface TestOs {
  os: 'debian-12' | 'debian-13';
  suite: Suite;
  title: string;
  postgresVersion: number;
  javaPackage: string;
}
export const DEBIAN_12: TestOs = { os: 'debian-12', suite: 'bookworm', title: 'Debian 12', postgresVersion: 15, javaPackage: JAVA_PACKAGE };
// Trixie's archive has PostgreSQL 17 only, and OpenJDK 21 and 25 (no 17).
export const DEBIAN_13: TestOs = { os: 'debian-13', suite: 'trixie', title: 'Debian 13', postgresVersion: 17, javaPackage: 'openjdk-21-jdk-headless' };

export interface TestProfile {
  name: string;
  role: 'registry' | 'whois-dr';
  /** The profile file. */
  file: string;
  fqdn: string;
  /** What the checks expect (the profile's values, defaults spelled out). */
  expect: {
    sshPort: number;
    trusted: string[];
    publicPorts: number[];
    trustedPorts: number[];
    database: string;
    authMethod: 'md5' | 'scram-sha-256';
    dbType: 'web';
    storage: 'ssd';
    loginUser: string;
    postgresVersion: number;
  };
  /** The `user-data --secrets` file: COCCA_SOURCE_KEYSTORE_PASSWORD for the lab keystore. */
  secretsFile: string;
}

/** What a test profile may differ in. */
interface Variant {
  sshPort: number;
  publicPorts: number[];
  /** ssh.authorizedKeys (the login user's, installed by cloud-init at first boot). */
  authorizedKeys?: string[];
  /** false: no OpenSSL build (about 160 s of a bake; the registry flows cover it). */
  openssl?: false;
}

/**
 * As written on the machine that makes the bundle: Debian's archive (main of the suite, as the
 * stock image) signed-by its keyring, and the downloads from the host's artifacts directory.
 */
function profileDoc(name: string, role: TestProfile['role'], fqdn: string, v: Variant, a: Artifacts, os: TestOs = DEBIAN_12): Record<string, unknown> {
  const art = (f: { name: string; sha256: string }) => ({ url: `file://${a.dir}/${f.name}`, sha256: f.sha256 });
  return {
    apiVersion: 'cocca-bake/v1',
    name,
    description: `end-to-end test profile (${role}) for ${os.title} containers`,
    role,
    os: os.os,
    host: { fqdn },
    apt: { sources: [`deb [signed-by=${DEBIAN_KEYRING}] ${MIRROR} ${os.suite} main`] },
    firewall: { trusted: TRUSTED, publicPorts: v.publicPorts, trustedPorts: [53] },
    ssh: { port: v.sshPort, ...(v.authorizedKeys && { authorizedKeys: v.authorizedKeys }) },
    // First boot's one operator secret (the lab keystore's password) comes in the user-data.
    secrets: { source: 'user-data' },
    postgres: { version: os.postgresVersion, source: 'apt', database: 'registry', authMethod: 'md5', tune: { dbType: 'web', storage: 'ssd' } },
    openssl: v.openssl === false ? { enabled: false } : { version: '1.1.1w', runTests: false },
    java: { source: 'apt', package: os.javaPackage },
    resin: { version: '4.0.66', runAs: 'resin' },
    jdbc: { version: a.jdbcVersion },
    tls: { mode: 'lab' },
    artifacts: {
      ...(v.openssl !== false && { openssl: art(a.openssl) }),
      resin: art(a.resin),
      war: art(role === 'whois-dr' ? a.whoisWar : a.registryWar),
      keystore: art(a.keystore),
      jdbc: art(a.jdbc),
    },
    // A build target, so render writes packer/files/ (the golden flow uploads them as Packer would).
    targets: { qemu: { accelerator: 'tcg', diskSizeGiB: 150 } },
  };
}

/** What the qemu build flow adds to its profile: the VM's base image and wiring, a login key. */
export interface QemuTarget {
  baseImage: { url: string; sha256: string };
  qemuArgs: string[][];
  memoryMiB: number;
  cpus: number;
  diskSizeGiB: number;
  /** Where ssh from the host comes from (qemu's user network: its gateway). */
  sshFrom: string;
  authorizedKey: string;
}

/**
 * The qemu build flow's profile: the registry profile, light enough for a TCG build (OpenSSL is
 * not compiled: the container flows cover it), with a login key and ssh allowed from qemu's
 * gateway, where the host's forwarded connections come from.
 */
export async function writeQemuProfile(dir: string, a: Artifacts, q: QemuTarget): Promise<TestProfile> {
  await fs.mkdir(dir, { recursive: true });
  const name = 'e2e-qemu';
  const fqdn = 'registry.qemu.e2e.test';
  const publicPorts = [80, 443];
  const trusted = [`${q.sshFrom}/32`, '2001:db8::/32'];
  const doc = profileDoc(name, 'registry', fqdn, { sshPort: 22, publicPorts, authorizedKeys: [q.authorizedKey], openssl: false }, a) as Record<string, Record<string, unknown>>;
  doc.description = 'end-to-end test profile: a qcow2 built by Packer under TCG' as never;
  doc.firewall = { ...doc.firewall, trusted };
  doc.targets = { qemu: { accelerator: 'tcg', cpus: q.cpus, memoryMiB: q.memoryMiB, diskSizeGiB: q.diskSizeGiB, baseImage: q.baseImage, qemuArgs: q.qemuArgs } };
  const file = path.join(dir, `${name}.yaml`);
  await fs.writeFile(file, `# Written by test/e2e/lib/profile.ts\n${dump(doc, { lineWidth: -1 })}`);
  const secretsFile = path.join(dir, 'secrets.env');
  await fs.writeFile(secretsFile, `COCCA_SOURCE_KEYSTORE_PASSWORD=${a.keystorePassword}\n`, { mode: 0o600 });
  return {
    name,
    role: 'registry',
    file,
    fqdn,
    secretsFile,
    expect: { sshPort: 22, trusted, publicPorts, trustedPorts: [53], database: 'registry', authMethod: 'md5', dbType: 'web', storage: 'ssd', loginUser: 'debian', postgresVersion: DEBIAN_12.postgresVersion },
  };
}

/**
 * One container flow profile, written to DIR/NAME.yaml as on a connected machine, with what the
 * checks expect of it. env.ts bakes it from its bundle's overlay.
 */
async function writeProfile(dir: string, secretsFile: string, a: Artifacts, os: TestOs, name: string, role: TestProfile['role'], fqdn: string, v: Variant): Promise<TestProfile> {
  const file = path.join(dir, `${name}.yaml`);
  await fs.writeFile(file, `# Written by test/e2e/lib/profile.ts\n${dump(profileDoc(name, role, fqdn, v, a, os), { lineWidth: -1 })}`);
  return {
    name,
    role,
    file,
    fqdn,
    secretsFile,
    expect: {
      sshPort: v.sshPort,
      trusted: TRUSTED,
      publicPorts: v.publicPorts,
      trustedPorts: [53],
      database: 'registry',
      authMethod: 'md5',
      dbType: 'web',
      storage: 'ssd',
      loginUser: 'debian',
      postgresVersion: os.postgresVersion,
    },
  };
}

/**
 * The registry profile of another OS's full flow (Debian 13): as the Debian 12 registry's, but
 * without the OpenSSL build (the Debian 12 flows prove it; this flow proves the OS).
 */
export async function writeOsProfile(dir: string, a: Artifacts, loginKey: string, os: TestOs): Promise<TestProfile> {
  await fs.mkdir(dir, { recursive: true });
  const secretsFile = path.join(dir, 'secrets.env');
  await fs.writeFile(secretsFile, `COCCA_SOURCE_KEYSTORE_PASSWORD=${a.keystorePassword}\n`, { mode: 0o600 });
  return writeProfile(dir, secretsFile, a, os, `e2e-${os.os}`, 'registry', 'registry.e2e.test', { sshPort: 2222, publicPorts: [80, 443], authorizedKeys: [loginKey], openssl: false });
}

/**
 * The container flows' profiles. The registry moves sshd to 2222, as the seed suggests (so every
 * golden boot proves the move without a lockout), and lets the test's key log in.
 */
export async function writeProfiles(dir: string, a: Artifacts, loginKey: string): Promise<{ registry: TestProfile; whoisDr: TestProfile }> {
  await fs.mkdir(dir, { recursive: true });
  const secretsFile = path.join(dir, 'secrets.env');
  await fs.writeFile(secretsFile, `COCCA_SOURCE_KEYSTORE_PASSWORD=${a.keystorePassword}\n`, { mode: 0o600 });
  const make = (name: string, role: TestProfile['role'], fqdn: string, v: Variant) => writeProfile(dir, secretsFile, a, DEBIAN_12, name, role, fqdn, v);
  return {
    registry: await make('e2e-registry', 'registry', 'registry.e2e.test', { sshPort: 2222, publicPorts: [80, 443], authorizedKeys: [loginKey] }),
    // WHOIS on 43, as the example profile: nothing serves it with the built-in resin.xml (a warning).
    // The role differs in its WAR, not in OpenSSL, whose build the registry flows prove: this bake
    // skips it and so proves `openssl.enabled: false` in a container.
    whoisDr: await make('e2e-whois-dr', 'whois-dr', 'whois.e2e.test', { sshPort: 22, publicPorts: [80, 443, 43], openssl: false }),
  };
}
