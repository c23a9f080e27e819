/**
 * The checks of the flows as tests: a running instance's (item 4 of the end-to-end issue) and
 * a golden image's, shared by the container flows and the qemu build flow.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import {
  checkFail2ban,
  checkFirewall,
  checkFirstbootRecord,
  checkHttps,
  checkOpenssl,
  checkPostgres,
  checkResinListening,
  checkResinXml,
  checkSecretsRootOnly,
  checkServicesActive,
  checkSizing,
  checkSnakeoil,
  checkSshd,
  checkTime,
  type InstanceExpect,
  type Shell,
} from './checks.js';
import type { Container } from './nspawn.js';
import { progress, run, tail } from './run.js';

/** The checks of a running instance (item 4), as separate tests. */
export function instanceChecks(get: () => { c: Shell; x: InstanceExpect }, o: { openssl: boolean }): void {
  it('postgresql, resin and fail2ban are active', async () => {
    const { c, x } = get();
    await checkServicesActive(c, ['postgresql.service', `postgresql@${x.profile.expect.postgresVersion}-main.service`, 'resin.service', 'fail2ban.service']);
  });
  it('Resin listens on 80 and 443 over IPv4 and IPv6', async () => {
    await checkResinListening(get().c, get().x);
  });
  it('HTTPS works with the injected keystore and the page reaches the database', async () => {
    await checkHttps(get().c, get().x);
  });
  it("resin.xml carries this instance's address and name, no placeholder", async () => {
    await checkResinXml(get().c, get().x);
  });
  it("PostgreSQL: the generated password logs in, the database exists, pgtune fits PostgreSQL's share, pg_hba as chosen", async () => {
    const { ramKb, cpus } = await checkPostgres(get().c, get().x);
    progress(`pgtune checked for ${ramKb} kB of RAM and ${cpus} CPUs`);
  });
  it("Resin's heap and pool follow the instance's memory and CPUs, below PostgreSQL's max_connections", async () => {
    const s = await checkSizing(get().c, get().x);
    progress(`sizing: ${s.ramKb} kB, ${s.cpus} CPUs: heap ${s.heapMb} MiB, pool ${s.pool} of max_connections ${s.maxConnections}`);
  });
  it("PostgreSQL's TLS uses this instance's own snakeoil key", async () => {
    await checkSnakeoil(get().c);
  });
  it('first boot recorded its stages and timings; the login banner is quiet; the log-retention timer is on', async () => {
    await checkFirstbootRecord(get().c);
  });
  it("ufw is active with exactly the profile's rules", async () => {
    await checkFirewall(get().c, get().x.profile);
  });
  it('sshd -T shows the hardening', async () => {
    await checkSshd(get().c, get().x.profile);
  });
  it("fail2ban's sshd jail watches the real port", async () => {
    await checkFail2ban(get().c, get().x.profile);
  });
  it('the clock is UTC', async () => {
    await checkTime(get().c);
  });
  if (o.openssl) {
    it('OpenSSL 1.1.1w is in /usr/local/ssl and the system libssl3 is untouched', async () => {
      await checkOpenssl(get().c);
    });
  }
  it('the per-instance secrets are root-only', async () => {
    await checkSecretsRootOnly(get().c);
  });
}

