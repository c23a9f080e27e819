/**
 * End to end: generated user-data and the Packer steps, run by real systemd, real cloud-init,
 * real apt and real services in Debian 12 systemd-nspawn containers (private network; apt's only
 * source the signed bundle `cocca-bake bundle` made for the profiles, with the artifacts from
 * Debian's archive and the stand-ins). Three flows:
 *   full:   stock image + full.yaml reaches a running registry;
 *   golden: boot 1 runs what Packer runs (install.sh, bake, seal) and powers off; the root file
 *           system is copied as the image; boot 2 on the copy runs firstboot.yaml with a new
 *           instance-id (3 GiB, both CPUs; sshd moves to 2222); boot 3 shows the first boot does
 *           not run again. More instances of the same image (a copy boots in seconds):
 *           a second one (5 GiB, one CPU) that shares nothing per-instance with the first and
 *           sizes itself anew; a first boot made to fail (a wrong keystore password), then
 *           finished; a first boot where sshd refuses the hardened drop-in;
 *   whois-dr through the golden flow, without the OpenSSL build (the registry flows prove it).
 * A client namespace beside an instance (lib/client.ts) reaches it through its ufw.
 * Prints figures at the end (not asserted). `npm run test:e2e`; needs root.
 */
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFirewall, checkHttps, checkPostgres, checkServicesActive, checkSizing, checkSshd, pageFor, sizingExpected, type InstanceExpect } from './lib/checks.js';
import { Client, closeAllClients, OUTSIDE_V4, TRUSTED_V4, TRUSTED_V6, withClientRoutes } from './lib/client.js';
import { bundleVersions } from './lib/bundle.js';
import { cleanupE2E, copyRootfs, prepareE2E, treeBytes, userData, type E2E } from './lib/env.js';
import { checkGeneralized, diagnose, instanceChecks, waitFirstboot, type FirstbootStatus } from './lib/instance-tests.js';
import { Container, stopAll } from './lib/nspawn.js';
import type { TestProfile } from './lib/profile.js';
import { PRIVATE_IPV4, PRIVATE_IPV6 } from './lib/rootfs.js';
import { secs, tail } from './lib/run.js';
import { workaroundReport } from './lib/workarounds.js';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { IMAGE_PACKAGES } from '../../generator/instance/paths.js';
import { imageSbom } from '../../generator/sbom/cyclonedx.js';
import { parsePackageList } from '../../generator/sbom/package-list.js';
import { COCCA_BAKE_VERSION } from '../../generator/version.js';

const MIN = 60_000;
const figures: Array<[string, string]> = [];
let env: E2E | undefined;

function e2e(): E2E {
  if (!env) throw new Error('the end-to-end environment was not prepared (see the first failure)');
  return env;
}

beforeAll(async () => {
  env = await prepareE2E();
  const b = env.bundle;
  figures.push(['bundle (cocca-bake bundle, both profiles): packages, size', `${b.packages}, ${(b.bytes / 1e6).toFixed(0)} MB`]);
  figures.push(['  made in (cold, when it was made)', secs(b.madeMs)]);
  figures.push([`  this run (${b.cacheHit ? 'cached' : 'cold'})`, secs(b.tookMs)]);
}, 60 * MIN);

afterAll(async () => {
  closeAllClients();
  await stopAll();
  const logs = await cleanupE2E(env).catch((e: Error) => `(cleanup failed: ${e.message})`);
  console.log(['', 'cocca-bake end-to-end figures (wall time; not asserted):', ...figures.map(([k, v]) => `  ${k.padEnd(58)} ${v}`), `  logs: ${logs ?? '-'}`, ...workaroundReport().map((l) => `  ${l}`), ''].join('\n'));
}, 10 * MIN);

function expectFor(p: TestProfile, fqdn: string, memoryMiB?: number): InstanceExpect {
  return { profile: p, fqdn, keystoreCn: e2e().artifacts.keystoreCn, page: pageFor(fqdn, p.role), ipv4: PRIVATE_IPV4, ipv6: PRIVATE_IPV6, memoryMiB };
}

/** The golden images baked in this run, by flow name, for more instances of them. */
const images = new Map<string, { image: string; profile: TestProfile; instanceRoot: string; fqdn: string }>();

