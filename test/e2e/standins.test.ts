/**
 * The stand-ins of test/e2e/lib/standins.ts, checked on this host before the end-to-end tests
 * rely on them: the Resin stand-in tarball is unpacked, configured with the seed's flags (under
 * a temp prefix), built and installed with the JDK, and run from the built-in resin.xml
 * template rendered by the product (ports moved to free high ones). Loopback traffic only;
 * every server this file starts is stopped by its PID (SIGTERM) after each test.
 *
 * Run: npx vitest run --config vitest.e2e.config.ts test/e2e/standins.test.ts
 * (the default vitest.config.ts excludes test/e2e/**, and vitest's CLI cannot undo that).
 * It needs a JDK (javac, jar, keytool): $COCCA_E2E_JAVA_HOME, default /usr/lib/jvm/java-17-openjdk-amd64.
 */
import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderResinXml, RESIN_SERVER_ID } from '../../generator/stack/resin-xml.js';
import { buildStandIns, LAB_KEYSTORE_CN, RESIN_STANDIN_VERSION, type StandIns } from './lib/standins.js';

const JAVA_HOME = process.env.COCCA_E2E_JAVA_HOME ?? '/usr/lib/jvm/java-17-openjdk-amd64';
const FQDN = 'registry.e2e.test';
/** Distinctive, so that finding it anywhere in a page or a log is a real leak. */
const DB_PASSWORD = 'Db-pw-x7Kq2';
const DB_NAME = 'cocca';

/** The seed's configure line (generator/stack/resin.ts) with PREFIX for /opt/resin. */
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
  });
  const xml = fill(template, {
    PRIVATE_IPV4: values.address,
    FQDN,
    KEYSTORE_FILE: values.keystore,
    KEYSTORE_PASSWORD: standIns.labKeystorePassword,
    DB_PASSWORD,
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

    // Resin serves a request only through a <host> matching its Host header (or a default host).
    expect((await get('http', '127.0.0.1', httpPort, { host: '127.0.0.1' })).status).toBe(404);
    // ROOT.war's files are served
    const index = await get('https', '::1', httpsPort, { path: '/index.html' });
    expect(index.status).toBe(200);
    expect(index.body).toContain('cocca stand-in war: registry');
    expect((await get('http', '127.0.0.1', httpPort, { path: '/WEB-INF/web.xml' })).status).toBe(404);

    // The cluster port is bound on the server's address only.
    expect(await canConnect('127.0.0.1', clusterPort)).toBe(true);
    expect(await canConnect('::1', clusterPort)).toBe(false);

    // The access log of the template's <host-default> is written.
    expect(await readFile(path.join(prefix, 'log', 'access.log'), 'utf8')).toContain('"GET /index.html HTTP/1.1" 200');

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
    const exit = await Promise.race([
      server.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after 30 s:\n${server.output()}`)), 30_000)),
    ]);
    started.delete(server);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(server.output()).toContain(`its address ${address} is not an address of a local network interface`);
    expect(await canConnect('127.0.0.1', httpPort)).toBe(false);
  }, 60_000);
});
