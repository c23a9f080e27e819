/**
 * What a running instance must show (issue item 4), each check run inside the container
 * through nsenter and failing with what it saw. The expected values come from the test
 * profile (profile.ts) and from independent formulas (pgtune), never from the generator.
 */
import { expect } from 'vitest';
import type { RunResult } from './run.js';
import type { TestProfile } from './profile.js';

/** A root shell on an instance: a container (nsenter) or a VM (ssh). */
export interface Shell {
  /** Runs a bash script as root; never throws on a non-zero exit. */
  exec(script: string, o?: { timeoutMs?: number }): Promise<RunResult>;
  /** Runs a bash script as root; its stdout, or an error with its output. */
  sh(script: string, o?: { timeoutMs?: number }): Promise<string>;
}

export interface InstanceExpect {
  profile: TestProfile;
  /** The host name this instance was given (the profile's, or --fqdn). */
  fqdn: string;
  /** The stand-in lab keystore's certificate CN. */
  keystoreCn: string;
  /** What the page at https://FQDN/ must say (the stand-in Resin reports host, WAR role and database). */
  page: RegExp[];
  /** The instance's private addresses, known from how the test wired its network. */
  ipv4: string;
  ipv6: string;
  /** The memory limit the test gave a container (undefined: a VM, whose MemTotal is its RAM). */
  memoryMiB?: number;
}

/** `systemctl is-active` of each unit. */
export async function checkServicesActive(c: Shell, units: string[]): Promise<void> {
  const r = await c.exec(`systemctl is-active ${units.join(' ')}`);
  const states = r.stdout.trim().split('\n');
  const got = Object.fromEntries(units.map((u, i) => [u, states[i] ?? '?']));
  const want = Object.fromEntries(units.map((u) => [u, 'active']));
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    const status = await c.exec(`systemctl status --no-pager -n 30 ${units.join(' ')} 2>&1 | tail -n 150`);
    expect.soft(got, status.stdout).toEqual(want);
  }
  expect(got).toEqual(want);
}

/** TCP listeners on a port: [local address, process] pairs from `ss -Hltnp`. */
async function listeners(c: Shell, port: number): Promise<string[]> {
  const out = await c.sh(`ss -Hltnp 'sport = :${port}'`);
  return out.trim().split('\n').filter(Boolean);
}