/** The image as Packer would snapshot it: nothing of the build machine or of any instance. */
export async function checkGeneralized(image: string, secretsToLookFor: string[], o: { openssl: boolean }): Promise<void> {
  // lstat: links in the image point into the image's own tree, not the host's.
  const exists = async (p: string) => fs.lstat(path.join(image, p)).then(() => true, () => false);
  const mid = (await fs.readFile(path.join(image, 'etc/machine-id'), 'utf8').catch(() => '')).trim();
  expect(['', 'uninitialized']).toContain(mid);
  const ssh = (await fs.readdir(path.join(image, 'etc/ssh'))).filter((f) => f.startsWith('ssh_host_'));
  expect(ssh, 'ssh host keys in the image').toEqual([]);
  // Nothing else one machine holds for itself: each instance makes its own.
  for (const p of ['var/lib/systemd/random-seed', 'var/lib/systemd/credential.secret', 'etc/ssl/private/ssl-cert-snakeoil.key', 'etc/ssl/certs/ssl-cert-snakeoil.pem', 'var/lib/fail2ban/fail2ban.sqlite3']) {
    expect({ path: p, exists: await exists(p) }, 'a per-machine file in the image').toEqual({ path: p, exists: false });
  }
  expect((await fs.readFile(path.join(image, 'etc/hostname'), 'utf8')).trim(), "the build machine's name").toBe('localhost');
  expect(await fs.readFile(path.join(image, 'etc/hosts'), 'utf8'), '/etc/hosts naming the build machine').not.toMatch(/^127\.0\.1\.1\s/m);
  // The cluster is left stopped and out of the boot: first boot tunes it, then starts it once.
  expect((await fs.readFile(path.join(image, 'etc/postgresql/15/main/start.conf'), 'utf8')).replace(/^#.*\n/gm, '').trim()).toBe('manual');
  const cocca = (await fs.readdir(path.join(image, 'etc/cocca')).catch(() => [] as string[])).filter((f) => f.endsWith('.env'));
  expect(cocca, '/etc/cocca/*.env in the image').toEqual([]);
  for (const p of ['var/lib/cocca/firstboot.json', 'var/lib/cocca/firstboot.done', 'var/lib/cocca/configured', 'opt/resin/conf/keys/instance.jks', 'etc/ssh/sshd_config.d/00-cocca.conf']) {
    expect({ path: p, exists: await exists(p) }, 'a first-boot product in the image').toEqual({ path: p, exists: false });
  }
  // Resin's make install leaves its own default resin.xml; cocca's, with this instance's values, comes at first boot.
  const resinXml = await fs.readFile(path.join(image, 'opt/resin/conf/resin.xml'), 'utf8').catch(() => '');
  expect(resinXml, 'resin.xml in the image is not a filled-in cocca one').not.toContain('generated by cocca-bake');
  expect((await fs.readdir(path.join(image, 'var/lib/cloud/instances')).catch(() => [] as string[])).length, 'cloud-init instance data').toBe(0);
  // No secret of this deployment anywhere it could hide.
  for (const s of secretsToLookFor) {
    const r = await run('grep', ['-rlsF', '--', s, ...['etc', 'var', 'opt', 'root', 'home', 'usr/local'].map((d) => path.join(image, d))], { reject: false });
    expect(r.stdout.trim(), 'files holding a secret in the image').toBe('');
  }
  // But what the image must carry: the stack, the first boot enabled.
  expect(await exists('etc/systemd/system/multi-user.target.wants/cocca-firstboot.service')).toBe(true);
  expect(await exists('usr/local/ssl/bin/openssl')).toBe(o.openssl);
}

/**
 * Waits for /var/lib/cocca/firstboot.json with result ok (or failed, when `want` says so); fails
 * fast on the other result, or when cloud-init finished with errors and no first boot is coming
 * (the full flow's bake).
 */
export async function waitFirstboot(c: Container, timeoutMs: number, want: 'ok' | 'failed' = 'ok'): Promise<FirstbootStatus> {
  const file = c.hostPath('var/lib/cocca/firstboot.json');
  let status: FirstbootStatus | undefined;
  await c.waitFor(
    'first boot to finish (/var/lib/cocca/firstboot.json)',
    async () => {
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text) {
        status = JSON.parse(text) as FirstbootStatus;
        if (status.result === want) return true;
        if (status.result !== 'running') return `first boot ended ${status.result}, not ${want}: ${status.reason ?? text}`;
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

/** What went wrong on an instance: cocca's journal, cloud-init, failed units. */
export async function diagnose(c: Shell): Promise<string> {
  const script = [
    'echo "--- journalctl -t cocca"; journalctl -t cocca --no-pager -o short-monotonic | tail -n 120',
    'echo "--- cloud-init status"; cloud-init status --long 2>&1 | tail -n 20',
    'echo "--- cloud-init-output.log"; tail -n 60 /var/log/cloud-init-output.log 2>/dev/null',
    'echo "--- failed units"; systemctl --failed --no-pager --no-legend',
    'echo "--- /var/lib/cocca"; ls /var/lib/cocca 2>&1; cat /var/lib/cocca/*.json 2>/dev/null',
  ].join('; ');
  // A VM that is gone cannot be asked: say so instead of hiding the first failure.
  const r = await c.exec(script, { timeoutMs: 60_000 }).catch((err: Error) => ({ all: `(cannot reach the instance: ${err.message})` }));
  return tail(r.all, 12000);
}

/** /var/lib/cocca/firstboot.json */
export interface FirstbootStatus {
  result: 'ok' | 'failed' | 'running';
  stage?: string;
  reason?: string;
  totalMs?: number;
  serviceMs?: number;
  ownMs?: number;
  resinListeningMs?: number;
  /** Each timed systemctl call of first boot: [units, ms]. */
  servicesMs?: Array<[string, number]>;
  stagesMs?: Record<string, number>;
  sizing?: Record<string, number>;
  harden?: { result: string; steps: Array<{ step: string; ms?: number; ok?: boolean; error?: string }> };
  boot?: { result: string; failedStep?: string; steps: Array<{ step: string; ms?: number; ok?: boolean; skipped?: boolean }> };
}
