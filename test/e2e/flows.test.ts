/**
 * End to end: generated user-data and the Packer steps, run by real systemd, real cloud-init,
 * real apt and real services in Debian 12 systemd-nspawn containers (private network, local
 * apt mirror, artifacts from Debian's archive and the stand-ins). Three flows:
 *   full:   stock image + full.yaml reaches a running registry;
 *   golden: boot 1 runs what Packer runs (install.sh, bake, seal) and powers off; the root file
 *           system is copied as the image; boot 2 on the copy runs firstboot.yaml with a new
 *           instance-id; boot 3 shows the first boot does not run again;
 *   whois-dr through the golden flow.
 * Prints figures at the end (not asserted). `npm run test:e2e`; needs root.
 */
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageFor, type InstanceExpect } from './lib/checks.js';
import { cleanupE2E, copyRootfs, prepareE2E, treeBytes, userData, type E2E } from './lib/env.js';
import { checkGeneralized, diagnose, instanceChecks, type FirstbootStatus } from './lib/instance-tests.js';
import { Container, stopAll } from './lib/nspawn.js';
import type { TestProfile } from './lib/profile.js';
import { PRIVATE_IPV4, PRIVATE_IPV6 } from './lib/rootfs.js';
import { secs, tail } from './lib/run.js';
import { workaroundReport } from './lib/workarounds.js';

const MIN = 60_000;
const figures: Array<[string, string]> = [];
let env: E2E | undefined;

function e2e(): E2E {
  if (!env) throw new Error('the end-to-end environment was not prepared (see the first failure)');
  return env;
}

beforeAll(async () => {
  env = await prepareE2E();
}, 60 * MIN);

afterAll(async () => {
  await stopAll();
  const logs = await cleanupE2E(env).catch((e: Error) => `(cleanup failed: ${e.message})`);
  console.log(['', 'cocca-bake end-to-end figures (wall time; not asserted):', ...figures.map(([k, v]) => `  ${k.padEnd(58)} ${v}`), `  logs: ${logs ?? '-'}`, ...workaroundReport().map((l) => `  ${l}`), ''].join('\n'));
}, 10 * MIN);

/**
 * Waits for /var/lib/cocca/firstboot.json with result ok; fails fast when it says failed, or
 * when cloud-init finished with errors and no first boot is coming (the full flow's bake).
 */
async function waitFirstboot(c: Container, timeoutMs: number): Promise<FirstbootStatus> {
  const file = c.hostPath('var/lib/cocca/firstboot.json');
  let status: FirstbootStatus | undefined;
  await c.waitFor(
    'first boot to finish (/var/lib/cocca/firstboot.json)',
    async () => {
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text) {
        status = JSON.parse(text) as FirstbootStatus;
        if (status.result === 'ok') return true;
        if (status.result === 'failed') return `first boot failed: ${status.reason ?? text}`;
      }
      const bake = await fs.readFile(c.hostPath('var/lib/cocca/bake.json'), 'utf8').catch(() => '');
      if (/"result":"failed"/.test(bake)) return `the bake failed: ${bake}`;
      const result = await fs.readFile(c.hostPath('var/lib/cloud/data/result.json'), 'utf8').catch(() => '');
      if (result && !/"errors": \[\]/.test(result) && /"errors":/.test(result)) {
        // cloud-init is done; give cocca-firstboot a moment in case it raced.
        const again = await fs.readFile(file, 'utf8').catch(() => undefined);
        if (!again) return `cloud-init finished with errors and no first boot: ${result}`;
      }
      return false;
    },
    { timeoutMs, intervalMs: 2000, diagnose: () => diagnose(c) },
  );
  return status!;
}

function expectFor(p: TestProfile, fqdn: string): InstanceExpect {
  return { profile: p, fqdn, keystoreCn: e2e().artifacts.keystoreCn, page: pageFor(fqdn, p.role), ipv4: PRIVATE_IPV4, ipv6: PRIVATE_IPV6 };
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

function goldenFlow(title: string, pick: (e: E2E) => TestProfile, name: string, o: { fqdn?: string; boot3: boolean }): void {
  describe.sequential(title, () => {
    let image = '';
    let c: Container;
    let x: InstanceExpect;
    let instanceRoot = '';

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
      const t0 = Date.now();
      c = await Container.boot({ name: `${name}-boot2`, rootfs: instanceRoot, userData: ud, instanceId: `${name}-i-${Date.now()}`, localHostname: 'ip-10-88-0-2', binds: e.binds, logDir: e.logDir });
      const st = await waitFirstboot(c, 15 * MIN);
      figures.push([`${name}: boot 2, start to first boot done (host clock)`, secs(Date.now() - t0)]);
      figures.push([`${name}: first boot (firstboot.json totalMs)`, secs(st.totalMs ?? 0)]);
      figures.push([`${name}: first boot, Resin start to listening (resinListeningMs)`, secs(st.resinListeningMs ?? 0)]);
      x = expectFor(p, o.fqdn ?? p.fqdn);
    }, 75 * MIN);

    afterAll(async () => {
      await c?.poweroff();
    }, 5 * MIN);

    it('the golden image holds no secret, no machine-id, no host key', async () => {
      const e = e2e();
      await checkGeneralized(image, [e.artifacts.keystorePassword], { openssl: true });
    });

    instanceChecks(() => ({ c, x }), { openssl: true });

    if (o.boot3) {
      describe.sequential('boot 3: a reboot of the instance', () => {
        let before = '';
        beforeAll(async () => {
          const e = e2e();
          before = await fs.readFile(c.hostPath('var/lib/cocca/firstboot.json'), 'utf8');
          await c.poweroff();
          c = await Container.boot({ name: `${name}-boot3`, rootfs: instanceRoot, binds: e.binds, logDir: e.logDir });
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

goldenFlow('golden flow: registry image, first boot, reboot', (e) => e.registry, 'golden', { fqdn: 'registry-1.e2e.test', boot3: true });
goldenFlow('golden flow: whois-dr role', (e) => e.whoisDr, 'whois', { boot3: false });
