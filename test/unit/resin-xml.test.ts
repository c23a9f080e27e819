// resin.xml in two stages: generator/components/resin/resin-xml.ts (ejs, generate time) and
// generator/components/runner/cocca-fill-template (python3, first boot). The filled files are checked
// with xmllint, the way a reader that is not ours sees them.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_JNDI_NAME,
  RESIN_CLUSTER_ID,
  RESIN_PLACEHOLDERS,
  RESIN_SERVER_ID,
  checkOperatorTemplate,
  resinInternalPorts,
  resinListeners,
  renderResinXml,
  renderResinXmlTemplate,
  type ResinXmlInput,
} from '../../generator/components/resin/resin-xml.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FILL = join(ROOT, 'generator/components/runner/cocca-fill-template');
const TEMPLATE_SOURCE = join(ROOT, 'generator/components/resin/resin.xml.ejs');
const isRoot = process.getuid?.() === 0;
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const INPUT: ResinXmlInput = {
  resinHome: '/opt/resin',
  httpPort: 80,
  httpsPort: 443,
  clusterPort: 6800,
  watchdogPort: 6600,
  jvmArgs: '',
  runAs: 'resin',
  database: 'registry',
  dbUser: 'postgres',
  jndiName: DEFAULT_JNDI_NAME,
  logKeepDays: 14,
};