/** A fresh copy of a golden image, ready to boot with a client beside it; `prepare` may change it first. */
async function instanceOf(name: string, copyName: string, prepare?: (root: string) => Promise<void>): Promise<string> {
  const g = images.get(name);
  if (!g) throw new Error(`the ${name} image was not baked (see the first failure)`);
  const { dir, ms } = await copyRootfs(e2e(), g.image, copyName);
  figures.push([`${copyName}: copying the image`, secs(ms)]);
  await withClientRoutes(dir);
  await prepare?.(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------
describe.sequential('full flow: a stock Debian 12 image and full.yaml', () => {
  let c: Container;
  let x: InstanceExpect;

  beforeAll(async () => {
    const e = e2e();
    const p = e.registry;
    const ud = await userData(p, 'full');
    const { dir } = await copyRootfs(e, e.stock, 'full');
    const t0 = Date.now();
    c = await Container.boot({ name: 'e2e-full', rootfs: dir, userData: ud, instanceId: `e2e-full-${Date.now()}`, localHostname: 'e2e-full', binds: e.binds, logDir: e.logDir });
    const st = await waitFirstboot(c, 50 * MIN);
    figures.push(['full install (boot to registry answering)', secs(Date.now() - t0)]);
    const bake = JSON.parse(await fs.readFile(c.hostPath('var/lib/cocca/bake.json'), 'utf8')) as { steps: Array<{ step: string; ms?: number }> };
    figures.push(['  of which bake steps (bake.json)', secs(bake.steps.reduce((s, x) => s + (x.ms ?? 0), 0))]);
    const ossl = bake.steps.find((x) => x.step === 'openssl.build')?.ms;
    if (ossl !== undefined) figures.push(['  of which the OpenSSL 1.1.1w build (no make test)', secs(ossl)]);
    figures.push(['  first boot (firstboot.json totalMs)', secs(st.totalMs ?? 0)]);
    x = expectFor(p, p.fqdn);
  }, 60 * MIN);

  afterAll(async () => {
    await c?.poweroff();
  }, 5 * MIN);

  instanceChecks(() => ({ c, x }), { openssl: true });
});

// ---------------------------------------------------------------------------------------------
/** Boot 1 as Packer would: wait for cloud-init, upload files/, install.sh, bake, seal, power off. */
async function bakeGolden(e: E2E, p: TestProfile, name: string): Promise<{ image: string; bakeMs: number }> {
  const { dir } = await copyRootfs(e, e.stock, `${name}-build`);
  const c = await Container.boot({ name: `${name}-build`, rootfs: dir, userData: '#cloud-config\n', instanceId: `${name}-build-${Date.now()}`, localHostname: 'cocca-build', binds: e.binds, logDir: e.logDir });
  await c.waitFor('cloud-init to finish (boot 1)', async () => (await c.exec('cloud-init status --wait >/dev/null 2>&1; rc=$?; [ $rc -eq 0 ] || [ $rc -eq 2 ]', { timeoutMs: 10 * MIN })).exitCode === 0, {
    timeoutMs: 10 * MIN,
    diagnose: () => diagnose(c),
  });
  // Packer's file provisioner: files/ into /tmp/cocca.
  const files = path.join(e.renders[p.name]!, 'packer', 'files');
  const tar = await execa('tar', ['-C', files, '-c', '.'], { encoding: 'buffer', stdin: 'ignore' });
  await c.sh('mkdir -p /tmp/cocca && tar -x -C /tmp/cocca --no-same-owner', { input: Buffer.from(tar.stdout) });
  const log = path.join(e.logDir, `${name}-build.provision.log`);
  let bakeMs = 0;
  try {
    const t0 = Date.now();
    const bake = await c.exec('bash /tmp/cocca/install.sh && /usr/local/sbin/cocca-run bake', { timeoutMs: 50 * MIN });
    bakeMs = Date.now() - t0;
    await fs.writeFile(log, bake.all);
    if (bake.exitCode !== 0) throw new Error(`${name}: bake failed (exit ${bake.exitCode}); log ${log}:\n${tail(bake.all, 8000)}\n${await diagnose(c)}`);
    const seal = await c.exec('/usr/local/sbin/cocca-run seal', { timeoutMs: 10 * MIN });
    await fs.appendFile(log, `\n--- seal\n${seal.all}`);
    if (seal.exitCode !== 0) throw new Error(`${name}: seal failed (exit ${seal.exitCode}):\n${tail(seal.all, 8000)}`);
  } finally {
    await c.poweroff();
  }
  expect(c.running, `${name}: boot 1 powered off`).toBe(false);
  return { image: dir, bakeMs };
}

/** name, version and status of every package dpkg knows in a root file system's status file. */
async function dpkgStatus(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const stanza of (await fs.readFile(file, 'utf8')).split(/\n\n+/)) {
    const f = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(stanza)?.[1];
    if (f('Status') === 'install ok installed') out.set(f('Package')!, f('Version')!);
  }
  return out;
}

/** The bundle's proof in a booted golden instance: apt had the signed bundle only, and got every version from it. */
function bundleChecks(name: string, c: () => Container): void {
  it('installed exactly the bundle\'s version of every package the bundle holds (the image\'s own untouched ones aside)', async () => {
    const e = e2e();
    const bundle = await bundleVersions(e.bundle.dir);
    const stock = await dpkgStatus(path.join(e.stock, 'var/lib/dpkg/status'));
    const installed = await dpkgStatus(c().hostPath('var/lib/dpkg/status'));
    const fromBundle: string[] = [];
    const wrong: string[] = [];
    for (const [pkg, version] of installed) {
      const want = bundle.get(pkg);
      if (want === undefined) continue;
      if (version === want) {
        if (stock.get(pkg) !== version) fromBundle.push(pkg);
      } else if (stock.get(pkg) !== version) wrong.push(`${pkg} ${version} (bundle: ${want}, stock image: ${stock.get(pkg) ?? 'none'})`);
    }
    figures.push([`${name}: packages the bake installed, all at the bundle's version`, String(fromBundle.length)]);
    expect(wrong).toEqual([]);
    // What the bake itself installs (the JDK, PostgreSQL, ufw, fail2ban...) came from the bundle.
    expect(fromBundle).toEqual(expect.arrayContaining(['postgresql-15', 'openjdk-17-jdk-headless', 'ufw', 'fail2ban', 'build-essential']));
  });

  it("apt's only source is the signed bundle (signed-by its key, no trusted=yes), and apt-get update verifies it", async () => {
    const sources = await c().sh('grep -rhv "^\\s*#" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -v "^\\s*$" || true');
    expect(sources.trim()).toBe('deb [signed-by=/etc/apt/keyrings/cocca-bundle.asc] file:///srv/cocca-bundle/apt ./');
    expect(await c().sh('grep -rl "trusted=yes" /etc/apt/ || true')).toBe('');
    expect(await c().sh('head -1 /etc/apt/keyrings/cocca-bundle.asc')).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\s*$/);
    const update = await c().exec('apt-get update 2>&1');
    expect(update.exitCode, update.all).toBe(0);
    expect(update.all).toMatch(/file:(\/\/)?\/srv\/cocca-bundle\/apt \.\/ InRelease/);
    expect(update.all).not.toMatch(/unauthenticated|not signed|insecure|NO_PUBKEY|trusted|^W: /im);
    expect(await c().sh('ls /var/lib/apt/lists/')).toMatch(/_srv_cocca-bundle_apt_\._InRelease$/m);
    // The bake's own apt runs (the provision log) warned of nothing unauthenticated either.
    const log = await fs.readFile(path.join(e2e().logDir, `${name}-build.provision.log`), 'utf8');
    expect(log).not.toMatch(/cannot be authenticated|unauthenticated|not signed|NO_PUBKEY/i);
    const overlay = await fs.readFile(e2e().registry.file, 'utf8');
    expect(overlay).not.toMatch(/trusted=yes/);
  });
}

