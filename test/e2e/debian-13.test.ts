/**
 * End to end on Debian 13 (trixie): the full flow (a stock trixie image + `user-data --mode full`
 * reaches a running registry) in a trixie systemd-nspawn container, from a trixie bundle (cocca-bake bundle)
 * built from deb.debian.org (lib/bundle.ts), with the artifacts and stand-ins of the Debian 12
 * flows. The profile takes what trixie's archive carries: PostgreSQL 17 and OpenJDK 21. It does
 * not compile OpenSSL 1.1.1 (the Debian 12 flows prove that build; CI time). The instance checks
 * are the Debian 12 flows' own (lib/instance-tests.ts). Prints its figures at the end.
 * `npx vitest run --config vitest.e2e.config.ts test/e2e/debian-13.test.ts`; needs root.
 */
import * as fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageFor, type InstanceExpect } from './lib/checks.js';
import { closeAllClients } from './lib/client.js';
import { cleanupE2E, copyRootfs, prepareOsE2E, userData, type OsE2E } from './lib/env.js';
import { instanceChecks, waitFirstboot } from './lib/instance-tests.js';
import { Container, stopAll } from './lib/nspawn.js';
import { DEBIAN_13 } from './lib/profile.js';
import { PRIVATE_IPV4, PRIVATE_IPV6 } from './lib/rootfs.js';
import { secs } from './lib/run.js';
import { workaroundReport } from './lib/workarounds.js';

const MIN = 60_000;
const figures: Array<[string, string]> = [];
let env: OsE2E | undefined;

afterAll(async () => {
  closeAllClients();
  await stopAll();
  const logs = await cleanupE2E(env).catch((e: Error) => `(cleanup failed: ${e.message})`);
  console.log(['', 'cocca-bake end-to-end figures, Debian 13 (wall time; not asserted):', ...figures.map(([k, v]) => `  ${k.padEnd(58)} ${v}`), `  logs: ${logs ?? '-'}`, ...workaroundReport().map((l) => `  ${l}`), ''].join('\n'));
}, 10 * MIN);

describe.sequential('full flow: a stock Debian 13 (trixie) image and full.yaml', () => {
  let c: Container;
  let x: InstanceExpect;

  beforeAll(async () => {
    const t0 = Date.now();
    env = await prepareOsE2E(DEBIAN_13);
    for (const [what, ms] of env.prepared) figures.push([what, secs(ms)]);
    const e = env;
    const p = e.registry;
    const ud = await userData(p, 'full');
    const { dir } = await copyRootfs(e, e.stock, 'full');
    const t1 = Date.now();
    c = await Container.boot({ name: 'e2e-full-trixie', rootfs: dir, userData: ud, instanceId: `e2e-full-trixie-${Date.now()}`, localHostname: 'e2e-full', binds: e.binds, logDir: e.logDir });
    const st = await waitFirstboot(c, 40 * MIN);
    figures.push(['full install (boot to registry answering)', secs(Date.now() - t1)]);
    const bake = JSON.parse(await fs.readFile(c.hostPath('var/lib/cocca/bake.json'), 'utf8')) as { steps: Array<{ step: string; ms?: number }> };
    figures.push(['  of which bake steps (bake.json)', secs(bake.steps.reduce((s, b) => s + (b.ms ?? 0), 0))]);
    figures.push(['  first boot (firstboot.json totalMs)', secs(st.totalMs ?? 0)]);
    figures.push(['flow until the checks (prepare, boot, bake, first boot)', secs(Date.now() - t0)]);
    x = { profile: p, fqdn: p.fqdn, keystoreCn: e.artifacts.keystoreCn, page: pageFor(p.fqdn, p.role), ipv4: PRIVATE_IPV4, ipv6: PRIVATE_IPV6 };
  }, 60 * MIN);

  afterAll(async () => {
    await c?.poweroff();
  }, 5 * MIN);

  it("is Debian 13, running trixie's PostgreSQL 17 and OpenJDK 21", async () => {
    expect((await c.sh('cat /etc/debian_version')).trim()).toMatch(/^13\./);
    expect((await c.sh('. /etc/os-release; echo "$VERSION_CODENAME"')).trim()).toBe('trixie');
    // The one cluster, PostgreSQL 17's, online (pg_lsclusters: version, name, port, status, ...).
    expect((await c.sh('pg_lsclusters -h')).trim().split(/\s+/).slice(0, 4)).toEqual(['17', 'main', '5432', 'online']);
    expect((await c.sh('/usr/lib/jvm/cocca-java/bin/java -version 2>&1 | head -1')).trim()).toMatch(/^openjdk version "21\./);
    // Every JVM running (Resin's) is that JDK's.
    expect((await c.sh('for p in $(pgrep -x java); do readlink -f /proc/$p/exe; done | sort -u')).trim()).toBe('/usr/lib/jvm/java-21-openjdk-amd64/bin/java');
  });

  instanceChecks(() => ({ c, x }), { openssl: false });
});
