/**
 * The stand-ins of test/e2e/lib/standins.ts, checked on this host before the end-to-end tests
 * rely on them: the Resin stand-in tarball is unpacked, configured with the seed's flags (under
 * a temp prefix), built and installed with the JDK, and run from the built-in resin.xml
 * template rendered by the product (ports moved to free high ones), or from a small resin.xml
 * a test writes for the behaviour it checks. Loopback traffic only; every server this file
 * starts is stopped by its PID (SIGTERM) after each test, and a server JVM left behind by a
 * failing watchdog is killed by its PID.
 *
 * Run: npx vitest run --config vitest.e2e.config.ts test/e2e/standins.test.ts
 * (the default vitest.config.ts excludes test/e2e/**, and vitest's CLI cannot undo that).
 * It needs a JDK (javac, jar, keytool): $COCCA_E2E_JAVA_HOME, default /usr/lib/jvm/java-17-openjdk-amd64.
 */
import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderResinXml, RESIN_SERVER_ID } from '../../generator/components/resin/resin-xml.js';
import { buildStandIns, LAB_KEYSTORE_CN, RESIN_STANDIN_VERSION, type StandIns } from './lib/standins.js';

const JAVA_HOME = process.env.COCCA_E2E_JAVA_HOME ?? '/usr/lib/jvm/java-17-openjdk-amd64';
const FQDN = 'registry.e2e.test';
/** Distinctive, so that finding it anywhere in a page or a log is a real leak. */
const DB_PASSWORD = 'Db-pw-x7Kq2';
const DB_NAME = 'cocca';

/** The seed's configure line (generator/components/resin/index.ts) with PREFIX for /opt/resin. */
const seedFlags = (prefix: string): string[] => [
  '--enable-64bit',
  `--prefix=${prefix}`,
  `--with-resin-root=${prefix}`,
  `--with-resin-log=${prefix}/log`,
  `--with-resin-conf=${prefix}/conf`,
];

let work = '';
let standIns: StandIns;
let srcDir = '';
let prefix = '';
let initScript = '';
const javaEnv = (): NodeJS.ProcessEnv => ({ ...process.env, JAVA_HOME, PATH: `${JAVA_HOME}/bin:${process.env.PATH ?? ''}` });

// -------------------------------------------------------------------------------------------------
// servers started here

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const started = new Set<Server>();

function startResin(env: NodeJS.ProcessEnv = {}, args: string[] = ['-server', RESIN_SERVER_ID]): Server {
  const child = spawn(path.join(prefix, 'bin', 'resinctl'), ['start-with-foreground', ...args], {
    cwd: prefix, // the unit's WorkingDirectory
    env: { ...javaEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const server = { child, output: () => out, exited };
  started.add(server);
  return server;
}

/** SIGTERM to the PID this file started (resinctl execs the JVM), SIGKILL after 20 s. */
async function stopResin(server: Server): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 20_000);
    await server.exited;
    clearTimeout(timer);
  }
  started.delete(server);
  return server.exited;
}

/** The exit of a server expected to stop by itself (a refused configuration, a dead server JVM). */
async function exitWithin(server: Server, ms = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const exit = await Promise.race([
    server.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms:\n${server.output()}`)), ms)),
  ]);
  started.delete(server);
  return exit;
}

// -------------------------------------------------------------------------------------------------
// helpers

async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) {
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, '::', () => resolve());
    });
    ports.add((srv.address() as AddressInfo).port);
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
  return [...ports];
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** What cocca-fill-template does at first boot: every @@NAME@@ replaced by its XML-escaped value. */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/@@([A-Z0-9_]+)@@/g, (_all, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for @@${name}@@`);
    return escapeXml(v);
  });
}

interface Ports {
  http: number;
  https: number;
  cluster: number;
  watchdog: number;
}

/** What first boot's cocca-sizing would give this instance; distinctive, so the page shows they arrived. */
const RESIN_HEAP_MB = 160;
const DB_MAX_CONNECTIONS = 187;
const LOG_KEEP_DAYS = 14;

