/**
 * Everything the flows share, prepared once: the stock root file system, the artifacts, the
 * test profiles, the bundle made for them by `cocca-bake bundle` (of Debian 12, or of another
 * OS for its own flow; bundle.ts) and the renders of its overlays; and a work directory for this run
 * (root file system copies, logs) under the cache root, removed at the end except the logs.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { runCli, renderCli, cliInvocation } from '../../helpers/outputs.js';
import { DEBIAN_KEYRING } from './apt.js';
import { prepareArtifacts, ARTIFACTS_MOUNT, type Artifacts } from './artifacts.js';
import { CACHE_ROOT } from './cache.js';
import type { Bind } from './nspawn.js';
import { BUNDLE_MOUNT, bundleFor, type BundleUse } from './bundle.js';
import { DEBIAN_12, writeOsProfile, writeProfiles, type TestOs, type TestProfile } from './profile.js';
import { stockRootfs, type Suite } from './rootfs.js';
import { progress, run, secs } from './run.js';
import { patchRender, patchText } from './workarounds.js';

/** What every run has: its work directory, the stock image and bundle of its suite, the artifacts. */
export interface E2EBase {
  work: string;
  logDir: string;
  /** Under CACHE_ROOT/logs: where cleanupE2E keeps the run's logs. */
  logsName: string;
  stock: string;
  /** The bundle the bakes install from (bind-mounted at /srv/cocca-bundle). */
  bundle: BundleUse;
  artifacts: Artifacts;
  /** The private key the registry profile's login user accepts (ssh from the client namespace). */
  loginKey: string;
  /** render output directory per profile name. */
  renders: Record<string, string>;
  binds: Bind[];
}

/** The Debian 12 flows' environment: both roles' profiles. */
export interface E2E extends E2EBase {
  registry: TestProfile;
  whoisDr: TestProfile;
}

/** Another OS's full flow (Debian 13): one registry profile. */
export interface OsE2E extends E2EBase {
  os: TestOs;
  registry: TestProfile;
  /** Wall time of each preparation (a cache hit takes no time), for the run's figures. */
  prepared: Array<[string, number]>;
}

/** Tools the harness needs on the host (test/setup/deps.sh installs them). */
const HOST_TOOLS = ['systemd-nspawn', 'mmdebstrap', 'nsenter', 'unshare', 'apt-get', 'apt-ftparchive', 'gpg', 'dpkg-deb', 'keytool', 'tar', 'ssh', 'ssh-keygen'];

/** Which of these commands the host lacks. */
export async function missingTools(tools: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const t of tools) if ((await run('bash', ['-c', `command -v ${t}`], { reject: false })).exitCode !== 0) missing.push(t);
  return missing;
}

async function checkHost(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the end-to-end tests run as root (mmdebstrap --mode=root, systemd-nspawn)');
  const missing = await missingTools(HOST_TOOLS);
  if (!(await fs.access(DEBIAN_KEYRING).then(() => true, () => false))) missing.push(`${DEBIAN_KEYRING} (debian-archive-keyring)`);
  if (missing.length > 0) throw new Error(`missing host tools: ${missing.join(', ')} (bash test/setup/deps.sh installs them)`);
}

/** A fresh work directory for this run (and its logs), the suite's stock image, the artifacts, a login key. */
async function startRun(runName: string, suite: Suite) {
  await checkHost();
  progress(`cache: ${CACHE_ROOT}; CLI: ${cliInvocation().how}`);
  const work = path.join(CACHE_ROOT, 'work', runName);
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
  const logDir = path.join(work, 'logs');
  await fs.mkdir(logDir, { recursive: true });
  const stock = await stockRootfs(suite);
  const artifacts = await prepareArtifacts(path.join(work, 'artifacts'));
  const loginKey = path.join(work, 'login-key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cocca-bake-e2e', '-f', loginKey]);
  return { work, logDir, stock, artifacts, loginKey, loginPub: (await fs.readFile(`${loginKey}.pub`, 'utf8')).trim() };
}

/** Bundles the profiles (or takes the bundle from the cache), then renders the bundle's overlays of them. */
async function bundleAndRender(work: string, suite: Suite, profiles: TestProfile[], artifacts: Artifacts) {
  const bundle = await bundleFor(work, suite, profiles, artifacts);
  const renders: Record<string, string> = {};
  for (const p of profiles) {
    const out = path.join(work, 'render', p.name);
    await renderCli(p.file, out);
    await patchRender(out);
    renders[p.name] = out;
  }
  return { renders, bundle };
}