let dir: string;
let n = 0;
/** A fresh subdirectory of the test's temp dir. */
function sub(): string {
  const d = join(dir, `case-${++n}`);
  execFileSync('mkdir', ['-p', d]);
  return d;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cocca-resin-xml-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function fill(template: string, output: string, values: string): Run {
  const r = spawnSync(PYTHON, [FILL, template, output, values], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Values file text from pairs (the test never puts a newline in a value). */
function valuesText(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      if (v.includes('\n')) throw new Error('test bug: newline in a value');
      return `${k}=${v}\n`;
    })
    .join('');
}

/** Render, fill with `values`; returns the paths. Asserts the fill succeeded. */
function renderAndFill(values: Record<string, string>, input: ResinXmlInput = INPUT): { out: string; run: Run; d: string } {
  const d = sub();
  const template = join(d, 'resin.xml.template');
  const out = join(d, 'resin.xml');
  const vals = join(d, 'values.env');
  writeFileSync(template, renderResinXml(input));
  writeFileSync(vals, valuesText(values));
  const run = fill(template, out, vals);
  expect(run.stderr).not.toMatch(/Traceback/);
  expect(run.status, run.stderr).toBe(0);
  return { out, run, d };
}

function xmllintOk(file: string): { ok: boolean; output: string } {
  const r = spawnSync('xmllint', ['--noout', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

/** xmllint --xpath on a file; a string result loses only xmllint's own trailing newline. */
function xpath(file: string, expr: string): string {
  const r = spawnSync('xmllint', ['--xpath', expr, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xmllint --xpath ${expr} failed: ${r.stderr}`);
  return r.stdout.endsWith('\n') ? r.stdout.slice(0, -1) : r.stdout;
}

const el = (name: string): string => `*[local-name()='${name}']`;

const GOOD_VALUES = {
  PRIVATE_IPV4: '10.0.0.5',
  FQDN: 'registry.nic.example',
  DB_PASSWORD: 'Abc123',
  KEYSTORE_FILE: '/opt/resin/conf/keys/registry.jks',
  KEYSTORE_PASSWORD: 'Def456',
  RESIN_HEAP_MB: '1024',
  DB_MAX_CONNECTIONS: '50',
};

// ---------------------------------------------------------------------------

describe('cocca-fill-template, the script itself', () => {
  it('passes python3 -m py_compile (bytecode kept out of the source tree)', () => {
    const cache = sub();
    const r = spawnSync(PYTHON, ['-m', 'py_compile', FILL], { encoding: 'utf8', env: { ...process.env, PYTHONPYCACHEPREFIX: cache } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(join(dirname(FILL), '__pycache__'))).toBe(false);
  });

  it('is executable and runs through its own #! line', () => {
    expect(statSync(FILL).mode & 0o111).toBe(0o111);
    expect(readFileSync(FILL, 'utf8').split('\n')[0]).toBe('#!/usr/bin/python3 -I');
    const r = spawnSync(FILL, [], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: cocca-fill-template TEMPLATE OUTPUT VALUES_FILE/);
  });

  it('uses only the standard library and never a shell', () => {
    const src = readFileSync(FILL, 'utf8');
    const imports = [...src.matchAll(/^(?:import|from)\s+([\w.]+)/gm)].map((m) => m[1]!.split('.')[0]);
    expect(new Set(imports)).toEqual(new Set(['os', 're', 'secrets', 'stat', 'sys', 'tempfile', 'xml']));
    expect(src).not.toMatch(/subprocess|os\.system|os\.popen|\beval\(|\bexec\(|shell\s*=/);
  });
});

describe('the built-in template through both stages', () => {
  const HOSTILE = {
    PRIVATE_IPV4: '10.0.0.5" evil="1',
    FQDN: "reg\texample'\"<&>\r${env.HOME}",
    DB_PASSWORD: "p@ss\"'<&>$(touch /tmp/pwned)`touch /tmp/pwned`${env.HOME}#{1+1}]]><!-- &amp; %s \\ ",
    KEYSTORE_FILE: '/opt/resin/conf/keys/a b&c<d>;$(id).jks',
    KEYSTORE_PASSWORD: ' ]]>`id`$HOME${x}&#38;&lt; ü€😀\u007f\u0085\t',
    RESIN_HEAP_MB: '1"<&',
    DB_MAX_CONNECTIONS: "5'>",
  };

  it('fills hostile values so that an independent parser reads them back exactly', () => {
    const pwnedBefore = existsSync('/tmp/pwned');
    const { out, run } = renderAndFill(HOSTILE);
    expect(xmllintOk(out)).toEqual({ ok: true, output: '' });

    expect(xpath(out, `string(//${el('server')}/@address)`)).toBe(HOSTILE.PRIVATE_IPV4);
    expect(xpath(out, `count(//${el('server')}/@*)`)).toBe('3'); // id, address, port: no injected attribute
    expect(xpath(out, `string(//${el('host')}/${el('host-name')})`)).toBe(HOSTILE.FQDN);
    expect(xpath(out, `string(//${el('server')}/${el('jvm-arg')}[2])`)).toBe(`-Xmx${HOSTILE.RESIN_HEAP_MB}m`);
    expect(xpath(out, `string(//${el('database')}/${el('max-connections')})`)).toBe(HOSTILE.DB_MAX_CONNECTIONS);
    expect(xpath(out, `string(//${el('database')}//${el('password')})`)).toBe(HOSTILE.DB_PASSWORD);
    expect(xpath(out, `string(//${el('jsse-ssl')}/${el('key-store-file')})`)).toBe(HOSTILE.KEYSTORE_FILE);
    expect(xpath(out, `string(//${el('jsse-ssl')}/${el('password')})`)).toBe(HOSTILE.KEYSTORE_PASSWORD);

    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('@@');
    expect(text).not.toMatch(/<%|%>/);
    if (!pwnedBefore) expect(existsSync('/tmp/pwned')).toBe(false);
    // values are never echoed; names are, in the EL warning
    expect(run.stderr).not.toContain('pwned');
    expect(run.stderr).toMatch(/warning: the value of DB_PASSWORD contains "\$\{" or "#\{"; Resin evaluates/);
  });

  it('writes plain values plainly and warns about nothing', () => {
    const { out, run } = renderAndFill(GOOD_VALUES);
    expect(run.stderr).toBe('');
    expect(xpath(out, `string(//${el('server')}/@address)`)).toBe('10.0.0.5');
    expect(readFileSync(out, 'utf8')).toContain('<password>Abc123</password>');
  });

  it('does not expand a placeholder that appears inside a value (single pass)', () => {
    const { out } = renderAndFill({ ...GOOD_VALUES, DB_PASSWORD: 'a@@FQDN@@b' });
    expect(xpath(out, `string(//${el('database')}//${el('password')})`)).toBe('a@@FQDN@@b');
  });

  it('listens dual stack: both http elements have address "*", on 80 and 443', () => {
    const { out } = renderAndFill(GOOD_VALUES);
    const http = `//${el('server')}/${el('http')}`;
    expect(xpath(out, `count(${http})`)).toBe('2');
    expect(xpath(out, `count(${http}[@address='*'])`)).toBe('2');
    expect(xpath(out, `string(${http}[1]/@port)`)).toBe('80');
    expect(xpath(out, `string(${http}[2]/@port)`)).toBe('443');
    expect(xpath(out, `count(${http}[1]/${el('jsse-ssl')})`)).toBe('0');
    expect(xpath(out, `string(${http}[2]/${el('jsse-ssl')}/${el('key-store-type')})`)).toBe('jks');
    // no listener anywhere is bound to a single address
    expect(xpath(out, `count(//${el('http')}[not(@address='*')])`)).toBe('0');
  });

  it('has the Resin 4 structure CoCCA needs', () => {
    const { out } = renderAndFill(GOOD_VALUES);
    expect(xpath(out, `namespace-uri(/*)`)).toBe('http://caucho.com/ns/resin');
    expect(xpath(out, `local-name(/*)`)).toBe('resin');
    expect(xpath(out, `count(//${el('cluster')})`)).toBe('1');
    expect(xpath(out, `string(//${el('cluster')}/@id)`)).toBe(RESIN_CLUSTER_ID);
    expect(xpath(out, `count(//${el('server')})`)).toBe('1');
    expect(xpath(out, `string(//${el('server')}/@id)`)).toBe(RESIN_SERVER_ID);
    expect(xpath(out, `string(//${el('server')}/@port)`)).toBe('6800');
    expect(xpath(out, `string(//${el('server')}/${el('watchdog-port')})`)).toBe('6600');
    const db = `//${el('cluster')}/${el('database')}`;
    expect(xpath(out, `string(${db}/@jndi-name)`)).toBe('jdbc/registry');
    expect(xpath(out, `string(${db}/${el('driver')}/@type)`)).toBe('org.postgresql.Driver');
    expect(xpath(out, `string(${db}/${el('driver')}/${el('url')})`)).toBe('jdbc:postgresql://127.0.0.1:5432/registry');
    expect(xpath(out, `string(${db}/${el('driver')}/${el('user')})`)).toBe('postgres');
    // The heap and the pool cocca-sizing worked out; no overflow past the pool.
    expect(xpath(out, `string(//${el('server')}/${el('jvm-arg')}[1])`)).toBe('-Xms1024m');
    expect(xpath(out, `string(//${el('server')}/${el('jvm-arg')}[2])`)).toBe('-Xmx1024m');
    expect(xpath(out, `string(${db}/${el('max-connections')})`)).toBe('50');
    expect(xpath(out, `string(${db}/${el('max-overflow-connections')})`)).toBe('0');
    // The registry is Resin's default host (id ""): it answers by IP address and any name.
    const host = `//${el('cluster')}/${el('host')}`;
    expect(xpath(out, `count(${host})`)).toBe('1');
    expect(xpath(out, `count(${host}[@id=''])`)).toBe('1');
    expect(xpath(out, `string(${host}/${el('host-name')})`)).toBe('registry.nic.example');
    // Resin rolls its access log daily and keeps logKeepDays archives.
    const log = `//${el('host-default')}/${el('access-log')}`;
    expect([xpath(out, `string(${log}/@rollover-period)`), xpath(out, `string(${log}/@rollover-count)`)]).toEqual(['1D', '14']);
    expect(xpath(out, `string(${host}/${el('web-app-deploy')}/@path)`)).toBe('/opt/resin/webapps');
    expect(xpath(out, `string(${host}/${el('web-app')}[@id='/']/@root-directory)`)).toBe('/opt/resin/webapps/ROOT');
    expect(xpath(out, `string(//${el('dependency-check-interval')})`)).toBe('600s');
    expect(xpath(out, `count(//${el('jvm-arg-line')})`)).toBe('0');
    // app-default.xml gives the standard servlet behaviour
    expect(xpath(out, `string(//${el('cluster-default')}/*[local-name()='import']/@path)`)).toBe('classpath:META-INF/caucho/app-default.xml');
  });

  it('is hardened for production: no dev mode, no resin-doc/admin, no properties, no setuid for runAs resin', () => {
    const { out } = renderAndFill(GOOD_VALUES);
    const markup = readFileSync(out, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    expect(markup).not.toMatch(/development-mode-error-page|resin-doc|resin-admin|resin-rest|AdminAuthenticator|RemoteAdminService|AdminServices|resin:properties|cluster-default\.xml|health\.xml/);
    expect(markup).not.toMatch(/\$\{/); // nothing for Resin's EL to resolve (no resin.properties)
    expect(xpath(out, `count(//${el('user-name')} | //${el('group-name')})`)).toBe('0');
  });
});

describe('renderResinXml (stage 1)', () => {
  it('leaves exactly the known placeholders for first boot, each of them', () => {
    const xml = renderResinXml(INPUT);
    const names = [...xml.matchAll(/@@([A-Z0-9_]+)@@/g)].map((m) => m[1]);
    expect([...new Set(names)].sort()).toEqual([...RESIN_PLACEHOLDERS].sort());
    expect(xml).toContain('address="@@PRIVATE_IPV4@@"');
    expect(xml).toContain('<host-name>@@FQDN@@</host-name>');
    expect(xml).toContain('<max-connections>@@DB_MAX_CONNECTIONS@@</max-connections>');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!--')).toBe(true);
  });

  it('escapes generate-time values with <%= %> (the template never writes raw output)', () => {
    expect(readFileSync(TEMPLATE_SOURCE, 'utf8')).not.toMatch(/<%-/);
    const jvmArgs = `-Xmx6g -Dcocca.note="a<b>&c'd" -Dq='x"y'`;
    const { out } = renderAndFill(GOOD_VALUES, { ...INPUT, jvmArgs });
    expect(xmllintOk(out).ok).toBe(true);
    expect(xpath(out, `string(//${el('server')}/${el('jvm-arg-line')})`)).toBe(jvmArgs);
  });

  it('uses the given ports, database, user, JNDI name and Resin home', () => {
    const { out } = renderAndFill(GOOD_VALUES, {
      ...INPUT,
      resinHome: '/srv/resin-4.0.66',
      httpPort: 8080,
      httpsPort: 8443,
      clusterPort: 6801,
      watchdogPort: 6601,
      database: 'registry_dr',
      dbUser: 'cocca',
      jndiName: 'jdbc/cocca',
    });
    expect(xpath(out, `string(//${el('http')}[1]/@port)`)).toBe('8080');
    expect(xpath(out, `string(//${el('http')}[2]/@port)`)).toBe('8443');
    expect(xpath(out, `string(//${el('server')}/@port)`)).toBe('6801');
    expect(xpath(out, `string(//${el('watchdog-port')})`)).toBe('6601');
    expect(xpath(out, `string(//${el('url')})`)).toBe('jdbc:postgresql://127.0.0.1:5432/registry_dr');
    expect(xpath(out, `string(//${el('database')}//${el('user')})`)).toBe('cocca');
    expect(xpath(out, `string(//${el('database')}/@jndi-name)`)).toBe('jdbc/cocca');
    expect(xpath(out, `string(//${el('web-app')}/@root-directory)`)).toBe('/srv/resin-4.0.66/webapps/ROOT');
    expect(xpath(out, `string(//${el('access-log')}/@path)`)).toBe('/srv/resin-4.0.66/log/access.log');
  });

  it.each<[string, Partial<ResinXmlInput>, RegExp]>([
    ['port 0', { httpPort: 0 }, /httpPort: 0 is not a TCP port/],
    ['port 70000', { watchdogPort: 70000 }, /watchdogPort: 70000 is not a TCP port/],
    ['a port used twice', { clusterPort: 443 }, /clusterPort: port 443 is already used by httpsPort/],
    ['a relative Resin home', { resinHome: 'opt/resin' }, /resinHome/],
    ['a Resin home with ..', { resinHome: '/opt/../etc' }, /resinHome/],
    ['a database name that is not an identifier', { database: 'reg/istry?x=1' }, /database: /],
    ['a database user with a quote', { dbUser: 'post"gres' }, /dbUser: /],
    ['a JNDI name with markup', { jndiName: 'jdbc/<x>' }, /jndiName: /],
    ['jvmArgs with a newline', { jvmArgs: '-Xmx1g\n-Xms1g' }, /jvmArgs: must be one line/],
    ['jvmArgs with a placeholder marker', { jvmArgs: '-Dx=@@FQDN@@' }, /jvmArgs: must not contain "@@"/],
    ['jvmArgs with EL', { jvmArgs: '-Dx=${resin.home}' }, /jvmArgs: must not contain "\$\{"/],
    ['an unknown runAs', { runAs: 'nobody' as 'root' }, /runAs: /],
  ])('refuses %s', (_what, change, message) => {
    expect(() => renderResinXml({ ...INPUT, ...change })).toThrow(message);
  });

  it('refuses to return a rendering first boot could not fill (a template bug)', () => {
    const built = readFileSync(TEMPLATE_SOURCE, 'utf8');
    expect(renderResinXmlTemplate(built, INPUT)).toBe(renderResinXml(INPUT));
    const broken: Array<[string, RegExp]> = [
      [built.replace('<key-store-file>@@KEYSTORE_FILE@@</key-store-file>', ''), /required placeholder @@KEYSTORE_FILE@@ is missing/],
      [built.replace('<logger name="" level="info"/>', '<!-- @@FQDN@@ --><logger name="" level="info"/>'), /placeholder @@FQDN@@ is not in element text/],
      [built.replace('<user><%= r.dbUser %></user>', '<user>@@DB_USER@@</user>'), /unknown placeholder @@DB_USER@@/],
      [built.replace('</database>', ''), /not well-formed XML/],
    ];
    for (const [template, message] of broken) {
      expect(() => renderResinXmlTemplate(template, INPUT)).toThrow(/rendered badly \(a template bug\)/);
      expect(() => renderResinXmlTemplate(template, INPUT)).toThrow(message);
    }
  });

  it('reports every problem at once', () => {
    expect(() => renderResinXml({ ...INPUT, httpPort: -1, database: 'A B' })).toThrow(/httpPort[\s\S]*database/);
  });
});

describe('cocca-fill-template refusals (exit 1, nothing written)', () => {
  function setup(template: string, values: string): { d: string; out: string; run: () => Run } {
    const d = sub();
    const t = join(d, 't.xml');
    const v = join(d, 'v.env');
    writeFileSync(t, template);
    writeFileSync(v, values);
    const out = join(d, 'out.xml');
    return { d, out, run: () => fill(t, out, v) };
  }
  const T = '<?xml version="1.0"?>\n<a x="@@A@@"><!-- note -->\n  <b>@@B@@</b>\n</a>\n';

  it('fails on a placeholder without a value, naming it, and writes nothing', () => {
    const { d, out, run } = setup(T, 'A=1\n');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cocca-fill-template: no value for @@B@@ in /);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(d).sort()).toEqual(['t.xml', 'v.env']); // no temp file left behind
  });

  it('leaves an existing output untouched when it fails', () => {
    const { out, run } = setup(T, 'B=1\n');
    writeFileSync(out, 'previous');
    expect(run().status).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous');
  });

  it('fails on a template that is not well-formed', () => {
    const { d, out, run } = setup('<a><b>@@A@@</a>\n', 'A=1\n');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/template .* is not well-formed XML: mismatched tag \(line 1/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(d).sort()).toEqual(['t.xml', 'v.env']);
  });

  it.each([
    ['a comment', '<a><!-- @@A@@ --></a>'],
    ['a CDATA section', '<a><![CDATA[@@A@@]]></a>'],
    ['a processing instruction', '<a><?pi @@A@@?></a>'],
    ['an element name', '<a><x@@A@@/></a>'],
  ])('refuses a placeholder in %s (escaping cannot make it safe)', (_where, template) => {
    const { out, run } = setup(template, 'A=--><evil/>\n');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/placeholder @@A@@ on line 1 of .* is not in element text or an attribute value/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a template with a DOCTYPE (no entities)', () => {
    const { run } = setup('<!DOCTYPE a [<!ENTITY e "@@A@@">]><a>&e;</a>', 'A=1\n');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/DOCTYPE/);
  });

  it.each([
    ['a NUL', 'A=x\u0000y\n', /value of A contains a NUL character/],
    ['a control character XML cannot hold', 'A=x\u0001y\n', /value of A contains the character U\+0001/],
    ['a CRLF line', 'A=x\r\n', /line 1 ends with a carriage return/],
    ['a line without "="', 'A\n', /line 1 has no "="/],
    ['a lower-case name', 'a=1\n', /line 1 does not start with a valid name/],
    ['a name given twice', 'A=1\nA=2\n', /line 2: A is given twice/],
    ['a file that is not UTF-8', Buffer.from([0x41, 0x3d, 0xff, 0x0a]), /is not UTF-8/],
  ])('refuses a values file with %s', (_what, values, message) => {
    const { out, run } = setup('<a>@@A@@</a>', values as string);
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('never echoes a malformed line (it may hold a secret)', () => {
    const { run } = setup('<a>@@A@@</a>', 'A=1\nsecret-Tail-9f3=x\n');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('secret-Tail-9f3');
  });

  it('refuses when OUTPUT is a directory or a symlink', () => {
    const { d, out, run } = setup('<a>@@A@@</a>', 'A=1\n');
    execFileSync('ln', ['-s', join(d, 'elsewhere'), out]);
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/exists and is not a regular file/);
    expect(existsSync(join(d, 'elsewhere'))).toBe(false);
  });
});

describe('cocca-fill-template values file and output file', () => {
  it('reads values verbatim: everything after the first "=", comments and blank lines skipped', () => {
    const d = sub();
    writeFileSync(join(d, 't.xml'), '<a p="@@P@@" q="@@Q@@">@@R@@|@@E@@</a>');
    writeFileSync(join(d, 'v.env'), '# a comment\n\n   \t\nP=a=b==c\nQ=  spaced  \nR=#not a comment\nE=\nUNUSED=1');
    const r = fill(join(d, 't.xml'), join(d, 'o.xml'), join(d, 'v.env'));
    expect(r.status, r.stderr).toBe(0);
    const o = join(d, 'o.xml');
    expect(xpath(o, 'string(/a/@p)')).toBe('a=b==c');
    expect(xpath(o, 'string(/a/@q)')).toBe('  spaced  ');
    expect(xpath(o, 'string(/a)')).toBe('#not a comment|');
  });

  it('escapes for either attribute quote style an operator template may use', () => {
    const d = sub();
    const value = `it's "quoted" <&>`;
    writeFileSync(join(d, 't.xml'), `<a s='@@V@@' d="@@V@@"/>`);
    writeFileSync(join(d, 'v.env'), `V=${value}\n`);
    const r = fill(join(d, 't.xml'), join(d, 'o.xml'), join(d, 'v.env'));
    expect(r.status, r.stderr).toBe(0);
    expect(xpath(join(d, 'o.xml'), 'string(/a/@s)')).toBe(value);
    expect(xpath(join(d, 'o.xml'), 'string(/a/@d)')).toBe(value);
    expect(xpath(join(d, 'o.xml'), 'count(/a/@*)')).toBe('2');
  });

  it('creates a new OUTPUT with mode 0640 (root-owned when run as root)', () => {
    const { out } = renderAndFill(GOOD_VALUES);
    const st = statSync(out);
    expect(st.mode & 0o7777).toBe(0o640);
    if (isRoot) expect([st.uid, st.gid]).toEqual([0, 0]);
    expect(readdirSync(dirname(out)).sort()).toEqual(['resin.xml', 'resin.xml.template', 'values.env']);
  });

  it.runIf(isRoot)('keeps the mode, owner and group of an existing OUTPUT, replacing its content', () => {
    const d = sub();
    writeFileSync(join(d, 't.xml'), '<a>@@A@@</a>');
    writeFileSync(join(d, 'v.env'), 'A=new\n');
    const out = join(d, 'o.xml');
    writeFileSync(out, '<a>old</a>');
    chownSync(out, 65534, 65534);
    chmodSync(out, 0o604);
    const inodeBefore = statSync(out).ino;
    const r = fill(join(d, 't.xml'), out, join(d, 'v.env'));
    expect(r.status, r.stderr).toBe(0);
    const st = statSync(out);
    expect(st.mode & 0o7777).toBe(0o604);
    expect([st.uid, st.gid]).toEqual([65534, 65534]);
    expect(st.ino).not.toBe(inodeBefore); // replaced (atomic rename), not rewritten in place
    expect(readFileSync(out, 'utf8')).toBe('<a>new</a>');
  });
});

describe('checkOperatorTemplate', () => {
  const OPERATOR = `<?xml version="1.0" encoding="UTF-8"?>
<!-- CoCCA's resin.xml, with cocca-bake placeholders -->
<resin xmlns="http://caucho.com/ns/resin" xmlns:resin="urn:java:com.caucho.resin">
  <cluster id="">
    <server id="" address="@@PRIVATE_IPV4@@" port="6800">
      <http address="*" port="80"/>
      <http address="*" port="443">
        <jsse-ssl><key-store-type>jks</key-store-type><key-store-file>@@KEYSTORE_FILE@@</key-store-file><password>@@KEYSTORE_PASSWORD@@</password></jsse-ssl>
      </http>
      <http address="*" port="700"/>
    </server>
    <database jndi-name="jdbc/cocca">
      <driver type="org.postgresql.Driver"><url>jdbc:postgresql://localhost:5432/registry?a=1&amp;b=2</url><user>postgres</user><password>@@DB_PASSWORD@@</password></driver>
    </database>
    <host id="@@FQDN@@" root-directory="."><host-alias>@@FQDN@@</host-alias><web-app id="/" root-directory="webapps/ROOT"/></host>
  </cluster>
</resin>
`;

  it('passes an operator template with the placeholders', () => {
    expect(checkOperatorTemplate(OPERATOR)).toEqual([]);
  });

  it('passes the built-in template once rendered, and the script fills it', () => {
    expect(checkOperatorTemplate(renderResinXml(INPUT))).toEqual([]);
    const d = sub();
    writeFileSync(join(d, 't.xml'), OPERATOR);
    writeFileSync(join(d, 'v.env'), valuesText(GOOD_VALUES));
    const r = fill(join(d, 't.xml'), join(d, 'o.xml'), join(d, 'v.env'));
    expect(r.status, r.stderr).toBe(0);
    expect(xmllintOk(join(d, 'o.xml')).ok).toBe(true);
  });

  it('finds unknown placeholders, once per name, with the line', () => {
    const problems = checkOperatorTemplate(OPERATOR.replace('<user>postgres</user>', '<user>@@DB_USER@@</user><x>@@DB_USER@@</x>'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 13: unknown placeholder @@DB_USER@@ \(known: @@PRIVATE_IPV4@@, @@FQDN@@/);
  });

  it('finds missing required placeholders (PRIVATE_IPV4, DB_PASSWORD)', () => {
    const problems = checkOperatorTemplate(OPERATOR.replace('@@PRIVATE_IPV4@@', '127.0.0.1').replace('@@DB_PASSWORD@@', 'changeme'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^required placeholder @@PRIVATE_IPV4@@ is missing: .*start-all/);
    expect(problems[1]).toMatch(/^required placeholder @@DB_PASSWORD@@ is missing/);
  });

  it('does not require the optional placeholders', () => {
    const t = OPERATOR.replace('@@FQDN@@" root', 'registry.example" root').replace('<host-alias>@@FQDN@@</host-alias>', '')
      .replace('@@KEYSTORE_FILE@@', 'keys/x.jks').replace('@@KEYSTORE_PASSWORD@@', 'changeit');
    expect(checkOperatorTemplate(t)).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['an unclosed element', OPERATOR.replace('</database>', ''), /line 16, column 3: end tag <\/cluster> does not match <database> \(line 12\)/],
    ['a bare &', OPERATOR.replace('&amp;b', '&b'), /line 13, column 94: '&' that does not start a reference/],
    ['an unquoted attribute', OPERATOR.replace('port="700"', 'port=700'), /line 10, column 30: the value of attribute port is not quoted/],
    ['an undeclared prefix', OPERATOR.replace('<cluster id="">', '<cluster id=""><foo:bar/>'), /namespace prefix foo: is not declared/],
    ['a second root', `${OPERATOR}<resin/>`, /a second root element/],
    ['text after the root', `${OPERATOR}junk`, /text after the root element/],
    ['a duplicated attribute', OPERATOR.replace('port="80"', 'port="80" port="81"'), /attribute port given twice/],
    ['a DOCTYPE', OPERATOR.replace('<!--', '<!DOCTYPE resin><!--'), /DOCTYPE declarations are not supported/],
    ['"--" in a comment', OPERATOR.replace('placeholders -->', 'place--holders -->'), /'--' inside a comment/],
    ['a control character', OPERATOR.replace('jdbc/cocca', 'jdbc/\u0001'), /U\+0001 is not allowed/],
  ])('finds malformed XML: %s', (_what, text, message) => {
    const problems = checkOperatorTemplate(text);
    expect(problems.some((p) => p.startsWith('not well-formed XML (placeholders replaced by dummy values): '))).toBe(true);
    expect(problems.join('\n')).toMatch(message);
  });

  it('finds a placeholder where cocca-fill-template would refuse it', () => {
    const problems = checkOperatorTemplate(OPERATOR.replace('with cocca-bake placeholders', 'server is @@PRIVATE_IPV4@@'));
    expect(problems).toEqual([expect.stringMatching(/^line 2: placeholder @@PRIVATE_IPV4@@ is not in element text or an attribute value/)]);
  });

  it('finds a server IP baked into the template (start-all would start nothing elsewhere)', () => {
    const problems = checkOperatorTemplate(OPERATOR.replace('<http address="*" port="80"/>', '<http address="203.0.113.7" port="80"/>'));
    expect(problems).toEqual([expect.stringMatching(/^line 6: <http address="203\.0\.113\.7">: the literal address 203\.0\.113\.7 belongs to one server/)]);
    expect(checkOperatorTemplate(OPERATOR.replace('address="*" port="80"', 'address="127.0.0.1" port="80"'))).toEqual([]);
  });

  it("finds a placeholder inside Resin's EL, or next to its opening (Resin would evaluate the value)", () => {
    const el = (from: string, to: string) => checkOperatorTemplate(OPERATOR.replace(from, to));
    expect(el('<password>@@DB_PASSWORD@@</password>', '<password>${\'@@DB_PASSWORD@@\'}</password>')).toEqual([
      `line 13: placeholder @@DB_PASSWORD@@ is inside the EL expression "\${'@@DB_PASSWORD@@'}": Resin would evaluate the value first boot puts there`,
    ]);
    expect(el('<host-alias>@@FQDN@@</host-alias>', '<host-alias>#{x.y(\n"@@FQDN@@")}</host-alias>')).toEqual([
      expect.stringMatching(/^line 16: placeholder @@FQDN@@ is inside the EL expression "#\{x\.y\(\\n\\"@@FQDN@@\\"\)\}"/),
    ]);
    expect(el('<password>@@DB_PASSWORD@@</password>', '<password>$@@DB_PASSWORD@@</password>')).toEqual([
      'line 13: placeholder @@DB_PASSWORD@@ follows "$": with the value filled in, Resin could read an EL expression (${...} or #{...}) there',
    ]);
    expect(el('<password>@@DB_PASSWORD@@</password>', '<password>@@DB_PASSWORD@@{x}</password>')).toEqual([
      expect.stringMatching(/^line 13: placeholder @@DB_PASSWORD@@ is followed by "\{"/),
    ]);
    // EL of its own, away from every placeholder, is the operator's business.
    expect(el('<user>postgres</user>', '<user>${resin.user}</user>')).toEqual([]);
  });

  it('accepts what XML allows: CDATA, PIs, references, single quotes, a BOM', () => {
    const t = `\uFEFF<?xml version='1.0'?><?resin hint?><resin xmlns="http://caucho.com/ns/resin"><a b='x&#x41;&#65;&quot;'><![CDATA[<&]]>&lt;&#128512;</a><p>@@PRIVATE_IPV4@@ @@DB_PASSWORD@@</p></resin>`;
    expect(checkOperatorTemplate(t)).toEqual([]);
  });
});

describe('resinListeners: the ports a template listens on', () => {
  const wrap = (inner: string) => `<resin xmlns="http://caucho.com/ns/resin" xmlns:resin="urn:java:com.caucho.resin"><cluster id="app">${inner}</cluster></resin>`;
  it.each([
    ['the built-in template', null, { ports: [80, 443], unknown: [] }],
    ['attributes and a child <port>, in server-default and server', wrap('<server-default><http port="8080"/></server-default><server id="a"><http port="80"/><protocol><port> 700 </port></protocol></server>'), { ports: [80, 700, 8080], unknown: [] }],
    ['a prefixed element and a duplicate', wrap('<server id="a"><r:http xmlns:r="http://caucho.com/ns/resin" port="443"/><http port="443"/></server>'), { ports: [443], unknown: [] }],
    ['the cluster port and the watchdog port are not listeners of the stack', wrap('<server id="a" port="6800"><watchdog-port>6600</watchdog-port><http port="80"/></server>'), { ports: [80], unknown: [] }],
    ['an EL port', wrap('<server id="a">\n<http port="${http}"/></server>'), { ports: [], unknown: ['line 2: <http> has a port that is not a number here (an expression or a placeholder)'] }],
    ['a placeholder port', wrap('<server id="a"><http port="@@FQDN@@"/></server>'), { ports: [], unknown: ['line 1: <http> has a port that is not a number here (an expression or a placeholder)'] }],
    ['no port', wrap('<server id="a"><protocol/></server>'), { ports: [], unknown: ['line 1: <protocol> has no port'] }],
    ['port 0 and 70000', wrap('<server id="a"><http port="0"/><http port="70000"/></server>'), { ports: [], unknown: ['line 1: <http> has a port that is not a number here (an expression or a placeholder)', 'line 1: <http> has a port that is not a number here (an expression or a placeholder)'] }],
  ])('%s', (_what, xml, want) => {
    expect(resinListeners(xml ?? renderResinXml(INPUT))).toEqual(want);
  });
  it('is undefined for a template that is not well-formed', () => {
    expect(resinListeners('<resin><http port="80"></resin>')).toBeUndefined();
  });
});

describe("resinInternalPorts: Resin's cluster and watchdog ports, which must never be public", () => {
  const wrap = (inner: string) => `<resin xmlns="http://caucho.com/ns/resin"><cluster id="app">${inner}</cluster></resin>`;
  it.each([
    ['the built-in template', null, [6600, 6800]],
    ['a server port attribute and a watchdog-port element', wrap('<server id="a" port="7800"><watchdog-port>7600</watchdog-port><http port="80"/></server>'), [7600, 7800]],
    ['a server-multi, a child <port>, a watchdog-port attribute', wrap('<server-multi id-prefix="a" address-list="x" port="6801"/><server id="b" watchdog-port="6601"><port>6802</port></server>'), [6601, 6801, 6802]],
    ['EL and placeholders are not numbers here', wrap('<server id="a" port="${p}"><watchdog-port>@@FQDN@@</watchdog-port></server>'), []],
    ['listeners are not internal', wrap('<server id="a"><http port="80"/><protocol port="700"/></server>'), []],
  ])('%s', (_what, xml, want) => {
    expect(resinInternalPorts(xml ?? renderResinXml(INPUT))).toEqual(want);
  });
  it('is undefined for a template that is not well-formed', () => {
    expect(resinInternalPorts('<resin><server port="6800"></resin>')).toBeUndefined();
  });
});
