/**
 * The qemu build, for real: `cocca-bake build --target qemu` runs Debian's Packer (1.6.6) with
 * the qemu builder under TCG, inside a network namespace of its own, from a Debian 12 base qcow2
 * made here (lib/vm.ts) with the bundle `cocca-bake bundle` made for the profile attached as a
 * read-only disk (apt's only source its signed repository, every download its file). Then
 * the qcow2 it produced boots in qemu with the first-boot user-data as its NoCloud seed, and the
 * instance checks of the container flows run in it over ssh (the profile's login key, through the
 * hardened sshd and ufw). The profile is the registry one without the OpenSSL compile (the
 * container flows prove that step; under TCG it would take most of an hour).
 * Prints figures at the end (not asserted). Part of `npm run test:e2e`; needs root.
 */
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInvocation } from '../helpers/outputs.js';
import { prepareArtifacts, type Artifacts } from './lib/artifacts.js';
import { pageFor, type InstanceExpect } from './lib/checks.js';
import { CACHE_ROOT, sha256File } from './lib/cache.js';
import { missingTools, userData } from './lib/env.js';
import { checkGeneralized, diagnose, instanceChecks, type FirstbootStatus } from './lib/instance-tests.js';
import { DEBIAN_12, MIRROR_MOUNT, writeQemuProfile, type TestProfile } from './lib/profile.js';
import { extractImage, seedImage, stopAllVms, Vm, VM_GATEWAY, VM_IPV4, VM_IPV6 } from './lib/qemu.js';
import { bundleFor } from './lib/bundle.js';
import { progress, run, secs, tail } from './lib/run.js';
import { dataDisk, KERNEL_APPEND, vmBase, type VmBase } from './lib/vm.js';

const MIN = 60_000;
/** A download as the bundle's overlay names it: its file on the bundle disk. */
const fromBundle = (f: { name: string; sha256: string }) => ({ url: `file://${MIRROR_MOUNT}/artifacts/${f.name}`, sha256: f.sha256 });
const MEMORY_MIB = 2048;
/**
 * One vCPU: with two, qemu runs TCG multi-threaded, and the JVM's JIT-compiled code crashed
 * there (SIGSEGV in javac's C1 code while the Resin stand-in compiled), once in two builds.
 */
const CPUS = 1;
/** Forwards on the VM's own namespace's loopback: ssh and HTTPS, seen from outside the guest. */
const SSH_PORT = 2222;
const HTTPS_PORT = 8443;
const figures: Array<[string, string]> = [];

interface BuildRecord {
  result: string;
  error?: string;
  totalMs: number;
  log: string;
  packer: { version: string; flavor: string };
  artifacts: Record<string, { url: string; sha256: string }>;
  baseImage: { url: string; sha256: string };
  steps: Array<{ phase: string; step: string; ok: boolean; ms?: number }>;
  outputs: { qemu?: { path: string; bytes: number; sha256: string } };
  digest?: string;
}

interface Prepared {
  work: string;
  logDir: string;
  base: VmBase;
  artifacts: Artifacts;
  profile: TestProfile;
  key: string;
  record: BuildRecord;
}

let prepared: Prepared | undefined;
function env(): Prepared {
  if (!prepared) throw new Error('the qemu build did not run (see the first failure)');
  return prepared;
}

const HOST_TOOLS = ['packer', 'qemu-system-x86_64', 'qemu-img', 'cloud-localds', 'mkisofs', 'debugfs', 'mkfs.ext4', 'unshare', 'nsenter', 'ssh', 'ssh-keygen', 'mmdebstrap'];

async function checkHost(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the qemu build flow runs as root (mmdebstrap, network namespaces)');
  const missing = await missingTools(HOST_TOOLS);
  if (missing.length > 0) throw new Error(`missing host tools: ${missing.join(', ')} (bash test/setup/deps.sh installs them)`);
}