/** Resin (java) listens on 80 and 443, on IPv4 and IPv6 (a dual-stack "*" socket or one per family). */
export async function checkResinListening(c: Shell, e: InstanceExpect): Promise<void> {
  for (const port of [80, 443]) {
    const ls = await listeners(c, port);
    expect(ls.length, `listeners on ${port}`).toBeGreaterThan(0);
    for (const l of ls) expect(l, `the listener on ${port} is Resin's JVM`).toMatch(/users:\(\("java"/);
    const addrs = ls.map((l) => l.split(/\s+/)[3] ?? '');
    const v4 = addrs.some((a) => a === `*:${port}` || a === `0.0.0.0:${port}`);
    const v6 = addrs.some((a) => a === `*:${port}` || a === `[::]:${port}`);
    expect({ port, addrs, v4, v6 }).toMatchObject({ v4: true, v6: true });
  }
  // And both families really answer, on loopback and on the private addresses.
  for (const host of ['127.0.0.1', '[::1]', e.ipv4, `[${e.ipv6}]`]) {
    const r = await c.exec(`curl -sS -o /dev/null -w '%{http_code}' --max-time 20 http://${host}/`);
    expect({ url: `http://${host}/`, ok: r.exitCode === 0 && /^[1-5]\d\d$/.test(r.stdout), out: r.all.slice(0, 500) }).toMatchObject({ ok: true });
  }
}

/** HTTPS with the injected keystore: the served certificate is the lab keystore's, the page reports the database. */
export async function checkHttps(c: Shell, e: InstanceExpect): Promise<void> {
  // Resin routes by Host: the registry answers for its FQDN, reached on each address.
  for (const addr of ['127.0.0.1', '[::1]', e.ipv4, `[${e.ipv6}]`]) {
    const r = await c.exec(`curl -sS -k -v --max-time 30 --resolve ${e.fqdn}:443:${addr} https://${e.fqdn}/`);
    const what = `curl -k https://${e.fqdn}/ on ${addr}`;
    expect(r.exitCode, `${what}:\n${r.all.slice(-3000)}`).toBe(0);
    expect(r.stderr, what).toMatch(/HTTP\/[\d.]+ 200/);
    const subject = /^\*\s+subject:\s*(.*)$/m.exec(r.stderr)?.[1] ?? '';
    expect(subject, `certificate subject served on ${addr}`).toMatch(new RegExp(`CN\\s*=\\s*${escapeRe(e.keystoreCn)}(,|$)`));
    for (const re of e.page) expect(r.stdout, `page of ${what}`).toMatch(re);
  }
  // By address, as the guide's https://ipaddress: Resin's default host is the registry.
  for (const addr of [e.ipv4, `[${e.ipv6}]`]) {
    const r = await c.exec(`curl -sS -k --max-time 30 https://${addr}/`);
    expect(r.exitCode, `curl -k https://${addr}/:\n${r.all.slice(-2000)}`).toBe(0);
    for (const re of e.page) expect(r.stdout, `page of https://${addr}/`).toMatch(re);
  }
}

export const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The page lines the stand-in Resin serves for this instance. */
export function pageFor(fqdn: string, role: string): RegExp[] {
  return [new RegExp(`^host: ${escapeRe(fqdn)}$`, 'm'), new RegExp(`^app: ${escapeRe(role)}$`, 'm'), /^db: ok registry$/m];
}

/** resin.xml: this instance's private IPv4 and host name, no placeholder left, not world-readable. */
export async function checkResinXml(c: Shell, e: InstanceExpect): Promise<void> {
  const xml = await c.sh('cat /opt/resin/conf/resin.xml');
  expect(xml).toContain(`<server id="app-0" address="${e.ipv4}"`);
  expect(xml).toContain(`<host id="" root-directory="/opt/resin">\n      <host-name>${e.fqdn}</host-name>`);
  expect(xml.match(/@@[A-Z0-9_]+@@/g) ?? [], 'placeholders left in resin.xml').toEqual([]);
  expect(xml).toContain('<key-store-file>/opt/resin/conf/keys/instance.jks</key-store-file>');
  const mode = (await c.sh('stat -c "%a %U %G" /opt/resin/conf/resin.xml')).trim();
  expect(mode).toBe('640 root resin');
}

/** A psql command line inside the instance: postgres over the local socket with the generated password, never a prompt. */
function psql(sql: string): string {
  return `PGPASSWORD=$(sed -n 's/^POSTGRES_PASSWORD=//p' /etc/cocca/secrets.env) psql -X -w -h /var/run/postgresql -U postgres -d postgres -tA -F '|' -c "${sql.replace(/"/g, '\\"')}"`;
}

/** A kB amount from pg_settings (setting × unit). */
function settingKb(setting: string, unit: string): number {
  const n = Number(setting);
  const units: Record<string, number> = { kB: 1, '8kB': 8, MB: 1024, '16MB': 16384, GB: 1048576 };
  const m = units[unit];
  if (m === undefined) throw new Error(`unknown pg_settings unit ${unit}`);
  return n * m;
}

/** pgtune's 2025 variant (le0pard/pgtune@2f5122d; research domain.md §1), web/ssd, linux, PG 15, in kB. */
export function pgtuneExpected(ramKb: number, cpus: number, connections = 200) {
  const GB = 1048576;
  const MB = 1024;
  const sharedBuffers = Math.floor(ramKb / 4);
  let walBuffers = Math.floor((3 * sharedBuffers) / 100);
  if (walBuffers > 16 * MB) walBuffers = 16 * MB;
  if (walBuffers > 14 * MB && walBuffers < 16 * MB) walBuffers = 16 * MB;
  if (walBuffers < 32) walBuffers = 32;
  const workers = cpus >= 4 ? cpus : 8;
  return {
    max_connections: connections,
    shared_buffers: sharedBuffers,
    effective_cache_size: Math.floor((ramKb * 3) / 4),
    maintenance_work_mem: Math.min(Math.floor(ramKb / 16), 2 * GB),
    wal_buffers: walBuffers,
    work_mem: Math.max(64, Math.floor((ramKb - sharedBuffers) / ((connections + workers) * 3))),
    min_wal_size: 1 * GB,
    max_wal_size: 4 * GB,
    checkpoint_completion_target: 0.9,
    default_statistics_target: 100,
    random_page_cost: 1.1,
    effective_io_concurrency: 200,
    huge_pages: ramKb >= 32 * GB ? 'try' : 'off',
    ...(cpus >= 4 && {
      max_worker_processes: cpus,
      max_parallel_workers_per_gather: Math.min(Math.ceil(cpus / 2), 4),
      max_parallel_workers: cpus,
      max_parallel_maintenance_workers: Math.min(Math.ceil(cpus / 2), 4),
    }),
  };
}

/**
 * How the instance's memory is shared (docs/sizing.md), worked out here from the RAM and CPUs
 * the test measured: Resin's heap 25% of RAM (256 MiB to 32767 MiB), the rest of its JVM
 * max(192 MiB, heap / 4), PostgreSQL's pgtune on what is left; the pool 10 + 10 per CPU, at
 * most max_connections - 3 - max(5, max_connections / 10).
 */
export function sizingExpected(ramKb: number, cpus: number) {
  const heapMb = Math.min(32767, Math.max(256, Math.floor((Math.floor(ramKb / 1024) * 25) / 100)));
  const otherMb = Math.max(192, Math.floor(heapMb / 4));
  const postgresKb = ramKb - (heapMb + otherMb) * 1024;
  const pg = pgtuneExpected(postgresKb, cpus);
  const pool = Math.min(10 + 10 * cpus, pg.max_connections - 3 - Math.max(5, Math.floor(pg.max_connections / 10)));
  return { heapMb, otherMb, postgresKb, pool, pg };
}

/**
 * The RAM (kB) and CPUs this instance has: MemTotal, under the test's memory limit if it set
 * one; the CPUs its init may run on (a shell entered from the host keeps the host's affinity).
 */
export async function measuredSize(c: Shell, e: InstanceExpect): Promise<{ ramKb: number; cpus: number }> {
  const memTotal = Number((await c.sh(`awk '$1 == "MemTotal:" {print $2}' /proc/meminfo`)).trim());
  const list = (await c.sh("awk '$1 == \"Cpus_allowed_list:\" {print $2}' /proc/1/status")).trim();
  const cpus = list.split(',').reduce((n, r) => {
    const [a, b] = r.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
  return { ramKb: e.memoryMiB ? Math.min(memTotal, e.memoryMiB * 1024) : memTotal, cpus };
}

/**
 * PostgreSQL: the generated password logs in (TCP and the local socket, where pg_hba asks for
 * it), a wrong one does not, the registry database exists, pgtune's values for PostgreSQL's
 * share of this instance's RAM and its CPUs are in force, pg_hba uses the profile's method.
 */
export async function checkPostgres(c: Shell, e: InstanceExpect): Promise<{ ramKb: number; cpus: number }> {
  const db = e.profile.expect.database;
  const login = (how: string, pw: string) =>
    c.exec(`export PGPASSWORD=${pw}; psql -X -w -h ${how} -U postgres -d ${db} -tAc 'SELECT current_database()'`);
  // The password as the instance generated it; it never leaves the container's root-only file.
  const pwVar = 'PGPW=$(sed -n "s/^POSTGRES_PASSWORD=//p" /etc/cocca/secrets.env)';
  for (const how of ['127.0.0.1', '::1', '/var/run/postgresql']) {
    const r = await c.exec(`${pwVar}; export PGPASSWORD=$PGPW; [ -n "$PGPW" ] && psql -X -w -h ${how} -U postgres -d ${db} -tAc 'SELECT current_database()'`);
    expect({ host: how, exit: r.exitCode, out: r.all.trim() }).toEqual({ host: how, exit: 0, out: db });
  }
  const wrong = await login('/var/run/postgresql', 'not-the-password');
  expect(wrong.exitCode, 'a wrong password must not log in on the local socket').not.toBe(0);
  expect(wrong.stderr).toMatch(/password authentication failed/);

  const { ramKb, cpus } = await measuredSize(c, e);
  const want = sizingExpected(ramKb, cpus).pg;
  const names = Object.keys(want);
  const rows = await c.sh(psql(`SELECT name, setting, coalesce(unit, '') FROM pg_settings WHERE name IN (${names.map((n) => `'${n}'`).join(',')})`));
  const got: Record<string, number | string> = {};
  for (const line of rows.trim().split('\n')) {
    const [name, setting, unit] = line.split('|') as [string, string, string];
    got[name] = unit ? settingKb(setting, unit) : /^-?[\d.]+$/.test(setting) ? Number(setting) : setting;
  }
  for (const [name, value] of Object.entries(want)) {
    const g = got[name];
    if (typeof value === 'number' && typeof g === 'number' && ['shared_buffers', 'effective_cache_size', 'wal_buffers'].includes(name)) {
      // PostgreSQL keeps these in 8kB blocks, rounded: equal to within one block.
      expect(Math.abs(g - value), `${name}: PostgreSQL has ${g} kB, pgtune for its share of ${ramKb} kB RAM and ${cpus} CPUs gives ${value} kB`).toBeLessThan(8);
    } else {
      expect({ name, value: g }, `pgtune for PostgreSQL's share of ${ramKb} kB RAM and ${cpus} CPUs`).toEqual({ name, value });
    }
  }

  const method = e.profile.expect.authMethod;
  const hba = await c.sh(`cat /etc/postgresql/${e.profile.expect.postgresVersion}/main/pg_hba.conf`);
  expect(hba).toMatch(new RegExp(`^local\\s+all\\s+postgres\\s+${method}\\s*$`, 'm'));
  const rule = await c.sh(psql("SELECT auth_method FROM pg_hba_file_rules WHERE type = 'local' AND 'postgres' = ANY(user_name) AND error IS NULL"));
  expect(rule.trim()).toBe(method);
  return { ramKb, cpus };
}

/** ufw: active, default deny in, and exactly the profile's rules. */
export async function checkFirewall(c: Shell, p: TestProfile): Promise<void> {
  const status = await c.sh('ufw status verbose');
  expect(status).toMatch(/^Status: active$/m);
  expect(status).toMatch(/^Default: deny \(incoming\), allow \(outgoing\)/m);
  const added = (await c.sh('ufw show added'))
    .split('\n')
    .filter((l) => l.startsWith('ufw '))
    .map((l) => l.trim());
  const x = p.expect;
  // ufw lists a single host (/32, /128) by its bare address.
  const shown = (src: string) => src.replace(src.includes(':') ? /\/128$/ : /\/32$/, '');
  const want = [
    ...x.trusted.map(shown).flatMap((src) => [
      `ufw allow from ${src} to any port ${x.sshPort} proto tcp comment 'cocca-ssh'`,
      ...x.trustedPorts.map((port) => `ufw allow from ${src} to any port ${port} comment 'cocca-trusted'`),
    ]),
    // Public ports are TCP (EPP, WHOIS, HTTP(S)).
    ...x.publicPorts.map((port) => `ufw allow ${port}/tcp comment 'cocca-public'`),
  ];
  expect([...added].sort()).toEqual([...want].sort());
  // The rules are in the kernel, in both families, in the container's own network namespace.
  const v4 = await c.sh('iptables -S ufw-user-input');
  const v6 = await c.sh('ip6tables -S ufw6-user-input');
  for (const src of x.trusted) {
    const [rules, fam] = src.includes(':') ? [v6, 'ip6tables'] : [v4, 'iptables'];
    expect(rules, `${fam} ufw rules for ${src}`).toContain(`-s ${src} -p tcp -m tcp --dport ${x.sshPort} -j ACCEPT`);
  }
  for (const port of x.publicPorts) {
    expect(v4).toContain(`-p tcp -m tcp --dport ${port} -j ACCEPT`);
    expect(v6).toContain(`-p tcp -m tcp --dport ${port} -j ACCEPT`);
  }
}

/** sshd's effective configuration carries the hardening. */
export async function checkSshd(c: Shell, p: TestProfile): Promise<void> {
  const t = await c.sh('mkdir -p /run/sshd && sshd -T');
  const kv = new Map(
    t
      .trim()
      .split('\n')
      .map((l) => {
        const i = l.indexOf(' ');
        return [l.slice(0, i), l.slice(i + 1)] as const;
      }),
  );
  const want: Record<string, string> = {
    port: String(p.expect.sshPort),
    allowusers: p.expect.loginUser,
    logingracetime: '30',
    permitrootlogin: 'no',
    maxauthtries: '3',
    hostbasedauthentication: 'no',
    ignorerhosts: 'yes',
    permitemptypasswords: 'no',
    passwordauthentication: 'no',
    kbdinteractiveauthentication: 'no',
    allowtcpforwarding: 'no',
    x11forwarding: 'no',
    clientaliveinterval: '300',
    clientalivecountmax: '2',
  };
  const got = Object.fromEntries(Object.keys(want).map((k) => [k, kv.get(k)]));
  expect(got).toEqual(want);
  expect(kv.get('maxstartups') ?? '').toMatch(/^2(:|$)/);
  await checkServicesActive(c, ['ssh.service']);
}

/** fail2ban's sshd jail is up, reads the journal and bans on the real ssh port. */
export async function checkFail2ban(c: Shell, p: TestProfile): Promise<void> {
  const st = await c.sh('fail2ban-client status sshd');
  expect(st).toMatch(/Journal matches:\s*_SYSTEMD_UNIT=sshd?\.service/);
  const dump = await c.sh('fail2ban-client -d');
  const portLines = dump.split('\n').filter((l) => /\['set', 'sshd', 'action', '[^']+', 'port', /.test(l) || /\['multi-set', 'sshd', 'action', '[^']+', \[.*\['port', /.test(l));
  expect(portLines.length, `port settings of the sshd jail's actions in fail2ban-client -d:\n${dump.split('\n').filter((l) => l.includes("'sshd'")).join('\n').slice(0, 3000)}`).toBeGreaterThan(0);
  for (const l of portLines) expect(l).toMatch(new RegExp(`'port', '${p.expect.sshPort}'`));
}

/** The clock is UTC. */
export async function checkTime(c: Shell): Promise<void> {
  expect((await c.sh('readlink -f /etc/localtime')).trim()).toMatch(/^\/usr\/share\/zoneinfo\/(Etc\/)?UTC$/);
  expect((await c.sh('cat /etc/timezone')).trim()).toBe('UTC');
  expect((await c.sh('date +%Z')).trim()).toBe('UTC');
  // NTP: enabled (systemd-timesyncd does not run in a container: ConditionVirtualization=!container).
  expect((await c.sh('systemctl is-enabled systemd-timesyncd.service')).trim()).toBe('enabled');
}

/** OpenSSL 1.1.1w in /usr/local/ssl; the system's libssl3 untouched and still what system programs use. */
export async function checkOpenssl(c: Shell): Promise<void> {
  expect(await c.sh('/usr/local/ssl/bin/openssl version')).toMatch(/^OpenSSL 1\.1\.1w /);
  expect(await c.sh('ldd /usr/local/ssl/bin/openssl')).toMatch(/libssl\.so\.1\.1 => \/usr\/local\/ssl\/lib\/libssl\.so\.1\.1/);
  expect((await c.sh("dpkg-query -W -f='${Status}' libssl3")).trim()).toBe('install ok installed');
  const verify = await c.exec('dpkg --verify libssl3');
  // The test image leaves out documentation (dpkg path-exclude): those files are "missing", nothing else may differ.
  const changed = verify.all
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^missing\s+\/usr\/share\/(doc|man|locale)\//.test(l));
  expect({ exit: verify.exitCode, changed }, 'dpkg --verify libssl3').toEqual({ exit: 0, changed: [] });
  expect(await c.sh('ldd /usr/bin/curl')).toMatch(/libssl\.so\.3 => \/(usr\/)?lib\/x86_64-linux-gnu\/libssl\.so\.3/);
  // The seed's mv of /usr/bin/openssl, as a dpkg diversion: the packaged binary is kept aside.
  expect(await c.sh('/usr/bin/openssl.distrib version')).toMatch(/^OpenSSL 3\./);
}

/** The per-instance files are root-only. */
export async function checkSecretsRootOnly(c: Shell): Promise<void> {
  const out = await c.sh('stat -c "%n %a %U %G" /etc/cocca /etc/cocca/secrets.env /etc/cocca/values.env /etc/cocca/instance.env');
  expect(out.trim().split('\n')).toEqual([
    '/etc/cocca 700 root root',
    '/etc/cocca/secrets.env 600 root root',
    '/etc/cocca/values.env 600 root root',
    '/etc/cocca/instance.env 600 root root',
  ]);
  const keys = (await c.sh("sed 's/=.*//' /etc/cocca/secrets.env")).trim().split('\n').sort();
  expect(keys).toEqual(['KEYSTORE_PASSWORD', 'POSTGRES_PASSWORD']);
}

/**
 * Resin's side of the sizing: resin.xml's heap and pool are what the split gives for this
 * instance, the running server JVM has that heap, the pool fits below PostgreSQL's
 * max_connections minus its reserved slots, and firstboot.json reports the same figures.
 */
export async function checkSizing(c: Shell, e: InstanceExpect): Promise<{ ramKb: number; cpus: number; heapMb: number; pool: number; maxConnections: number }> {
  const { ramKb, cpus } = await measuredSize(c, e);
  const want = sizingExpected(ramKb, cpus);
  const xml = await c.sh('cat /opt/resin/conf/resin.xml');
  expect(xml).toContain(`<jvm-arg>-Xms${want.heapMb}m</jvm-arg>`);
  expect(xml).toContain(`<jvm-arg>-Xmx${want.heapMb}m</jvm-arg>`);
  expect(xml).toContain(`<max-connections>${want.pool}</max-connections>`);
  expect(xml).toContain('<max-overflow-connections>0</max-overflow-connections>');
  const reserved = Number((await c.sh(`${psql('SHOW superuser_reserved_connections')}`)).trim());
  const maxConnections = Number((await c.sh(`${psql('SHOW max_connections')}`)).trim());
  expect(want.pool, 'the pool leaves the reserved slots and a headroom free').toBeLessThan(maxConnections - reserved);
  // The stand-in, like Resin's watchdog, runs the server JVM with resin.xml's arguments.
  const page = await c.sh('curl -sk --max-time 30 https://127.0.0.1/');
  expect(page).toMatch(new RegExp(`^jvm-args: -Xms${want.heapMb}m -Xmx${want.heapMb}m$`, 'm'));
  const heap = Number(/^jvm-max-heap-mb: (\d+)$/m.exec(page)?.[1]);
  // maxMemory() is -Xmx rounded up to G1's region size (at most 32 MiB), or about 4% less with
  // the serial or parallel collector (a survivor space).
  expect(heap, `the server JVM's max heap vs -Xmx${want.heapMb}m`).toBeGreaterThanOrEqual(Math.floor(want.heapMb * 0.9));
  expect(heap, `the server JVM's max heap vs -Xmx${want.heapMb}m`).toBeLessThanOrEqual(want.heapMb + 32);
  expect(page).toMatch(new RegExp(`^db-pool: max-connections=${want.pool} max-overflow-connections=0$`, 'm'));
  const st = JSON.parse(await c.sh('cat /var/lib/cocca/firstboot.json')) as { sizing: Record<string, number> };
  expect(st.sizing).toMatchObject({ RAM_KB: ramKb, CPUS: cpus, RESIN_HEAP_MB: want.heapMb, POSTGRES_RAM_KB: want.postgresKb, DB_MAX_CONNECTIONS: want.pool, PG_MAX_CONNECTIONS: maxConnections });
  return { ramKb, cpus, heapMb: want.heapMb, pool: want.pool, maxConnections };
}

/** PostgreSQL serves TLS with this instance's own snakeoil certificate (made at first boot). */
export async function checkSnakeoil(c: Shell): Promise<void> {
  const served = await c.sh("echo | openssl s_client -starttls postgres -connect 127.0.0.1:5432 2>/dev/null | openssl x509 -noout -fingerprint -sha256");
  const own = await c.sh('openssl x509 -noout -fingerprint -sha256 -in /etc/ssl/certs/ssl-cert-snakeoil.pem');
  expect(served.trim()).toMatch(/^sha256 Fingerprint=/i);
  expect(served.trim()).toBe(own.trim());
  expect((await c.sh("stat -c '%a %U %G' /etc/ssl/private/ssl-cert-snakeoil.key")).trim()).toBe('640 root ssl-cert');
}

/** firstboot.json of a good first boot, the login banner quiet, the log-retention timer on. */
export async function checkFirstbootRecord(c: Shell): Promise<void> {
  const st = JSON.parse(await c.sh('cat /var/lib/cocca/firstboot.json')) as {
    result: string;
    stage: string;
    totalMs: number;
    serviceMs: number;
    ownMs: number;
    harden: { result: string; steps: Array<{ step: string; ok: boolean }> };
    boot: { result: string };
  };
  expect({ result: st.result, stage: st.stage, harden: st.harden.result, boot: st.boot.result }).toEqual({ result: 'ok', stage: 'finished', harden: 'ok', boot: 'ok' });
  expect(st.harden.steps.map((s) => s.step)).toEqual(['firewall.enable', 'fail2ban.start', 'sshd.harden']);
  expect(st.ownMs + st.serviceMs).toBe(st.totalMs);
  expect((await c.sh('run-parts --lsbsysinit /etc/update-motd.d | grep -c cocca || true')).trim()).toBe('0');
  expect((await c.sh('systemctl is-enabled cocca-resin-logs.timer')).trim()).toBe('enabled');
}
