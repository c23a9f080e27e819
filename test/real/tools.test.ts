/**
 * Proves every real-validator helper both accepts a good input and rejects a
 * bad one, using the real programs (Debian 12 packages from
 * test/setup/deps.sh). Root is needed (unshare, runuser, ufw, sshd -t).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PG_BIN,
  ToolMissingError,
  cloudInitSchema,
  extractLogpaths,
  fail2banDump,
  fail2banTest,
  hasTool,
  isRoot,
  keytool,
  openssl,
  packerValidate,
  packerVersion,
  parseSshdT,
  shellcheck,
  shellcheckText,
  splitWords,
  sshdEffective,
  sshdTest,
  ufwDryRun,
  whichTool,
  withPostgres,
  xmllint,
} from './tools.js';

const root = isRoot();
const why = (tool: string) => `${tool}${root ? '' : ' (needs root)'}`;
const have = async (...tools: string[]) => (await Promise.all(tools.map(hasTool))).every(Boolean);

let work = '';
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-tools-test-'));
});
afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

async function put(rel: string, text: string | Buffer): Promise<string> {
  const file = path.join(work, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  return file;
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

describe('plumbing', () => {
  it('hasTool / whichTool find real executables, incl. sbin and the PostgreSQL bin dir', async () => {
    expect(await hasTool('sh')).toBe(true);
    expect(await hasTool('cocca-no-such-tool-xyz')).toBe(false);
    const initdb = await whichTool('initdb');
    expect(initdb).toBeDefined();
    expect(await fs.realpath(initdb as string)).toBe(path.join(PG_BIN, 'initdb'));
    expect(await whichTool('sshd')).toMatch(/\/sshd$/);
  });

  it('splitWords handles quotes', () => {
    expect(splitWords(`allow from 10.0.0.0/8 to any port 5432 proto tcp comment 'pg from app'`)).toEqual([
      'allow', 'from', '10.0.0.0/8', 'to', 'any', 'port', '5432', 'proto', 'tcp', 'comment', 'pg from app',
    ]);
    expect(splitWords(`comment "a \\"b\\"" x''y`)).toEqual(['comment', 'a "b"', 'xy']);
    expect(() => splitWords(`comment 'open`)).toThrow(/unbalanced/);
  });

  it('parseSshdT collects repeated keywords', () => {
    const m = parseSshdT('port 22\nHostKey /a\nhostkey /b\nacceptenv LANG LC_*\n');
    expect(m.get('port')).toEqual(['22']);
    expect(m.get('hostkey')).toEqual(['/a', '/b']);
    expect(m.get('acceptenv')).toEqual(['LANG LC_*']);
  });

  it('extractLogpaths reads literal absolute logpaths incl. continuation lines', () => {
    const ini = '[resin]\nlogpath = /var/log/resin/auth.log\n          /opt/resin/log/access*.log\nmaxretry = 3\n[x]\nlogpath = %(sshd_log)s\n';
    expect(extractLogpaths(ini)).toEqual(['/var/log/resin/auth.log', '/opt/resin/log/accessx.log']);
  });
});

describe.skipIf(!(root && (await have('cloud-init', 'runuser'))))(`cloudInitSchema [${why('cloud-init')}]`, () => {
  const good = '#cloud-config\npackages: [postgresql-15]\nruncmd:\n  - [sh, -c, "echo hi"]\nwrite_files:\n  - path: /etc/x\n    content: "x"\n    permissions: "0644"\n';
  const bad = '#cloud-config\npackages: notalist\n';

  it('accepts a valid file', async () => {
    const f = await put('ci/good.yaml', good);
    const r = await cloudInitSchema(f);
    expect(r.output).toContain(`Valid cloud-config: ${f}`);
    expect(r.ok).toBe(true);
  });

  it('rejects packages: notalist', async () => {
    const r = await cloudInitSchema(await put('ci/bad.yaml', bad));
    expect(r.ok).toBe(false);
    expect(r.output).toContain(`packages: 'notalist' is not of type 'array'`);
  });

  it('gunzips .gz user-data first (good and bad)', async () => {
    const g = await cloudInitSchema(await put('ci/good.yaml.gz', gzipSync(good)));
    expect(g.ok, g.output).toBe(true);
    const b = await cloudInitSchema(await put('ci/bad.yaml.gz', gzipSync(bad)));
    expect(b.ok).toBe(false);
    expect(b.output).toContain('not of type');
  });
});

describe.skipIf(!(root && (await have('packer', 'unshare'))))(`packerValidate [${why('packer')}]`, () => {
  it('reports the Packer version', async () => {
    expect(await packerVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('accepts a good null source and rejects a bad one, leaving the dir clean', async () => {
    const goodDir = path.join(work, 'pk-good');
    await put('pk-good/main.pkr.hcl', [
      'variable "greeting" {',
      '  type    = string',
      '  default = "hi"',
      '}',
      'source "null" "n" {',
      '  communicator = "none"',
      '}',
      'build {',
      '  sources = ["source.null.n"]',
      '  provisioner "shell-local" {',
      '    inline = ["echo ${var.greeting}"]',
      '  }',
      '}',
      '',
    ].join('\n'));
    const g = await packerValidate(goodDir);
    expect(g.ok, g.output).toBe(true);
    expect(await fs.readdir(goodDir)).toEqual(['main.pkr.hcl']);

    const badDir = path.join(work, 'pk-bad');
    await put('pk-bad/main.pkr.hcl', [
      'source "null" "n" {',
      '  communicator = "none"',
      '  bogus_argument = 1',
      '}',
      'build {',
      '  sources = ["source.null.n"]',
      '}',
      '',
    ].join('\n'));
    const b = await packerValidate(badDir);
    expect(b.ok).toBe(false);
    expect(b.output).toMatch(/bogus_argument/);

    await put('pk-req/main.pkr.hcl', 'packer {\n  required_plugins {\n  }\n}\n');
    const req = await packerValidate(path.join(work, 'pk-req'), { syntaxOnly: true });
    expect(req.ok).toBe(false);
    expect(req.output).toContain('required_plugins');
  });
});

describe.skipIf(!(await have('shellcheck')))('shellcheck', () => {
  it('accepts a clean script', async () => {
    const f = await put('sc/good.sh', '#!/bin/bash\nset -euo pipefail\nfor f in ./*; do\n  printf "%s\\n" "$f"\ndone\n');
    const r = await shellcheck([f]);
    expect(r.ok, r.output).toBe(true);
    expect((await shellcheckText('echo "$HOME"\n')).ok).toBe(true);
  });

  it('rejects for f in $(ls)', async () => {
    const f = await put('sc/bad.sh', '#!/bin/bash\nfor f in $(ls); do\n  echo $f\ndone\n');
    const r = await shellcheck(f);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('SC2045');
    expect(r.output).toContain(`${f}:2:`);
    const t = await shellcheckText('for f in $(ls); do echo "$f"; done\n', 'sh');
    expect(t.ok).toBe(false);
    expect(t.output).toMatch(/^-:1:\d+: error: .*SC2045/m);
  });
});

describe.skipIf(!(root && (await have('sshd', 'ssh-keygen', 'unshare'))))(`sshd [${why('sshd')}]`, () => {
  const good = [
    'PermitRootLogin no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'MaxAuthTries 3',
    'AllowUsers deploy debian',
    'Match Address 10.0.0.0/8',
    '    PasswordAuthentication yes',
    '',
  ].join('\n');

  it('accepts a valid drop-in and leaves the host /run alone', async () => {
    const hadRunSshd = await exists('/run/sshd');
    const r = await sshdTest(good);
    expect(r.ok, r.output).toBe(true);
    expect((await sshdTest(good, { debianMain: false })).ok).toBe(true);
    expect(await exists('/run/sshd')).toBe(hadRunSshd);
  });

  it('rejects BogusOption and bad values', async () => {
    const r = await sshdTest('BogusOption yes\n');
    expect(r.ok).toBe(false);
    expect(r.output).toContain('Bad configuration option: BogusOption');
    const v = await sshdTest('PermitRootLogin maybe\n');
    expect(v.ok).toBe(false);
    expect(v.output).toContain('unsupported option "maybe"');
    // Debian's main file already defines Subsystem sftp: a drop-in may not redefine it.
    const s = await sshdTest('Subsystem sftp internal-sftp\n');
    expect(s.ok).toBe(false);
    expect(s.output).toMatch(/Subsystem 'sftp' already defined/);
  });

  it('sshdEffective resolves Match blocks per connection (drop-in first, Debian defaults after)', async () => {
    const inside = await sshdEffective(good, { user: 'deploy', host: 'app', addr: '10.1.2.3' });
    expect(inside.ok, inside.output).toBe(true);
    expect(inside.config.get('passwordauthentication')).toEqual(['yes']);
    expect(inside.config.get('permitrootlogin')).toEqual(['no']);
    expect(inside.config.get('maxauthtries')).toEqual(['3']);
    expect(inside.config.get('allowusers')).toEqual(['deploy', 'debian']);
    expect(inside.config.get('usepam')).toEqual(['yes']);
    expect(inside.config.get('kbdinteractiveauthentication')).toEqual(['no']);

    const outside = await sshdEffective(good, 'user=deploy,host=x,addr=192.0.2.7');
    expect(outside.config.get('passwordauthentication')).toEqual(['no']);

    const bad = await sshdEffective('BogusOption yes\n', { user: 'a', host: 'b', addr: '192.0.2.1' });
    expect(bad.ok).toBe(false);
    expect(bad.config.size).toBe(0);
  });
});

describe.skipIf(!(root && (await have('fail2ban-client', 'unshare'))))(`fail2ban [${why('fail2ban-client')}]`, () => {
  const sshdJail = '[sshd]\nenabled = true\nbackend = systemd\nmaxretry = 5\nbantime = 1h\n';

  it('accepts a valid sshd jail with backend = systemd', async () => {
    const r = await fail2banTest({ 'jail.d/cocca.local': sshdJail });
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('OK: configuration test is successful');
  });

  it('rejects a jail naming a missing filter', async () => {
    const r = await fail2banTest({
      'jail.d/cocca.local': `${sshdJail}\n[broken]\nenabled = true\nfilter = cocca-no-such-filter\nbackend = systemd\n`,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toContain("Unable to read the filter 'cocca-no-such-filter'");
    expect(r.output).toContain("Errors in jail 'broken'");
  });

  it('creates missing logpath files only in a private mount namespace', async () => {
    const logDir = `/var/log/cocca-test-${process.pid}`;
    const files = {
      'jail.d/cocca.local': `${sshdJail}\n[resin-auth]\nenabled = true\nfilter = resin-auth\nport = 443\nlogpath = ${logDir}/auth.log\n`,
      'filter.d/resin-auth.conf': '[Definition]\nfailregex = ^.* login failed for .* from <HOST>$\nignoreregex =\n',
    };
    const r = await fail2banTest(files);
    expect(r.ok, r.output).toBe(true);
    expect(await exists(logDir)).toBe(false);
    // Without creating it, the real tool says why it fails.
    const missing = await fail2banTest(files, { logFiles: [] });
    expect(missing.ok).toBe(false);
    expect(missing.output).toContain('Have not found any log file for resin-auth jail');
  });

  it('fail2banDump gives the parsed config', async () => {
    const d = await fail2banDump({ 'jail.d/cocca.local': sshdJail });
    expect(d.ok, d.output).toBe(true);
    expect(d.stdout).toContain(`['add', 'sshd', 'systemd']`);
    expect(d.stdout).toContain(`['set', 'sshd', 'bantime', '1h']`);
  });
});

describe.skipIf(!(await have('xmllint')))('xmllint', () => {
  it('accepts well-formed XML and rejects a tag mismatch', async () => {
    const g = await xmllint(await put('x/good.xml', '<resin xmlns="http://caucho.com/ns/resin"><cluster id="app"/></resin>\n'));
    expect(g.ok, g.output).toBe(true);
    const b = await xmllint(await put('x/bad.xml', '<resin><cluster id="app"></resin>\n'));
    expect(b.ok).toBe(false);
    expect(b.output).toContain('Opening and ending tag mismatch');
  });
});

describe.skipIf(!(await have('openssl', 'keytool')))('openssl + keytool', () => {
  it('builds a PKCS12 and converts it to JKS; rejects a wrong password', async () => {
    const dir = path.join(work, 'ks');
    await fs.mkdir(dir, { recursive: true });
    const req = await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=registry.test'], { cwd: dir });
    expect(req.ok, req.output).toBe(true);
    const p12 = await openssl(['pkcs12', '-export', '-in', 'cert.pem', '-inkey', 'key.pem', '-name', 'resin', '-out', 'app.p12', '-passout', 'pass:changeit'], { cwd: dir });
    expect(p12.ok, p12.output).toBe(true);
    const bad = await openssl(['x509', '-in', 'key.pem', '-noout'], { cwd: dir });
    expect(bad.ok).toBe(false);

    const imp = await keytool([
      '-importkeystore', '-srckeystore', 'app.p12', '-srcstoretype', 'PKCS12', '-srcstorepass', 'changeit',
      '-destkeystore', 'app.jks', '-deststoretype', 'JKS', '-deststorepass', 'changeit', '-destkeypass', 'changeit',
      '-alias', 'resin', '-noprompt',
    ], { cwd: dir });
    expect(imp.ok, imp.output).toBe(true);
    const list = await keytool(['-list', '-keystore', 'app.jks', '-storepass', 'changeit'], { cwd: dir });
    expect(list.ok, list.output).toBe(true);
    expect(list.stdout).toContain('Keystore type: JKS');
    expect(list.stdout).toMatch(/resin, .*PrivateKeyEntry/);
    const wrong = await keytool(['-list', '-keystore', 'app.jks', '-storepass', 'wrongpass'], { cwd: dir });
    expect(wrong.ok).toBe(false);
    expect(wrong.output).toMatch(/password was incorrect/);
  });
});

describe.skipIf(!(root && (await have('ufw', 'unshare'))))(`ufwDryRun [${why('ufw')}]`, () => {
  const fingerprint = async () => {
    const files = ['/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/etc/ufw/ufw.conf', '/etc/default/ufw'];
    const parts = await Promise.all(files.map(async (f) => {
      const st = await fs.stat(f).catch(() => undefined);
      const body = await fs.readFile(f).catch(() => Buffer.alloc(0));
      return `${f}:${st?.mtimeMs ?? '-'}:${createHash('sha256').update(body).digest('hex')}`;
    }));
    return parts.join('\n');
  };

  it('accepts good rules, rejects bad ones, touches nothing, refuses enable', async () => {
    const before = await fingerprint();
    const good = await ufwDryRun(['allow 22/tcp', `allow from 10.0.0.0/8 to any port 5432 proto tcp comment 'pg from app'`, 'limit ssh']);
    expect(good.ok, good.output).toBe(true);
    expect(good.results).toHaveLength(3);
    expect(good.output).toContain('--dport 5432');

    const bad = await ufwDryRun(['allow 22/tcp', 'allow 99999/tcp']);
    expect(bad.ok).toBe(false);
    expect(bad.results.map((r) => r.ok)).toEqual([true, false]);
    expect(bad.output).toContain('ERROR: Bad port');
    const badAddr = await ufwDryRun(['allow from 10.0.0.0/33']);
    expect(badAddr.ok).toBe(false);
    expect(badAddr.output).toContain('Bad source address');

    await expect(ufwDryRun(['enable'])).rejects.toThrow(/refuses/);
    await expect(ufwDryRun(['--force enable'])).rejects.toThrow(/refuses/);
    expect(await fingerprint()).toBe(before);
  });
});

describe.skipIf(!(root && (await have('runuser', path.join(PG_BIN, 'initdb')))))(`withPostgres [${why('postgresql-15')}]`, () => {
  it('fails to start with shared_buffers = 2 gigs, and says why', async () => {
    let called = false;
    const r = await withPostgres({ '60-cocca.conf': 'shared_buffers = 2 gigs\n' }, undefined, async () => {
      called = true;
    });
    expect(r.ok).toBe(false);
    expect(called).toBe(false);
    // Unquoted, the space makes it a syntax error in the conf file itself.
    expect(r.output).toMatch(/syntax error in file ".*conf\.d\/60-cocca\.conf" line 1, near token "gigs"/);

    const q = await withPostgres({ '60-cocca.conf': "shared_buffers = '2 gigs'\n" }, undefined, async () => {
      called = true;
    });
    expect(q.ok).toBe(false);
    expect(called).toBe(false);
    expect(q.output).toContain('invalid value for parameter "shared_buffers": "2 gigs"');
  });

  it('starts with a good drop-in and SHOWs its values', async () => {
    const r = await withPostgres(
      { '60-cocca.conf': "shared_buffers = 256MB\nmax_connections = 50\npassword_encryption = 'scram-sha-256'\n" },
      undefined,
      async (pg) => ({
        sb: await pg.show('shared_buffers'),
        mc: await pg.show('max_connections'),
        src: (await pg.psql("SELECT sourcefile FROM pg_settings WHERE name = 'shared_buffers';")).stdout,
        bad: await pg.psql('SELECT no_such_column FROM pg_class;'),
      }),
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.value?.sb).toBe('256MB');
    expect(r.value?.mc).toBe('50');
    expect(r.value?.src).toMatch(/conf\.d\/60-cocca\.conf$/);
    expect(r.value?.bad.ok).toBe(false);
    expect(r.value?.bad.output).toContain('no_such_column');
  });

  it('password logins over local: wrong password fails, right one works (scram and md5 lines)', async () => {
    const r = await withPostgres({}, undefined, async (pg) => {
      const mk = await pg.psql(`CREATE ROLE app LOGIN PASSWORD 'right-pass';\nCREATE DATABASE appdb OWNER app;`);
      expect(mk.ok, mk.output).toBe(true);

      await pg.writeHba('local all postgres trust\nlocal all all scram-sha-256\n');
      expect((await pg.reload()).ok).toBe(true);
      const noPass = await pg.psql('SELECT 1;', { user: 'app', db: 'appdb' });
      const wrong = await pg.psql('SELECT 1;', { user: 'app', db: 'appdb', password: 'wrong-pass' });
      const right = await pg.psql('SELECT current_user || \'@\' || current_database();', { user: 'app', db: 'appdb', password: 'right-pass' });

      await pg.writeHba('local all postgres trust\nlocal all all md5\n');
      expect((await pg.reload()).ok).toBe(true);
      const md5Wrong = await pg.psql('SELECT 1;', { user: 'app', db: 'appdb', password: 'nope' });
      const md5Right = await pg.psql('SELECT 1;', { user: 'app', db: 'appdb', password: 'right-pass' });
      const rules = await pg.psql("SELECT auth_method FROM pg_hba_file_rules WHERE 'all' = ANY(user_name);");
      return { noPass, wrong, right, md5Wrong, md5Right, rules };
    });
    expect(r.ok, r.output).toBe(true);
    const v = r.value!;
    expect(v.noPass.ok).toBe(false);
    expect(v.noPass.output).toMatch(/password/);
    expect(v.wrong.ok).toBe(false);
    expect(v.wrong.output).toContain('password authentication failed for user "app"');
    expect(v.right.ok, v.right.output).toBe(true);
    expect(v.right.stdout).toBe('app@appdb');
    expect(v.md5Wrong.ok).toBe(false);
    expect(v.md5Right.ok, v.md5Right.output).toBe(true);
    expect(v.rules.stdout).toBe('md5');
  });

  it('stops the server and removes the temp dir even when fn throws', async () => {
    let dataDir = '';
    let pid = 0;
    await expect(
      withPostgres({}, undefined, async (pg) => {
        dataDir = pg.dataDir;
        pid = Number((await fs.readFile(path.join(pg.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
        throw new Error('boom from fn');
      }),
    ).rejects.toThrow('boom from fn');
    expect(pid).toBeGreaterThan(1);
    expect(await exists(dataDir)).toBe(false);
    // The postmaster is gone, or a zombie waiting for PID 1 to reap it.
    const state = await fs.readFile(`/proc/${pid}/stat`, 'utf8').then(
      (st) => st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3),
      () => 'gone',
    );
    expect(['gone', 'Z', 'X']).toContain(state);
  });
});

describe('missing tools', () => {
  it('ToolMissingError names the tool and deps.sh', () => {
    const e = new ToolMissingError('packer');
    expect(e.message).toMatch(/packer.*deps\.sh/);
  });
});