/** conf/resin.xml from the product's built-in template, filled as first boot would. */
async function writeResinXml(ports: Ports, values: { address: string; keystore: string }): Promise<string> {
  const template = renderResinXml({
    resinHome: prefix,
    httpPort: ports.http,
    httpsPort: ports.https,
    clusterPort: ports.cluster,
    watchdogPort: ports.watchdog,
    jvmArgs: '-Xmx256m',
    runAs: 'root',
    database: DB_NAME,
    dbUser: 'postgres',
    jndiName: 'jdbc/registry',
    logKeepDays: LOG_KEEP_DAYS,
  });
  const xml = fill(template, {
    PRIVATE_IPV4: values.address,
    FQDN,
    KEYSTORE_FILE: values.keystore,
    KEYSTORE_PASSWORD: standIns.labKeystorePassword,
    DB_PASSWORD,
    RESIN_HEAP_MB: String(RESIN_HEAP_MB),
    DB_MAX_CONNECTIONS: String(DB_MAX_CONNECTIONS),
  });
  const file = path.join(prefix, 'conf', 'resin.xml');
  await writeFile(file, xml, { mode: 0o640 });
  return xml;
}

interface Reply {
  status: number;
  body: string;
  cn?: string;
}

function get(scheme: 'http' | 'https', address: string, port: number, opts: { host?: string; path?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { Host: opts.host ?? FQDN };
    const done = (res: http.IncomingMessage): void => {
      let body = '';
      let cn: string | undefined;
      if (scheme === 'https') {
        const subject = (res.socket as TLSSocket).getPeerCertificate().subject as unknown as Record<string, string | string[]> | undefined;
        const value = subject?.CN;
        cn = Array.isArray(value) ? value[0] : value;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn }));
      res.on('error', reject);
    };
    const common = { host: address, port, path: opts.path ?? '/', headers, agent: false as const, timeout: 10_000 };
    const req = scheme === 'https' ? https.get({ ...common, rejectUnauthorized: false }, done) : http.get(common, done);
    req.on('timeout', () => req.destroy(new Error(`${scheme}://${address}:${port} timed out`)));
    req.on('error', reject);
  });
}

async function waitReady(server: Server, port: number, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the Resin stand-in exited (${server.child.exitCode ?? server.child.signalCode}):\n${server.output()}`);
    }
    try {
      await get('http', '127.0.0.1', port);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`the Resin stand-in did not answer on ${port} in ${timeoutMs} ms:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function canConnect(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port });
    s.setTimeout(3000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** A TEST-NET address on none of this machine's interfaces. */
function nonLocalAddress(): string {
  const local = new Set(Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)));
  const free = ['192.0.2.1', '198.51.100.1', '203.0.113.1'].find((a) => !local.has(a));
  if (!free) throw new Error('every TEST-NET candidate is local here');
  return free;
}

/**
 * A resin.xml written by a test for the behaviour it checks (not the product's template): one
 * cluster "app" with the server app-0 on 127.0.0.1, a plain <http> listener, and the parts given.
 */
function smallResinXml(
  ports: { http: number; cluster: number; watchdog: number },
  parts: { clusterDefault?: string; cluster?: string; server?: string; address?: string; hosts?: string },
): string {
  const hosts = parts.hosts ?? `<host id="${FQDN}" root-directory="${prefix}"><web-app-deploy path="webapps"/></host>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<resin xmlns="http://caucho.com/ns/resin">
  <cluster-default>${parts.clusterDefault ?? ''}</cluster-default>
  <cluster id="app">
    ${parts.cluster ?? ''}
    <server id="${RESIN_SERVER_ID}" address="${parts.address ?? '127.0.0.1'}" port="${ports.cluster}">
      <watchdog-port>${ports.watchdog}</watchdog-port>
      ${parts.server ?? ''}
      <http address="*" port="${ports.http}"/>
    </server>
    ${hosts}
  </cluster>
</resin>
`;
}

/** A <database> for the fake driver below, with the test's password; `pool` goes into its start tag. */
const database = (pool = '', children = ''): string => `<database jndi-name="jdbc/registry" ${pool}>
      ${children}
      <driver type="org.postgresql.Driver">
        <url>jdbc:postgresql://127.0.0.1:5432/${DB_NAME}</url>
        <user>postgres</user>
        <password>${DB_PASSWORD}</password>
      </driver>
    </database>`;

async function smallPorts(): Promise<{ http: number; cluster: number; watchdog: number }> {
  const [httpPort, cluster, watchdog] = (await freePorts(3)) as [number, number, number];
  return { http: httpPort, cluster, watchdog };
}