/** `cocca-bake build FILE --target qemu --json`, in a network namespace with only loopback. */
async function cliBuild(profileFile: string, buildDir: string, logDir: string): Promise<BuildRecord> {
  const cli = cliInvocation();
  const r = await run('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', cli.file, ...cli.args, 'build', profileFile, '--target', 'qemu', '--build-dir', buildDir, '--json'], {
    reject: false,
    timeout: 75 * MIN,
    env: { CHECKPOINT_DISABLE: '1' },
  });
  await fs.writeFile(path.join(logDir, 'build.jsonl'), r.stdout);
  await fs.writeFile(path.join(logDir, 'build.stderr'), r.stderr);
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; record?: BuildRecord });
  const record = events.find((e) => e.kind === 'result')?.record;
  if (!record) throw new Error(`cocca-bake build exited ${r.exitCode} without a result:\n${tail(r.all)}`);
  if (r.exitCode !== 0 || record.result !== 'ok') {
    const log = await fs.readFile(record.log, 'utf8').catch(() => '(no log)');
    throw new Error(`cocca-bake build exited ${r.exitCode}: ${record.error}\n--- ${record.log}\n${tail(log, 8000)}`);
  }
  return record;
}

beforeAll(async () => {
  await checkHost();
  const t0 = Date.now();
  const work = path.join(CACHE_ROOT, 'work', `qemu-${process.pid}`);
  await fs.rm(work, { recursive: true, force: true });
  const logDir = path.join(work, 'logs');
  await fs.mkdir(logDir, { recursive: true });

  const base = await vmBase();
  const artifacts = await prepareArtifacts(path.join(work, 'artifacts'));
  const key = path.join(work, 'login-key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cocca-bake-e2e', '-f', key]);
  const disks = { mirror: path.join(work, 'disks', 'mirror.img'), artifacts: path.join(work, 'disks', 'artifacts.img') };
  const profile = await writeQemuProfile(path.join(work, 'profiles'), artifacts, {
    baseImage: { url: `file://${base.qcow2}`, sha256: await sha256File(base.qcow2) },
    memoryMiB: MEMORY_MIB,
    cpus: CPUS,
    diskSizeGiB: 6,
    sshFrom: VM_GATEWAY,
    authorizedKey: (await fs.readFile(`${key}.pub`, 'utf8')).trim(),
    // Direct kernel boot; Packer's ssh forward on loopback only, guest restricted; the data disks.
    qemuArgs: [
      ['-kernel', base.kernel],
      ['-initrd', base.initrd],
      ['-append', KERNEL_APPEND],
      ['-serial', `file:${path.join(logDir, 'build.console.log')}`],
      ['-netdev', 'user,id=user.0,restrict=on,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22'],
      ['-device', 'virtio-net,netdev=user.0'],
      ['-blockdev', `driver=raw,node-name=mirror,read-only=on,file.driver=file,file.filename=${disks.mirror}`],
      ['-device', 'virtio-blk-pci,drive=mirror'],
      ['-blockdev', `driver=raw,node-name=artifacts,read-only=on,file.driver=file,file.filename=${disks.artifacts}`],
      ['-device', 'virtio-blk-pci,drive=artifacts'],
    ],
  });
  // The bundle of this profile, on the disk the VM base mounts at MIRROR_MOUNT; the build is the overlay's.
  const bundle = await bundleFor(work, DEBIAN_12.suite, [profile], artifacts, MIRROR_MOUNT);
  await fs.mkdir(path.dirname(disks.mirror), { recursive: true });
  await dataDisk(bundle.dir, 'cocca-mirror', disks.mirror);
  await dataDisk(artifacts.dir, 'cocca-artifacts', disks.artifacts);
  progress(`qemu flow prepared in ${secs(Date.now() - t0)}; cocca-bake build --target qemu (Packer, TCG)`);

  const record = await cliBuild(profile.file, path.join(work, 'builds'), logDir);
  figures.push(['cocca-bake build --target qemu (wall, build record totalMs)', secs(record.totalMs)]);
  figures.push(['  of which bake steps', secs(record.steps.reduce((s, x) => s + (x.ms ?? 0), 0))]);
  figures.push(['qcow2 size (compressed)', `${(record.outputs.qemu!.bytes / 2 ** 20).toFixed(0)} MiB`]);
  prepared = { work, logDir, base, artifacts, profile, key, record };
}, 120 * MIN);