function goldenFlow(title: string, pick: (e: E2E) => TestProfile, name: string, o: { fqdn?: string; boot3: boolean; memoryMiB?: number; client?: boolean; openssl: boolean; bundle?: boolean }): void {
  describe.sequential(title, () => {
    let image = '';
    let c: Container;
    let x: InstanceExpect;
    let instanceRoot = '';
    let client: Client | undefined;

    beforeAll(async () => {
      const e = e2e();
      const p = pick(e);
      const baked = await bakeGolden(e, p, name);
      image = baked.image;
      figures.push([`${name}: bake (install.sh + cocca-run bake, boot 1)`, secs(baked.bakeMs)]);
      figures.push([`${name}: golden root file system size`, `${((await treeBytes(image)) / 1e6).toFixed(0)} MB`]);
      const ud = await userData(p, 'firstboot', o.fqdn);
      const copy = await copyRootfs(e, image, `${name}-instance`);
      instanceRoot = copy.dir;
      figures.push([`${name}: copying the image`, secs(copy.ms)]);
      if (o.client) await withClientRoutes(instanceRoot);
      images.set(name, { image, profile: p, instanceRoot, fqdn: o.fqdn ?? p.fqdn });
      const t0 = Date.now();
      c = await Container.boot({ name: `${name}-boot2`, rootfs: instanceRoot, userData: ud, instanceId: `${name}-i-${Date.now()}`, localHostname: 'ip-10-88-0-2', binds: e.binds, logDir: e.logDir, memoryMiB: o.memoryMiB });
      const st = await waitFirstboot(c, 15 * MIN);
      figures.push([`${name}: boot 2, start to first boot done (host clock)`, secs(Date.now() - t0)]);
      firstbootFigures(name, st);
      x = expectFor(p, o.fqdn ?? p.fqdn, o.memoryMiB);
      if (o.client) client = await Client.attach(c);
    }, 75 * MIN);

    afterAll(async () => {
      client?.close();
      await c?.poweroff();
    }, 5 * MIN);

    it('the golden image holds no secret, no machine-id, no host key', async () => {
      const e = e2e();
      await checkGeneralized(image, [e.artifacts.keystorePassword], { openssl: o.openssl });
    });

    it("the bake's package list makes a valid CycloneDX SBOM, and the instance holds exactly its packages and versions", async () => {
      const list = path.join(image, IMAGE_PACKAGES.slice(1));
      const packages = parsePackageList(await fs.readFile(list, 'utf8'), list);
      const json = imageSbom({ profile: { name: x.profile.name, digest: '0'.repeat(64), os: 'debian-12' }, image: name, target: 'qemu', coccaBake: COCCA_BAKE_VERSION, builtAt: new Date().toISOString(), packages, artifacts: [] });
      expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json)).toBeNull();
      const inSbom = (JSON.parse(json).components as Array<{ name: string; version: string; purl?: string }>).filter((k) => k.purl).map((k) => `${k.name}:${/[?&]arch=([^&]+)/.exec(k.purl!)![1]}=${k.version}`).sort();
      const installed = (await c.sh("dpkg-query -W -f='${db:Status-Abbrev}|${Package}:${Architecture}=${Version}\\n'")).split('\n').filter((l) => l.startsWith('ii')).map((l) => l.slice(l.indexOf('|') + 1)).sort();
      figures.push([`${name}: packages in the SBOM`, String(inSbom.length)]);
      expect(installed).toEqual(inSbom);
    });

    instanceChecks(() => ({ c, x }), { openssl: o.openssl });

    if (o.bundle) bundleChecks(name, () => c);

    if (o.client) {
      it('a registrar outside the trusted networks reaches https://IP/ through ufw, and gets the registry', async () => {
        const r = await client!.curl(`https://${PRIVATE_IPV4}/`, OUTSIDE_V4);
        expect(r.exitCode, r.all.slice(-2000)).toBe(0);
        for (const re of x.page) expect(r.stdout).toMatch(re);
      });

      it("an operator logs in with the profile's key on sshd's new port from the trusted networks; nobody else, and not on the old port", async () => {
        const port = x.profile.expect.sshPort;
        const login = { user: x.profile.expect.loginUser, key: e2e().loginKey, command: 'sudo -n true && echo in' };
        for (const from of [TRUSTED_V4, TRUSTED_V6]) {
          const r = await client!.ssh({ ...login, port, from });
          expect({ from, exit: r.exitCode, out: r.stdout.trim(), err: r.stderr.slice(-500) }).toMatchObject({ from, exit: 0, out: 'in' });
        }
        // The old port's transition rule is gone once sshd was seen on the new one; outsiders never had a way in.
        for (const [p, from] of [[22, TRUSTED_V4], [port, OUTSIDE_V4]] as const) {
          const r = await client!.ssh({ ...login, port: p, from, timeoutS: 4 });
          expect({ port: p, from, exit: r.exitCode }).toEqual({ port: p, from, exit: 255 });
        }
        expect((await c.sh('ufw status | grep -c cocca-ssh-transition || true')).trim()).toBe('0');
        expect((await c.sh('iptables -S ufw-user-input | grep -c cocca-ssh-transition || true')).trim()).toBe('0');
      });
    }

    if (o.boot3) {
      describe.sequential('boot 3: a reboot of the instance', () => {
        let before = '';
        beforeAll(async () => {
          const e = e2e();
          before = await fs.readFile(c.hostPath('var/lib/cocca/firstboot.json'), 'utf8');
          await c.poweroff();
          client?.close();
        client = undefined;
        c = await Container.boot({ name: `${name}-boot3`, rootfs: instanceRoot, binds: e.binds, logDir: e.logDir, memoryMiB: o.memoryMiB });
          await c.waitFor('the system to be up (is-system-running)', async () => /^(running|degraded)/.test((await c.exec('systemctl is-system-running')).stdout), {
            timeoutMs: 10 * MIN,
            diagnose: () => diagnose(c),
          });
          await c.waitFor('Resin to answer with the database', async () => /^db: ok /m.test((await c.exec(`curl -sk --max-time 10 --resolve ${x.fqdn}:443:127.0.0.1 https://${x.fqdn}/`)).stdout), {
            timeoutMs: 5 * MIN,
            diagnose: () => diagnose(c),
          });
        }, 20 * MIN);

        it('first boot does not run again', async () => {
          expect(await fs.readFile(c.hostPath('var/lib/cocca/firstboot.json'), 'utf8')).toBe(before);
          const show = await c.sh('systemctl show -p ConditionResult -p ActiveState -p ExecMainStartTimestampMonotonic cocca-firstboot.service');
          expect(show).toMatch(/^ConditionResult=no$/m);
          expect(show).toMatch(/^ActiveState=inactive$/m);
        });

        instanceChecks(() => ({ c, x }), { openssl: true });
      });
    }
  });
}