const bindsOf = (bundle: BundleUse, artifacts: Artifacts): Bind[] => [
  { host: bundle.dir, container: BUNDLE_MOUNT },
  { host: artifacts.dir, container: ARTIFACTS_MOUNT },
];

export async function prepareE2E(): Promise<E2E> {
  const t0 = Date.now();
  const { loginPub, ...base } = await startRun(`run-${process.pid}`, DEBIAN_12.suite);
  const { registry, whoisDr } = await writeProfiles(path.join(base.work, 'profiles'), base.artifacts, loginPub);
  const { renders, bundle } = await bundleAndRender(base.work, DEBIAN_12.suite, [registry, whoisDr], base.artifacts);
  progress(`prepared in ${secs(Date.now() - t0)}`);
  return { ...base, logsName: 'last', bundle, registry, whoisDr, renders, binds: bindsOf(bundle, base.artifacts) };
}

/** Another OS's full flow: its suite's stock image and bundle, its registry profile (no OpenSSL build). */
export async function prepareOsE2E(os: TestOs): Promise<OsE2E> {
  const t0 = Date.now();
  const { loginPub, ...base } = await startRun(`run-${os.suite}-${process.pid}`, os.suite);
  const t1 = Date.now();
  const registry = await writeOsProfile(path.join(base.work, 'profiles'), base.artifacts, loginPub, os);
  const { renders, bundle } = await bundleAndRender(base.work, os.suite, [registry], base.artifacts);
  const t2 = Date.now();
  progress(`prepared ${os.title} in ${secs(t2 - t0)}`);
  const prepared: Array<[string, number]> = [
    [`stock ${os.suite} image, artifacts, login key (mmdebstrap when not cached)`, t1 - t0],
    [`the ${os.suite} bundle (cocca-bake bundle when not cached) and the renders`, t2 - t1],
  ];
  return { ...base, logsName: `last-${os.suite}`, os, bundle, registry, renders, binds: bindsOf(bundle, base.artifacts), prepared };
}

/** `cocca-bake user-data PROFILE --mode MODE --secrets FILE [--fqdn NAME]`, as an operator runs it. */
export async function userData(p: TestProfile, mode: 'full' | 'firstboot', fqdn?: string): Promise<string> {
  const args = ['user-data', p.file, '--mode', mode, '--secrets', p.secretsFile, ...(fqdn ? ['--fqdn', fqdn] : [])];
  const r = await runCli(args);
  if (r.exitCode !== 0) throw new Error(`cocca-bake ${args.join(' ')} exited ${r.exitCode}:\n${String(r.stderr)}`);
  return patchText(String(r.stdout), `user-data --mode ${mode} of ${p.name}`);
}

/** A fresh copy of a root file system under the work directory. */
export async function copyRootfs(e: E2EBase, from: string, name: string): Promise<{ dir: string; ms: number }> {
  const dir = path.join(e.work, name);
  await fs.rm(dir, { recursive: true, force: true });
  const t0 = Date.now();
  await run('cp', ['-a', '--reflink=auto', from, dir], { timeout: 20 * 60_000 });
  return { dir, ms: Date.now() - t0 };
}

/** Bytes in a directory tree (du -sb). */
export async function treeBytes(dir: string): Promise<number> {
  const r = await run('du', ['-sb', dir]);
  return Number(r.stdout.split(/\s/)[0]);
}

/** Removes the run's root file systems; keeps its logs under CACHE_ROOT/logs/last (Debian 12) or last-SUITE. */
export async function cleanupE2E(e: E2EBase | undefined): Promise<string | undefined> {
  if (!e) return undefined;
  const last = path.join(CACHE_ROOT, 'logs', e.logsName);
  await fs.rm(last, { recursive: true, force: true });
  await fs.mkdir(path.dirname(last), { recursive: true });
  await fs.rename(e.logDir, last).catch(() => undefined);
  if (process.env.COCCA_E2E_KEEP !== '1') await fs.rm(e.work, { recursive: true, force: true });
  return last;
}