afterAll(async () => {
  await stopAllVms();
  let logs = '-';
  if (prepared) {
    logs = path.join(CACHE_ROOT, 'logs', 'qemu-last');
    await fs.rm(logs, { recursive: true, force: true });
    await fs.mkdir(path.dirname(logs), { recursive: true });
    await fs.cp(prepared.logDir, logs, { recursive: true });
    await fs.copyFile(prepared.record.log, path.join(logs, 'packer.log')).catch(() => undefined);
    if (process.env.COCCA_E2E_KEEP !== '1') await fs.rm(prepared.work, { recursive: true, force: true });
  }
  console.log(['', 'cocca-bake qemu build figures (wall time; not asserted):', ...figures.map(([k, v]) => `  ${k.padEnd(58)} ${v}`), `  logs: ${logs}`, ''].join('\n'));
}, 10 * MIN);

describe.sequential('cocca-bake build --target qemu with Packer 1.6.6 under TCG', () => {
  it('records a good build: Packer 1.6.6, every step of ours done, the artifacts, the base image and the qcow2 with its sha256', async () => {
    const { record, base, artifacts } = env();
    expect(record.result).toBe('ok');
    expect(record.packer).toMatchObject({ version: '1.6.6', flavor: 'legacy' });
    expect(record.artifacts).toEqual({
      resin: fromBundle(artifacts.resin),
      war: fromBundle(artifacts.registryWar),
      keystore: fromBundle(artifacts.keystore),
      jdbc: fromBundle(artifacts.jdbc),
    });
    expect(record.baseImage).toEqual({ url: `file://${base.qcow2}`, sha256: await sha256File(base.qcow2) });
    const bake = record.steps.filter((s) => s.phase === 'bake');
    expect(bake.length).toBeGreaterThan(10);
    expect(bake.filter((s) => !s.ok)).toEqual([]);
    expect(record.steps.some((s) => s.phase === 'seal' && s.ok)).toBe(true);
    const q = record.outputs.qemu!;
    expect(q.path).toMatch(/cocca-e2e-qemu\.qcow2$/);
    expect(q.sha256).toBe(await sha256File(q.path));
    expect((await fs.stat(q.path)).size).toBe(q.bytes);
    const info = JSON.parse((await run('qemu-img', ['info', '--output=json', q.path])).stdout) as { format: string; 'virtual-size': number };
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(6 * 2 ** 30);
  });

  it('the qcow2 holds no secret, no build user, no machine-id, no host key', async () => {
    const { record, work, artifacts } = env();
    const tree = path.join(work, 'image');
    await extractImage(record.outputs.qemu!.path, ['/etc', '/var', '/opt', '/root', '/home', '/usr/local'], tree);
    // The build user's password hash was in the build's seed: it must not be in the image.
    const seed = readFileSync(path.join(path.dirname(record.log), 'packer', 'seed', 'user-data'), 'utf8');
    const hash = /^\s+passwd: (\S+)$/m.exec(seed)?.[1];
    expect(hash).toMatch(/^\$6\$/);
    await checkGeneralized(tree, [artifacts.keystorePassword, hash!], { openssl: false });
    for (const f of ['etc/passwd', 'etc/shadow', 'etc/group', 'etc/passwd-', 'etc/shadow-', 'etc/group-', 'etc/gshadow']) {
      const text = await fs.readFile(path.join(tree, f), 'utf8').catch(() => '');
      expect({ file: f, buildUser: /^cocca-build:/m.test(text) }).toEqual({ file: f, buildUser: false });
    }
    expect(await fs.readdir(path.join(tree, 'etc/sudoers.d')).then((l) => l.filter((f) => /cloud-init|cocca-build/.test(f)))).toEqual([]);
  });
});