/** Starts the stand-in on `xml` (as conf/resin.xml) and waits until it answers. */
async function startWith(xml: string, httpPort: number): Promise<Server> {
  await writeFile(path.join(prefix, 'conf', 'resin.xml'), xml);
  const server = startResin();
  await waitReady(server, httpPort);
  return server;
}

/** resinctl must exit 1 on `xml`, a configuration error, before it starts any server JVM. */
async function expectRefused(xml: string, message: string): Promise<void> {
  await writeFile(path.join(prefix, 'conf', 'resin.xml'), xml);
  const server = startResin();
  const exit = await exitWithin(server);
  expect(exit.code, server.output()).toBe(1);
  expect(server.output()).toContain(message);
  expect(server.output()).not.toContain('in a separate JVM');
}

/** Server JVMs seen by a test: killed after it if a failing watchdog left them running. */
const serverJvms = new Set<number>();

/** The PIDs whose parent is `pid`, from /proc (Linux): the server JVM of a watchdog. */
async function childPids(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let line: string;
    try {
      line = await readFile(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(line.slice(line.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(name));
  }
  for (const child of children) serverJvms.add(child);
  return children;
}

const cmdline = async (pid: number): Promise<string[]> => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').slice(0, -1);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/**
 * A fake org.postgresql.Driver for Resin's lib/: accepts the password in $FAKEPG_ACCEPT (then
 * current_database() is the url's database), else fails with a message that HOLDS the password,
 * so that the stand-in's redaction is tested.
 */
const FAKE_DRIVER = `package org.postgresql;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.sql.*;
import java.util.Properties;
import java.util.logging.Logger;

public class Driver implements java.sql.Driver {
  static Object proxy(Class<?> type, InvocationHandler h) {
    return Proxy.newProxyInstance(Driver.class.getClassLoader(), new Class<?>[] {type}, h);
  }

  static Object common(Object self, String name, Object[] args) throws SQLException {
    switch (name) {
      case "close": case "setQueryTimeout": return null;
      case "isClosed": return false;
      case "hashCode": return System.identityHashCode(self);
      case "equals": return self == args[0];
      case "toString": return "fake-pgjdbc";
      default: throw new SQLFeatureNotSupportedException("fake driver: " + name);
    }
  }

  public Connection connect(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) return null;
    String pw = info.getProperty("password");
    if (pw == null || !pw.equals(System.getenv("FAKEPG_ACCEPT"))) {
      throw new SQLException("FATAL: password authentication failed for user \\"" + info.getProperty("user") + "\\" (fake driver, given password " + pw + ")", "28P01");
    }
    final String db = url.replaceAll("^.*/([^/?]+)(\\\\?.*)?$", "$1");
    final boolean[] read = {false};
    final Object rs = proxy(ResultSet.class, (self, m, a) -> {
      if (m.getName().equals("next")) { boolean first = !read[0]; read[0] = true; return first; }
      if (m.getName().equals("getString")) return db;
      return common(self, m.getName(), a);
    });
    final Object st = proxy(Statement.class, (self, m, a) -> m.getName().equals("executeQuery") ? rs : common(self, m.getName(), a));
    return (Connection) proxy(Connection.class, (self, m, a) -> m.getName().equals("createStatement") ? st : common(self, m.getName(), a));
  }

  public boolean acceptsURL(String url) { return url != null && url.startsWith("jdbc:postgresql:"); }
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) { return new DriverPropertyInfo[0]; }
  public int getMajorVersion() { return 42; }
  public int getMinorVersion() { return 7; }
  public boolean jdbcCompliant() { return false; }
  public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
}
`;

async function installFakeDriver(): Promise<void> {
  const dir = path.join(work, 'fake-pgjdbc');
  await mkdir(path.join(dir, 'src', 'org', 'postgresql'), { recursive: true });
  const src = path.join(dir, 'src', 'org', 'postgresql', 'Driver.java');
  await writeFile(src, FAKE_DRIVER);
  await execa(path.join(JAVA_HOME, 'bin', 'javac'), ['-nowarn', '-d', path.join(dir, 'classes'), src]);
  // Where the product puts the real one: /opt/resin/lib/postgresql-VERSION.jar
  await execa(path.join(JAVA_HOME, 'bin', 'jar'), ['cf', path.join(prefix, 'lib', 'postgresql-42.7.4.jar'), '-C', path.join(dir, 'classes'), '.']);
}

// -------------------------------------------------------------------------------------------------

describe('e2e stand-ins: Resin 4.0.66, ROOT.war, lab keystore', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(JAVA_HOME, 'bin', 'javac'))) throw new Error(`no JDK at ${JAVA_HOME} (set COCCA_E2E_JAVA_HOME)`);
    work = await mkdtemp(path.join(os.tmpdir(), 'cocca-standins-'));
    standIns = await buildStandIns(path.join(work, 'out'));
    await mkdir(path.join(work, 'src'));
    await execa('tar', ['-xzf', standIns.resinTarball, '-C', path.join(work, 'src')]);
    srcDir = path.join(work, 'src', `resin-${RESIN_STANDIN_VERSION}`);
    prefix = path.join(work, 'opt', 'resin');
    // This host has /etc/init.d: put the init script Resin's make install adds under the temp dir.
    initScript = path.join(work, 'etc', 'init.d', 'resin');
    const opts = { cwd: srcDir, env: javaEnv() };
    await execa('./configure', [...seedFlags(prefix), `--with-resin-init-d=${initScript}`], opts);
    await execa('make', [], opts);
    await execa('make', ['install'], opts);
    await installFakeDriver();
  }, 240_000);

  afterEach(async () => {
    for (const server of [...started]) await stopResin(server);
    for (const pid of serverJvms) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    serverJvms.clear();
  }, 60_000);

  afterAll(async () => {
    for (const server of [...started]) await stopResin(server);
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('builds the tarball, the two WARs and the lab keystore', async () => {
    const listing = (await execa('tar', ['-tvzf', standIns.resinTarball])).stdout;
    expect(listing).toMatch(/^-rwxr-xr-x \S+ +\d+ [\d-]+ [\d:]+ resin-4\.0\.66\/configure$/m);
    expect(listing).toMatch(/ resin-4\.0\.66\/Makefile\.in$/m);
    expect(listing).toMatch(/ resin-4\.0\.66\/bin\/resinctl\.in$/m);
    expect(listing.split('\n').every((l) => / resin-4\.0\.66\//.test(l))).toBe(true);

    for (const [war, role] of [
      [standIns.registryWar, 'registry'],
      [standIns.whoisWar, 'whois-dr'],
    ] as const) {
      const r = await execa('unzip', ['-p', war, 'index.html']);
      expect(r.stdout).toContain(`cocca stand-in war: ${role}`);
    }

    const list = await execa(path.join(JAVA_HOME, 'bin', 'keytool'), ['-list', '-v', '-keystore', standIns.labKeystore, '-storepass', standIns.labKeystorePassword]);
    expect(list.stdout).toMatch(/Keystore type: JKS/i);
    expect(list.stdout).toContain('Alias name: star_coccaregistry_org');
    expect(list.stdout).toContain(`Owner: CN=${LAB_KEYSTORE_CN}`);
    expect(list.stdout).toMatch(/2048-bit RSA key/);
  });

  it("configure fails like Resin's without a JDK", async () => {
    const jre = path.join(work, 'jre-only');
    await mkdir(path.join(jre, 'bin'), { recursive: true });
    await writeFile(path.join(jre, 'bin', 'java'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    // Checks come before any file is written, so the configured tree is left as it is.
    const r = await execa('./configure', seedFlags(prefix), { cwd: srcDir, env: { ...process.env, JAVA_HOME: jre }, reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("Can't find JNI directory");
  });

  it('make install lays Resin out under the prefix, with the conf directory baked into resinctl', async () => {
    const resinctl = path.join(prefix, 'bin', 'resinctl');
    expect((await stat(resinctl)).mode & 0o111).not.toBe(0);
    expect(await readFile(resinctl, 'utf8')).toContain(`-conf "${prefix}/conf/resin.xml"`);
    for (const f of ['lib/resin.jar', 'conf/resin.xml']) expect((await stat(path.join(prefix, f))).isFile()).toBe(true);
    for (const d of ['conf/keys', 'log', 'webapps']) expect((await stat(path.join(prefix, d))).isDirectory()).toBe(true);
    expect((await stat(initScript)).mode & 0o111).not.toBe(0);

    const other = await execa(resinctl, ['start-all'], { env: javaEnv(), reject: false });
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toContain('not supported');
    expect((await execa(resinctl, ['shutdown'], { env: javaEnv() })).exitCode).toBe(0);
  });

  it('make install keeps an existing conf/resin.xml', async () => {
    const conf = path.join(prefix, 'conf', 'resin.xml');
    const before = await readFile(conf, 'utf8');
    const mine = '<resin xmlns="http://caucho.com/ns/resin"><!-- the operator\'s --></resin>\n';
    await writeFile(conf, mine);
    try {
      const r = await execa('make', ['install'], { cwd: srcDir, env: javaEnv() });
      expect(r.stdout).toContain(`Will not overwrite ${prefix}/conf/resin.xml`);
      expect(await readFile(conf, 'utf8')).toBe(mine);
    } finally {
      await writeFile(conf, before);
    }
  }, 120_000);

  it('runs the product resin.xml: HTTP and HTTPS on 127.0.0.1 and ::1, the lab certificate, ROOT.war, db status', async () => {
    const [httpPort, httpsPort, clusterPort, watchdogPort] = (await freePorts(4)) as [number, number, number, number];
    await copyFile(standIns.registryWar, path.join(prefix, 'webapps', 'ROOT.war'));
    const xml = await writeResinXml({ http: httpPort, https: httpsPort, cluster: clusterPort, watchdog: watchdogPort }, { address: '127.0.0.1', keystore: standIns.labKeystore });
    expect(xml).toContain(`<http address="*" port="${httpsPort}">`);

    const server = startResin();
    await waitReady(server, httpPort);

    for (const address of ['127.0.0.1', '::1']) {
      const plain = await get('http', address, httpPort);
      expect(plain.status, `http ${address}`).toBe(200);
      expect(plain.body).toContain('cocca stand-in resin');
      expect(plain.body).toContain(`host: ${FQDN}\n`);
      expect(plain.body).toMatch(new RegExp(`war: present \\d+ bytes ${prefix}/webapps/ROOT\\.war`));
      expect(plain.body).toContain('app: registry\n');
      expect(plain.body).toMatch(/^db: error .*password authentication failed/m);
      expect(plain.body).not.toContain(DB_PASSWORD);

      const tls = await get('https', address, httpsPort);
      expect(tls.status, `https ${address}`).toBe(200);
      expect(tls.body).toContain(`listener: https *:${httpsPort}`);
      expect(tls.cn).toBe(LAB_KEYSTORE_CN);
    }

    // The registry is Resin's default host: a request by IP address reaches it too.
    const byIp = await get('http', '127.0.0.1', httpPort, { host: `127.0.0.1:${httpPort}` });
    expect(byIp.status).toBe(200);
    expect(byIp.body).toContain(`host: ${FQDN}\n`);
    expect(byIp.body).toContain(`db-pool: max-connections=${DB_MAX_CONNECTIONS} max-overflow-connections=0\n`);
    // The sized heap, then the operator's jvm-arg-line, whose -Xmx256m java takes as the last one.
    expect(byIp.body).toContain(`jvm-args: -Xms${RESIN_HEAP_MB}m -Xmx${RESIN_HEAP_MB}m -Xmx256m\n`);
    // Whatever collector the JVM picks here: G1 reports -Xmx exactly, Serial or Parallel some 4% less.
    const heap = Number(/^jvm-max-heap-mb: (\d+)$/m.exec(byIp.body)?.[1]);
    expect(heap).toBeGreaterThanOrEqual(230);
    expect(heap).toBeLessThanOrEqual(256);
    // ROOT.war's files are served
    const index = await get('https', '::1', httpsPort, { path: '/index.html' });
    expect(index.status).toBe(200);
    expect(index.body).toContain('cocca stand-in war: registry');
    expect((await get('http', '127.0.0.1', httpPort, { path: '/WEB-INF/web.xml' })).status).toBe(404);

    // The cluster port is bound on the server's address only.
    expect(await canConnect('127.0.0.1', clusterPort)).toBe(true);
    expect(await canConnect('::1', clusterPort)).toBe(false);

    // The access log of the template's <host-default> is written, its rollover settings accepted.
    expect(await readFile(path.join(prefix, 'log', 'access.log'), 'utf8')).toContain('"GET /index.html HTTP/1.1" 200');
    expect(server.output()).toContain(`rollover-period 1D, rollover-count ${LOG_KEEP_DAYS}`);

    const exit = await stopResin(server);
    expect(exit.code === 143 || exit.signal === 'SIGTERM').toBe(true);
    expect(server.output()).toContain('shutdown: stopped');
    expect(server.output()).not.toContain(DB_PASSWORD);
  }, 90_000);

  it('reports db: ok through the JDBC driver in lib/, and finds a relative key-store-file under the root directory', async () => {
    const [httpPort, httpsPort, clusterPort, watchdogPort] = (await freePorts(4)) as [number, number, number, number];
    await mkdir(path.join(prefix, 'conf', 'keys'), { recursive: true });
    await copyFile(standIns.labKeystore, path.join(prefix, 'conf', 'keys', 'cocca-lab.jks'));
    await chmod(path.join(prefix, 'conf', 'keys', 'cocca-lab.jks'), 0o600);
    await writeResinXml({ http: httpPort, https: httpsPort, cluster: clusterPort, watchdog: watchdogPort }, { address: '127.0.0.1', keystore: 'conf/keys/cocca-lab.jks' });

    const server = startResin({ FAKEPG_ACCEPT: DB_PASSWORD });
    await waitReady(server, httpPort);
    const r = await get('https', '127.0.0.1', httpsPort);
    expect(r.status).toBe(200);
    expect(r.body).toContain(`db: ok ${DB_NAME}\n`);
    expect(r.cn).toBe(LAB_KEYSTORE_CN);
    expect(server.output()).toContain(`${prefix}/conf/keys/cocca-lab.jks`);
  }, 90_000);

  it('refuses to start a server whose address is not local', async () => {
    const [httpPort, httpsPort, clusterPort, watchdogPort] = (await freePorts(4)) as [number, number, number, number];
    const address = nonLocalAddress();
    await writeResinXml({ http: httpPort, https: httpsPort, cluster: clusterPort, watchdog: watchdogPort }, { address, keystore: standIns.labKeystore });

    const server = startResin();
    const exit = await exitWithin(server);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(server.output()).toContain(`its address ${address} is not an address of a local network interface`);
    expect(await canConnect('127.0.0.1', httpPort)).toBe(false);
  }, 60_000);

  it("runs the server in a child JVM with resin.xml's <jvm-arg>s and <jvm-arg-line>s, merged as Resin merges them; SIGTERM stops both with 143", async () => {
    const ports = await smallPorts();
    // cluster-default's server-default, then the cluster's, then the server: java takes the last
    // -Xmx, so a wrong order would show as a 64 MiB heap. G1 is pinned because its
    // Runtime.maxMemory() is exactly -Xmx (tolerance 0); the Serial or Parallel collector (which
    // the JVM picks with 1 CPU or under 1792 MB) reports -Xmx less a survivor space, some 4% less.
    const xml = smallResinXml(ports, {
      clusterDefault: '<server-default><jvm-arg>-Xmx64m</jvm-arg></server-default>',
      cluster: `<server-default><jvm-arg-line>-XX:+UseG1GC -Dcocca.probe=default</jvm-arg-line></server-default>
    ${database()}`,
      server: `<jvm-arg>-Xms96m</jvm-arg>
      <jvm-arg>-Xmx96m</jvm-arg>
      <jvm-arg-line>  -Dcocca.probe=server
        -Dcocca.other=1 </jvm-arg-line>`,
    });
    const args = ['-Xmx64m', '-XX:+UseG1GC', '-Dcocca.probe=default', '-Xms96m', '-Xmx96m', '-Dcocca.probe=server', '-Dcocca.other=1'];
    const server = await startWith(xml, ports.http);
    const parent = server.child.pid!;

    const page = await get('http', '127.0.0.1', ports.http);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`jvm-args: ${args.join(' ')}\n`);
    expect(page.body).toContain('jvm-max-heap-mb: 96\n');
    // The server JVM loaded the JDBC driver from Resin's lib/: same classpath as resinctl's.
    expect(page.body).toMatch(/^db: error .*password authentication failed/m);

    const children = await childPids(parent);
    expect(children).toHaveLength(1);
    const child = children[0]!;
    expect(await readlink(`/proc/${child}/exe`)).toBe(await readlink(`/proc/${parent}/exe`));
    // Like Resin's WatchdogChild: the arguments of resin.xml first, as they are.
    expect((await cmdline(child)).slice(1, 1 + args.length)).toEqual(args);
    expect(await cmdline(parent)).not.toContain('-Xmx96m');

    const exit = await stopResin(server);
    expect(exit).toEqual({ code: 143, signal: null });
    expect(isAlive(child)).toBe(false);
    // The server JVM stopped through its shutdown hook (a SIGTERM), not a kill.
    expect(server.output()).toContain('shutdown: stopped');
    expect(server.output()).not.toContain(DB_PASSWORD);
  }, 90_000);

  it("exits with the server JVM's status: 137 when it is killed, 2 when it cannot start", async () => {
    const ports = await smallPorts();
    const server = await startWith(smallResinXml(ports, { server: '<jvm-arg>-Xmx64m</jvm-arg>' }), ports.http);
    const [child] = await childPids(server.child.pid!);
    process.kill(child!, 'SIGKILL');
    expect(await exitWithin(server)).toEqual({ code: 137, signal: null });
    expect(server.output()).toContain('watchdog: the server JVM exited with status 137');

    const address = nonLocalAddress();
    await writeFile(path.join(prefix, 'conf', 'resin.xml'), smallResinXml(ports, { server: '<jvm-arg>-Xmx64m</jvm-arg>', address }));
    const failing = startResin();
    expect(await exitWithin(failing)).toEqual({ code: 2, signal: null });
    expect(failing.output()).toContain('in a separate JVM');
    expect(failing.output()).toContain(`its address ${address} is not an address of a local network interface`);
  }, 90_000);

  it('runs the server in the resinctl JVM itself when resin.xml gives no JVM arguments', async () => {
    const ports = await smallPorts();
    const server = await startWith(smallResinXml(ports, {}), ports.http);
    const page = await get('http', '127.0.0.1', ports.http);
    expect(page.body).toContain('jvm-args: (none)\n');
    expect(page.body).toMatch(/^jvm-max-heap-mb: \d+$/m);
    expect(page.body).toContain('db-pool: none (resin.xml has no <database>)\n');
    expect(await childPids(server.child.pid!)).toEqual([]);
    expect(await stopResin(server)).toEqual({ code: 143, signal: null });
  }, 60_000);

  it('refuses EL and empty values among the JVM arguments', async () => {
    const ports = await smallPorts();
    await expectRefused(smallResinXml(ports, { server: '<jvm-arg>-Dx=${y}</jvm-arg>' }), '<jvm-arg>: "-Dx=${y}" holds an EL expression');
    await expectRefused(
      smallResinXml(ports, { cluster: '<server-default><jvm-arg-line>-Xmx64m -Dx=#{y}</jvm-arg-line></server-default>' }),
      '<server-default> <jvm-arg-line>: "-Xmx64m -Dx=#{y}" holds an EL expression',
    );
    await expectRefused(smallResinXml(ports, { server: '<jvm-arg> </jvm-arg>' }), 'an empty <jvm-arg>');
  }, 60_000);

  it("reports the <database> pool (Resin's defaults when absent) and refuses bad pool sizes", async () => {
    const ports = await smallPorts();
    const pool = database('max-connections="187"', '<max-overflow-connections>0</max-overflow-connections>');
    let server = await startWith(smallResinXml(ports, { cluster: pool }), ports.http);
    let page = await get('http', '127.0.0.1', ports.http);
    expect(page.body).toContain('db-pool: max-connections=187 max-overflow-connections=0\n');
    expect(page.body).not.toContain(DB_PASSWORD);
    await stopResin(server);
    expect(server.output()).toContain('max-connections 187, max-overflow-connections 0');
    expect(server.output()).not.toContain(DB_PASSWORD);

    server = await startWith(smallResinXml(ports, { cluster: database() }), ports.http);
    page = await get('http', '127.0.0.1', ports.http);
    expect(page.body).toContain('db-pool: max-connections=1024 max-overflow-connections=1024\n');
    await stopResin(server);

    await expectRefused(smallResinXml(ports, { cluster: database('max-connections="0"') }), "max-connections '0' must be at least 1");
    await expectRefused(smallResinXml(ports, { cluster: database('', '<max-connections>lots</max-connections>') }), 'max-connections: "lots" is not an integer');
    await expectRefused(smallResinXml(ports, { cluster: database('max-overflow-connections="1.5"') }), 'max-overflow-connections: "1.5" is not an integer');
  }, 90_000);

  it('sends requests by IP and with any Host to the default host (id="", <host-name>); a named host keeps its own name', async () => {
    const ports = await smallPorts();
    const hosts = `<host id="" root-directory="${prefix}">
      <host-name>registry.example</host-name>
      <web-app-deploy path="webapps"/>
    </host>
    <host id="whois.example" root-directory="${prefix}"/>`;
    let server = await startWith(smallResinXml(ports, { hosts }), ports.http);
    for (const [address, host] of [
      ['127.0.0.1', `127.0.0.1:${ports.http}`],
      ['::1', `[::1]:${ports.http}`],
      ['127.0.0.1', 'unknown.example'],
      ['127.0.0.1', 'registry.example'],
    ] as const) {
      const r = await get('http', address, ports.http, { host });
      expect(r.status, host).toBe(200);
      expect(r.body, host).toContain('host: registry.example\n');
    }
    expect((await get('http', '127.0.0.1', ports.http, { host: 'whois.example' })).body).toContain('host: whois.example\n');
    await stopResin(server);

    // A host-name attribute names a host without making it the default: only named hosts, so a request by IP gets 404.
    const named = `<host host-name="registry.example" root-directory="${prefix}"/>
    <host id="whois.example" root-directory="${prefix}"/>`;
    server = await startWith(smallResinXml(ports, { hosts: named }), ports.http);
    expect((await get('http', '127.0.0.1', ports.http, { host: `127.0.0.1:${ports.http}` })).status).toBe(404);
    const byName = await get('http', '127.0.0.1', ports.http, { host: 'registry.example' });
    expect(byName.status).toBe(200);
    expect(byName.body).toContain('host: registry.example\n');
    await stopResin(server);

    // <host-alias>*</host-alias> makes a named host the default one.
    const star = `<host id="whois.example" root-directory="${prefix}"><host-alias>*</host-alias></host>`;
    server = await startWith(smallResinXml(ports, { hosts: star }), ports.http);
    const byIp = await get('http', '127.0.0.1', ports.http, { host: `127.0.0.1:${ports.http}` });
    expect(byIp.status).toBe(200);
    expect(byIp.body).toContain('host: whois.example\n');
  }, 90_000);

  it("accepts the access-log rollover settings and refuses what Resin's Bytes, int and Period rules refuse", async () => {
    const ports = await smallPorts();
    const accessLog = (attrs: string, children = ''): string =>
      `<host-default><access-log path="log/rolled.log" ${attrs}>${children}</access-log></host-default>`;
    const server = await startWith(
      smallResinXml(ports, {
        clusterDefault: accessLog(
          'rollover-period="1D" rollover-count="14"',
          '<rollover-size>100mb</rollover-size><archive-format>rolled-%Y%m%d.log.gz</archive-format>',
        ),
      }),
      ports.http,
    );
    await get('http', '127.0.0.1', ports.http, { path: '/rolled-probe' });
    expect(server.output()).toContain(
      `access log ${prefix}/log/rolled.log, rollover-period 1D, rollover-count 14, rollover-size 100mb (104857600 bytes), archive-format rolled-%Y%m%d.log.gz`,
    );
    // The line is written once the response has gone out, so it may come a moment after it.
    const logged = async (): Promise<string> => readFile(path.join(prefix, 'log', 'rolled.log'), 'utf8');
    for (let i = 0; i < 50 && !(await logged()).includes('/rolled-probe'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await logged()).toContain('"GET /rolled-probe HTTP/1.1" 404');
    await stopResin(server);

    await expectRefused(smallResinXml(ports, { clusterDefault: accessLog('rollover-size="100"') }), 'rollover-size: "100" needs a unit');
    await expectRefused(smallResinXml(ports, { clusterDefault: accessLog('rollover-size="1T"') }), 'rollover-size: "1T" needs a unit');
    await expectRefused(smallResinXml(ports, { clusterDefault: accessLog('', '<rollover-count>two</rollover-count>') }), 'rollover-count: "two" is not an integer');
    await expectRefused(smallResinXml(ports, { clusterDefault: accessLog('rollover-period="1d"') }), `unknown unit 'd' in "1d"`);
  }, 90_000);
});