/** Per-step figures of a first boot: its own work apart from starting services (the 3 s). */
function firstbootFigures(name: string, st: FirstbootStatus): void {
  figures.push([`${name}: first boot (firstboot.json totalMs)`, secs(st.totalMs ?? 0)]);
  figures.push([`${name}:   of which service starts (PostgreSQL, ssh, fail2ban, Resin to listening)`, secs(st.serviceMs ?? 0)]);
  figures.push([`${name}:   of which our own work`, secs(st.ownMs ?? 0)]);
  figures.push([`${name}:   Resin start to listening (resinListeningMs)`, secs(st.resinListeningMs ?? 0)]);
  const steps = [...(st.harden?.steps ?? []), ...(st.boot?.steps ?? [])].filter((s) => s.ms !== undefined);
  figures.push([`${name}:   steps`, steps.map((s) => `${s.step} ${s.ms}`).join(', ')]);
  figures.push([`${name}:   stages`, Object.entries(st.stagesMs ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')]);
  figures.push([`${name}:   service calls`, (st.servicesMs ?? []).map(([u, v]) => `${u} ${v}`).join(', ')]);
}

goldenFlow('golden flow: registry image, first boot, reboot', (e) => e.registry, 'golden', { fqdn: 'registry-1.e2e.test', boot3: true, memoryMiB: 3072, client: true, openssl: true, bundle: true });
// ---------------------------------------------------------------------------------------------
// More instances of the registry image.

/** What belongs to one instance: read from its root file system once it is powered off. */
async function perInstance(root: string): Promise<Record<string, string>> {
  const read = (p: string) => fs.readFile(path.join(root, p), 'utf8').catch(() => '');
  const secret = async (name: string) => (/^(\w+)=(.*)$/m.exec((await read('etc/cocca/secrets.env')).split('\n').find((l) => l.startsWith(`${name}=`)) ?? '')?.[2] ?? '');
  const out: Record<string, string> = {
    'machine-id': (await read('etc/machine-id')).trim(),
    hostname: (await read('etc/hostname')).trim(),
    // (No random seed: systemd-random-seed does not run in a container; the VM flow's image check covers it.)
    'snakeoil key': await read('etc/ssl/private/ssl-cert-snakeoil.key'),
    'postgres password': await secret('POSTGRES_PASSWORD'),
    'keystore password': await secret('KEYSTORE_PASSWORD'),
    'instance keystore': (await fs.readFile(path.join(root, 'opt/resin/conf/keys/instance.jks')).catch(() => Buffer.alloc(0))).toString('hex'),
  };
  for (const f of (await fs.readdir(path.join(root, 'etc/ssh'))).filter((n) => /^ssh_host_.*_key$/.test(n))) out[f] = await read(`etc/ssh/${f}`);
  return out;
}

describe.sequential('one image, a second instance: nothing per-instance shared, sizes its own', () => {
  let c: Container;
  let root = '';
  const fqdn = 'registry-2.e2e.test';
  const memoryMiB = 5120;

  beforeAll(async () => {
    const e = e2e();
    const g = images.get('golden')!;
    root = await instanceOf('golden', 'second-instance');
    const t0 = Date.now();
    c = await Container.boot({ name: 'second-instance', rootfs: root, userData: await userData(g.profile, 'firstboot', fqdn), instanceId: `second-${Date.now()}`, localHostname: 'ip-10-88-0-2', binds: e.binds, logDir: e.logDir, memoryMiB, cpuAffinity: '0' });
    firstbootFigures('second instance', await waitFirstboot(c, 15 * MIN));
    figures.push(['second instance: boot, start to first boot done (host clock)', secs(Date.now() - t0)]);
  }, 20 * MIN);

  afterAll(async () => {
    await c?.poweroff();
  }, 5 * MIN);

  it("sizes from its own memory and CPU: heap, pool and pgtune differ from the first instance's, each consistent", async () => {
    const x = expectFor(images.get('golden')!.profile, fqdn, memoryMiB);
    const [mine, first] = await Promise.all([
      c.sh('cat /var/lib/cocca/sizing.env'),
      fs.readFile(path.join(images.get('golden')!.instanceRoot, 'var/lib/cocca/sizing.env'), 'utf8'),
    ]);
    const env = (t: string) => Object.fromEntries(t.trim().split('\n').map((l) => l.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));
    const a = env(first);
    const b = env(mine);
    for (const s of [a, b]) {
      const want = sizingExpected(s.RAM_KB!, s.CPUS!);
      expect(s).toMatchObject({ RESIN_HEAP_MB: want.heapMb, POSTGRES_RAM_KB: want.postgresKb, DB_MAX_CONNECTIONS: want.pool, PG_MAX_CONNECTIONS: want.pg.max_connections });
    }
    expect({ ram: b.RAM_KB, cpus: b.CPUS }).toEqual({ ram: memoryMiB * 1024, cpus: 1 });
    expect(b.RESIN_HEAP_MB).toBeGreaterThan(a.RESIN_HEAP_MB!);
    expect(b.POSTGRES_RAM_KB).toBeGreaterThan(a.POSTGRES_RAM_KB!);
    expect(b.DB_MAX_CONNECTIONS).not.toBe(a.DB_MAX_CONNECTIONS);
    figures.push(['sizing, first instance (3 GiB, 2 CPUs)', `heap ${a.RESIN_HEAP_MB} MiB, PostgreSQL ${Math.round(a.POSTGRES_RAM_KB! / 1024)} MiB, pool ${a.DB_MAX_CONNECTIONS}/${a.PG_MAX_CONNECTIONS}`]);
    figures.push(['sizing, second instance (5 GiB, 1 CPU)', `heap ${b.RESIN_HEAP_MB} MiB, PostgreSQL ${Math.round(b.POSTGRES_RAM_KB! / 1024)} MiB, pool ${b.DB_MAX_CONNECTIONS}/${b.PG_MAX_CONNECTIONS}`]);
    // And PostgreSQL, resin.xml and the server JVM run with them.
    await checkPostgres(c, x);
    await checkSizing(c, x);
  });

  it('shares no per-instance value with the first instance (host keys, snakeoil key, machine-id, passwords, keystore)', async () => {
    await c.poweroff();
    const [a, b] = await Promise.all([perInstance(images.get('golden')!.instanceRoot), perInstance(root)]);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(Object.keys(a).filter((k) => k.startsWith('ssh_host_')).length).toBeGreaterThanOrEqual(2);
    for (const k of Object.keys(a)) {
      expect({ value: k, empty: a[k] === '' || b[k] === '' }).toEqual({ value: k, empty: false });
      expect({ value: k, shared: a[k] === b[k] }).toEqual({ value: k, shared: false });
    }
  });
});

describe.sequential('a first boot that fails (a wrong keystore password): fail closed, say why, then finish', () => {
  let c: Container;
  let client: Client;
  let x: InstanceExpect;
  let failed: FirstbootStatus;
  const fqdn = 'registry-3.e2e.test';

  beforeAll(async () => {
    const e = e2e();
    const g = images.get('golden')!;
    const root = await instanceOf('golden', 'failing-instance');
    const wrong = path.join(e.work, 'wrong-secrets.env');
    await fs.writeFile(wrong, 'COCCA_SOURCE_KEYSTORE_PASSWORD=not-the-keystore-password\n', { mode: 0o600 });
    const ud = await userData({ ...g.profile, secretsFile: wrong }, 'firstboot', fqdn);
    c = await Container.boot({ name: 'failing-instance', rootfs: root, userData: ud, instanceId: `failing-${Date.now()}`, localHostname: 'ip-10-88-0-2', binds: e.binds, logDir: e.logDir, memoryMiB: 3072 });
    failed = await waitFirstboot(c, 15 * MIN, 'failed');
    client = await Client.attach(c);
    x = expectFor(g.profile, fqdn, 3072);
  }, 20 * MIN);

  afterAll(async () => {
    client?.close();
    await c?.poweroff();
  }, 5 * MIN);

  it('fails at the keystore step, with the reason', () => {
    expect(failed).toMatchObject({ result: 'failed', stage: 'boot' });
    expect(failed.reason).toBe('tls.keystore: cannot open /opt/resin/conf/keys/cocca-lab.jks with the password given for it (java.io.IOException: Keystore was tampered with, or password was incorrect)');
    expect(failed.harden?.result).toBe('ok');
    expect(failed.boot?.failedStep).toBe('tls.keystore');
  });

  it('leaves ufw active with exactly the profile rules, sshd hardened on its port, fail2ban on, Resin not started', async () => {
    await checkFirewall(c, x.profile);
    await checkSshd(c, x.profile);
    await checkServicesActive(c, ['fail2ban.service']);
    expect((await c.exec('systemctl is-active resin.service')).stdout.trim()).toBe('inactive');
    expect((await c.sh('systemctl show -p NRestarts -p ExecMainStartTimestampMonotonic resin.service')).trim()).toMatch(/ExecMainStartTimestampMonotonic=0/);
    expect(await c.exec('ss -Hltn "sport = :443"').then((r) => r.stdout.trim())).toBe('');
  });

  it('says why in the journal, on the console and at login (the motd, over ssh from a trusted network)', async () => {
    const journal = await c.sh('journalctl -t cocca --no-pager -o cat');
    expect(journal).toContain('ERROR: first boot failed at boot: tls.keystore: cannot open /opt/resin/conf/keys/cocca-lab.jks with the password given for it');
    expect(journal).toContain('sudo cocca-firstboot finish');
    await c.waitFor('the console to show the reason', async () => c.consoleTail(20000).includes('first boot failed at boot: tls.keystore: cannot open'), { timeoutMs: 30_000 });
    const login = await client.ssh({ user: x.profile.expect.loginUser, key: e2e().loginKey, port: x.profile.expect.sshPort, from: TRUSTED_V4, command: 'sudo -n cocca-firstboot status; echo status=$?' });
    expect(login.exitCode, login.all).toBe(0);
    expect(login.stdout).toContain('first boot: failed at boot: tls.keystore: cannot open /opt/resin/conf/keys/cocca-lab.jks');
    expect(login.stdout).toContain('status=1');
    // The banner pam_motd shows at login, from /etc/update-motd.d (run as sshd's PAM session does).
    const motd = await c.sh('run-parts --lsbsysinit /etc/update-motd.d');
    expect(motd).toContain('*** cocca-bake: FIRST BOOT FAILED at boot: tls.keystore: cannot open /opt/resin/conf/keys/cocca-lab.jks');
    expect(motd).toContain('sudo cocca-firstboot finish [FILE]');
  });

  it('finishes with `cocca-firstboot finish FILE` once given the right secret, resuming where it stopped', async () => {
    const fix = `COCCA_SOURCE_KEYSTORE_PASSWORD=${e2e().artifacts.keystorePassword}\r\n`;
    await c.sh('umask 077; cat >/root/fix.env', { input: fix });
    const r = await c.exec('cocca-firstboot finish /root/fix.env', { timeoutMs: 10 * MIN });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('first boot: ok');
    const st = JSON.parse(await c.sh('cat /var/lib/cocca/firstboot.json')) as FirstbootStatus;
    // Done steps were not run again: only the keystore step and what follows it ran.
    expect(st.boot!.steps.filter((s) => s.skipped).map((s) => s.step)).toEqual(['host.name', 'host.snakeoil', 'postgres.tune', 'postgres.start', 'postgres.password', 'postgres.auth', 'resin.config']);
    expect(st.boot!.steps.find((s) => s.step === 'tls.keystore')).toMatchObject({ ok: true });
    await checkServicesActive(c, ['resin.service']);
    await checkHttps(c, x);
    expect(await c.sh('run-parts --lsbsysinit /etc/update-motd.d')).not.toContain('cocca');
  });
});

describe.sequential("sshd refuses the hardened drop-in: ssh stays reachable on the port sshd listens on", () => {
  let c: Container;
  let client: Client;
  let st: FirstbootStatus;

  beforeAll(async () => {
    const e = e2e();
    const g = images.get('golden')!;
    // As a newer or older OpenSSH might: an option this sshd does not know.
    const root = await instanceOf('golden', 'sshd-refused', async (dir) => {
      await fs.appendFile(path.join(dir, 'usr/local/lib/cocca/sshd-hardening.conf'), 'NoSuchOption yes\n');
    });
    c = await Container.boot({ name: 'sshd-refused', rootfs: root, userData: await userData(g.profile, 'firstboot', 'registry-4.e2e.test'), instanceId: `refused-${Date.now()}`, localHostname: 'ip-10-88-0-2', binds: e.binds, logDir: e.logDir });
    st = await waitFirstboot(c, 15 * MIN, 'failed');
    client = await Client.attach(c);
  }, 20 * MIN);

  afterAll(async () => {
    client?.close();
    await c?.poweroff();
  }, 5 * MIN);

  it('first boot fails at the hardening, says why, and starts nothing else', async () => {
    expect(st).toMatchObject({ result: 'failed', stage: 'harden' });
    expect(st.reason).toMatch(/^sshd\.harden: sshd -t refused the hardened configuration \(.*NoSuchOption.*\); sshd keeps its previous one on port\(s\) 22, which ufw still allows from the trusted sources$/);
    // The other hardening ran all the same.
    expect(st.harden!.steps.map((s) => [s.step, s.ok])).toEqual([['firewall.enable', true], ['fail2ban.start', true], ['sshd.harden', false]]);
    expect((await c.exec('systemctl is-active resin.service')).stdout.trim()).toBe('inactive');
    expect(await c.sh('ufw status | head -1')).toBe('Status: active');
  });

  it('sshd still listens on 22, ufw allows 22 from the trusted networks: the operator logs in there', async () => {
    expect((await c.sh("ss -Hltnp | awk '/\"sshd\"/ {sub(/.*:/, \"\", $4); print $4}' | sort -u")).trim()).toBe('22');
    const x = images.get('golden')!.profile.expect;
    const r = await client.ssh({ user: x.loginUser, key: e2e().loginKey, port: 22, from: TRUSTED_V4, command: 'sudo -n cocca-firstboot status' });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toContain('first boot: failed at harden: sshd.harden: sshd -t refused');
    const outsider = await client.ssh({ user: x.loginUser, key: e2e().loginKey, port: 22, from: OUTSIDE_V4, command: 'true', timeoutS: 4 });
    expect(outsider.exitCode).toBe(255);
  });
});

goldenFlow('golden flow: whois-dr role', (e) => e.whoisDr, 'whois', { boot3: false, openssl: false });