describe.sequential('first boot of the built qcow2 (qemu, NoCloud seed with firstboot.yaml)', () => {
  let vm: Vm;
  let x: InstanceExpect;
  const fqdn = 'registry-7.qemu.e2e.test';

  beforeAll(async () => {
    const e = env();
    const disk = path.join(e.work, 'instance.qcow2');
    // An overlay: the build's qcow2 stays as Packer left it.
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', e.record.outputs.qemu!.path, '-F', 'qcow2', disk]);
    const seed = await seedImage(path.join(e.work, 'seed'), await userData(e.profile, 'firstboot', fqdn), `qemu-i-${Date.now()}`, 'ip-10-0-2-15');
    const t0 = Date.now();
    vm = await Vm.boot({
      name: 'qemu-boot',
      disk,
      kernel: e.base.kernel,
      initrd: e.base.initrd,
      seed,
      memoryMiB: MEMORY_MIB,
      cpus: CPUS,
      forwards: { [SSH_PORT]: 22, [HTTPS_PORT]: 443 },
      logDir: e.logDir,
      login: { user: e.profile.expect.loginUser, key: e.key },
    });
    const st = await waitFirstboot(vm, 30 * MIN);
    figures.push(['boot of the qcow2, qemu start to first boot done', secs(Date.now() - t0)]);
    figures.push(['  first boot (firstboot.json totalMs)', secs(st.totalMs ?? 0)]);
    figures.push(['  Resin start to listening (resinListeningMs)', secs(st.resinListeningMs ?? 0)]);
    x = { profile: e.profile, fqdn, keystoreCn: e.artifacts.keystoreCn, page: pageFor(fqdn, 'registry'), ipv4: VM_IPV4, ipv6: VM_IPV6 };
  }, 40 * MIN);

  afterAll(async () => {
    await vm?.poweroff();
  }, 5 * MIN);

  it('answers HTTPS from outside the guest, through ufw, with the injected keystore', async () => {
    const r = await vm.inNetns('curl', ['-sS', '-k', '-v', '--max-time', '60', '--connect-to', `${fqdn}:443:127.0.0.1:${HTTPS_PORT}`, `https://${fqdn}/`]);
    expect(r.exitCode, r.all.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/HTTP\/[\d.]+ 200/);
    for (const re of x.page) expect(r.stdout).toMatch(re);
  });

  instanceChecks(() => ({ c: vm, x }), { openssl: false });
});

/** Polls firstboot.json over ssh (ssh answers once cloud-init installed the login key). */
async function waitFirstboot(vm: Vm, timeoutMs: number): Promise<FirstbootStatus> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!vm.running) throw new Error(`qemu exited ${vm.exitCode} before first boot finished:\n${vm.consoleTail()}`);
    const r = await vm.exec('cat /var/lib/cocca/firstboot.json 2>/dev/null || echo "{}"', { timeoutMs: 60_000 });
    last = r.all;
    if (r.exitCode === 0) {
      const st = JSON.parse(r.stdout || '{}') as Partial<FirstbootStatus>;
      if (st.result === 'ok') return st as FirstbootStatus;
      if (st.result === 'failed') throw new Error(`first boot failed: ${r.stdout}\n${await diagnose(vm)}`);
    }
    await new Promise((res) => setTimeout(res, 5000));
  }
  throw new Error(`first boot did not finish in ${timeoutMs / 1000} s; last ssh: ${last.slice(-500)}\n${await diagnose(vm)}\n--- console\n${vm.consoleTail()}`);
}
