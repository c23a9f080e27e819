// The built CLI as a user runs it: exit codes, the Butane-style text on stderr, JSON findings,
// --strict, and what render writes (or does not) on disk.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { checkProfile } from '../../generator/check/index.js';
import { startQueryFake, type QueryFake } from '../helpers/ec2-query-fake.js';
import { CLEAN_BASE, REPO, tempTree } from './profile-helpers.js';

const CLI = path.join(REPO, 'dist/generator/cli.js');
const FX = 'test/fixtures/profiles'; // relative to REPO, the CLI's working directory here

const cli = (...args: string[]) => execa(process.execPath, [CLI, ...args], { cwd: REPO, reject: false, stripFinalNewline: false });

/** What no user mistake may ever print. */
function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('internal error');
}

/** Every file under dir (relative, sorted) with its bytes and mode. */
function readTree(dir: string): Array<[string, string, number]> {
  const out: Array<[string, string, number]> = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const st = statSync(path.join(dir, r));
      if (st.isDirectory()) walk(r);
      else out.push([r, readFileSync(path.join(dir, r)).toString('base64'), st.mode & 0o777]);
    }
  };
  walk('');
  return out;
}


describe('validate: exit codes', () => {
  it('exits 0 for a valid profile, with the summary on stderr and nothing on stdout', async () => {
    const r = await cli('validate', `${FX}/valid.yaml`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('1 profile: 1 valid, 0 invalid (0 errors, 0 warnings)\n');
  });

  it('exits 0 for several valid profiles', async () => {
    const r = await cli('validate', `${FX}/valid.yaml`, `${FX}/warn-public.yaml`);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^2 profiles: 2 valid, 0 invalid \(0 errors, 1 warning\)$/m);
  });

  it('exits 1 when any profile is invalid, and still reports the others', async () => {
    const r = await cli('validate', `${FX}/valid.yaml`, `${FX}/lockout.yaml`, `${FX}/warn-public.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${FX}/lockout.yaml:5:12: error: firewall.trusted:`);
    expect(r.stderr).toContain(`${FX}/warn-public.yaml:6:13: warning: targets.aws.public:`);
    expect(r.stderr).toMatch(/^3 profiles: 2 valid, 1 invalid \(2 errors, 2 warnings\)$/m);
    expectNoCrash(r.stderr);
  });

  const usage: Array<[string, string[], RegExp | undefined]> = [
    ['no file', ['validate'], /error: missing required argument 'file'/],
    ['an unknown option', ['validate', '--bogus', `${FX}/valid.yaml`], /error: unknown option '--bogus'/],
    ['a bad --format', ['validate', '--format', 'xml', `${FX}/valid.yaml`], /error: option '--format <format>' argument 'xml' is invalid/],
    ['--format without its value', ['validate', `${FX}/valid.yaml`, '--format'], /error: option '--format <format>' argument missing/],
    ['an unknown command', ['bogus'], /error: unknown command 'bogus'/],
    ['render without --out', ['render', `${FX}/valid.yaml`], /error: required option '--out <dir>' not specified/],
    ['user-data without --mode', ['user-data', `${FX}/valid.yaml`], /error: required option '--mode <mode>' not specified/],
    ['user-data --mode bogus', ['user-data', `${FX}/valid.yaml`, '--mode', 'bogus'], /error: option '--mode <mode>' argument 'bogus' is invalid/],
    // The exit code only: see the report on the message this one prints.
    ['render --packer-version bogus', ['render', `${FX}/valid.yaml`, '--out', '{out}', '--packer-version', 'bogus'], undefined],
  ];
  it.each(usage)('exits 2 for a usage error: %s', async (_name, args, message) => {
    const out = path.join(tempTree({}), 'out');
    const r = await cli(...args.map((a) => a.replace('{out}', out)));
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    if (message) expect(r.stderr).toMatch(message);
    expectNoCrash(r.stderr);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 0 for --help and --version', async () => {
    expect((await cli('--help')).exitCode).toBe(0);
    const v = await cli('--version');
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('validate: the text report', () => {
  it('prints FILE:LINE:COL: error: PATH: MESSAGE, the source line, a caret and a hint, for each problem', async () => {
    const r = await cli('validate', `${FX}/lockout.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      [
        `${FX}/lockout.yaml:5:12: error: firewall.trusted: no trusted source: ssh is firewalled to trusted sources only, so nobody could log in`,
        ' 5 |   trusted: []',
        '   |            ^',
        '  hint: list the networks operators come from, e.g. [203.0.113.0/24]',
        `${FX}/lockout.yaml:7:15: error: ssh.allowUsers: AllowUsers leaves out "ubuntu", the user the AMI (ubuntu-22.04) is provisioned and reached with`,
        ' 7 |   allowUsers: [alice]',
        '   |               ^',
        '  hint: add ubuntu to ssh.allowUsers, or set ssh.loginUser',
        `${FX}/lockout.yaml:7:16: warning: ssh.allowUsers[0]: nothing creates "alice" on ubuntu-22.04 images: AllowUsers lets it in only once something else does`,
        ' 7 |   allowUsers: [alice]',
        '   |                ^',
        "  hint: remove it, or create the user yourself; the login user ubuntu gets the profile's ssh keys",
        '1 profile: 0 valid, 1 invalid (2 errors, 1 warning)',
        '',
      ].join('\n'),
    );
  });

  it('widens the gutter for two-digit line numbers', async () => {
    const r = await cli('validate', `${FX}/rule-errors.yaml`);
    expect(r.stderr).toContain(
      [
        `${FX}/rule-errors.yaml:10:7: error: firewall.trusted[2]: "not-a-network" is not an IPv4 or IPv6 address or CIDR`,
        ' 10 |     - not-a-network',
        '    |       ^',
        '  hint: write a network like 203.0.113.0/24 or 2001:db8::/32, or one address',
        '',
      ].join('\n'),
    );
  });

  it('reports a value set in a base at the base file and line', async () => {
    const r = await cli('validate', `${FX}/inherits-bad-base.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      [
        `${FX}/base/bad-trusted.yaml:7:7: error: firewall.trusted[1]: "10.0.0.5/24" has bits set beyond its /24 prefix`,
        ' 7 |     - 10.0.0.5/24',
        '   |       ^',
        '  hint: did you mean 10.0.0.0/24, or the single address /32?',
        '1 profile: 0 valid, 1 invalid (1 error, 0 warnings)',
        '',
      ].join('\n'),
    );
  });

  it('reports all problems at once: every rule finding of a profile', async () => {
    const r = await cli('validate', `${FX}/rule-errors.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.match(/^\S+:\d+:\d+: (error|warning): .*$/gm)).toEqual([
      `${FX}/rule-errors.yaml:5:9: error: host.fqdn: "registry" is not fully qualified: it needs a domain, e.g. registry.nic.example`,
      `${FX}/rule-errors.yaml:9:7: error: firewall.trusted[1]: "10.0.0.5/24" has bits set beyond its /24 prefix`,
      `${FX}/rule-errors.yaml:10:7: error: firewall.trusted[2]: "not-a-network" is not an IPv4 or IPv6 address or CIDR`,
      `${FX}/rule-errors.yaml:12:9: error: ssh.port: ssh port 443 clashes with the https service`,
      `${FX}/rule-errors.yaml:15:13: warning: targets.aws.public: the AMI will be public and unencrypted (AWS refuses to publish encrypted snapshots): anyone can launch your registry image`,
    ]);
    expect(r.stderr).toMatch(/^1 profile: 0 valid, 1 invalid \(4 errors, 1 warning\)$/m);
  });

  it('reports all problems at once: every schema finding of a profile', async () => {
    const r = await cli('validate', `${FX}/schema-errors.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.match(/^\S+:\d+:\d+: (error|warning): .*$/gm)).toEqual([
      `${FX}/schema-errors.yaml:5:9: error: ssh.port: 70000 is out of range: must be <= 65535`,
      `${FX}/schema-errors.yaml:6:3: error: ssh.prot: unknown key "prot"`,
      `${FX}/schema-errors.yaml:8:13: error: time.timezone: must be "UTC", not "Europe/Paris"`,
      `${FX}/schema-errors.yaml:10:55: error: artifacts.war.sha256: "0123abc" is not a valid value here`,
    ]);
    expect(r.stderr).toContain(' 6 |   prot: 2222\n   |   ^\n  hint: did you mean "port"?\n');
  });

  it('prints warnings as warning: and exits 0', async () => {
    const r = await cli('validate', `${FX}/warn-public.yaml`);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(
      [
        `${FX}/warn-public.yaml:6:13: warning: targets.aws.public: the AMI will be public and unencrypted (AWS refuses to publish encrypted snapshots): anyone can launch your registry image`,
        ' 6 |     public: true',
        '   |             ^',
        '  hint: share with accounts instead: targets.aws.shareWith',
        '1 profile: 1 valid, 0 invalid (0 errors, 1 warning)',
        '',
      ].join('\n'),
    );
  });

  it('reports a YAML syntax error with its line and column', async () => {
    const r = await cli('validate', `${FX}/syntax-error.yaml`);
    expect(r.exitCode).toBe(1);
    // No source line: a file that does not parse is not known to be a profile (docs/security.md).
    expect(r.stderr).toBe(
      [
        `${FX}/syntax-error.yaml:5:1: error: YAML syntax: deficient indentation`,
        '  hint: fix the YAML syntax first; nothing else was checked in this file',
        '1 profile: 0 valid, 1 invalid (1 error, 0 warnings)',
        '',
      ].join('\n'),
    );
  });

  it('takes --root on every command that loads a profile, and refuses one that is not a directory (usage error)', async () => {
    for (const cmd of [['validate'], ['render', '--out', 'unused'], ['user-data', '--mode', 'full'], ['build'], ['images'], ['lock']]) {
      const r = await cli(cmd[0]!, ...cmd.slice(1), '--root', 'no/such/dir', `${FX}/valid.yaml`);
      expect([cmd[0], r.exitCode, r.stderr]).toEqual([cmd[0], 2, 'cocca-bake: --root no/such/dir: not a directory\n']);
    }
    const ok = await cli('validate', '--root', FX, `${FX}/valid.yaml`);
    expect(ok.exitCode).toBe(0);
  });

  it('reports a missing profile file', async () => {
    const r = await cli('validate', `${FX}/does-not-exist.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      `${FX}/does-not-exist.yaml:1:1: error: cannot read profile: no such file\n  hint: give the path of a profile file, e.g. profiles/af-south-1.yaml\n1 profile: 0 valid, 1 invalid (1 error, 0 warnings)\n`,
    );
  });

  it('reports a missing extends file at the extends line', async () => {
    const r = await cli('validate', `${FX}/missing-extends.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      [
        `${FX}/missing-extends.yaml:3:10: error: extends: cannot read "${FX}/base/does-not-exist.yaml": no such file`,
        ' 3 | extends: base/does-not-exist.yaml',
        '   |          ^',
        '  hint: `extends` is a path relative to the file that names it',
        '1 profile: 0 valid, 1 invalid (1 error, 0 warnings)',
        '',
      ].join('\n'),
    );
  });

  it('reports an extends cycle at the extends line, naming the chain', async () => {
    const dir = tempTree({ 'a.yaml': 'apiVersion: cocca-bake/v1\nextends: b.yaml\n', 'b.yaml': 'apiVersion: cocca-bake/v1\n\nextends: a.yaml\n' });
    const r = await cli('validate', path.join(dir, 'a.yaml'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, 'b.yaml')}:3:10: error: extends: extends makes a cycle: ${path.join(dir, 'a.yaml')} -> ${path.join(dir, 'b.yaml')} -> ${path.join(dir, 'a.yaml')}\n 3 | extends: a.yaml\n`);
    expectNoCrash(r.stderr);
  });

  it('never prints a stack trace for a user mistake', async () => {
    const dir = tempTree({ 'seq.yaml': '- a\n', 'empty.yaml': '', 'bin.yaml': '\u0000\u0001\u0002', 'tab.yaml': 'a:\n\tb: 1\n' });
    const files = [
      ...['lockout', 'rule-errors', 'schema-errors', 'syntax-error', 'missing-extends', 'inherits-bad-base', 'nope'].map((n) => `${FX}/${n}.yaml`),
      FX, // a directory
      ...['seq', 'empty', 'bin', 'tab'].map((n) => path.join(dir, n)),
    ];
    for (const f of files) {
      const r = await cli('validate', f);
      expect([f, r.exitCode]).toEqual([f, 1]);
      expectNoCrash(r.stderr);
      expect(r.stderr).toMatch(/^\S+:\d+:\d+: error: /m);
    }
    const all = await cli('validate', '--strict', '--format', 'json', ...files);
    expect(all.exitCode).toBe(1);
    expectNoCrash(all.stderr);
  });
});

describe('validate --format json and --strict', () => {
  it('prints the findings as a JSON array on stdout, nothing on stderr', async () => {
    const r = await cli('validate', '--format', 'json', `${FX}/lockout.yaml`, `${FX}/inherits-bad-base.yaml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      {
        file: `${FX}/lockout.yaml`,
        line: 5,
        column: 12,
        severity: 'error',
        path: 'firewall.trusted',
        message: 'no trusted source: ssh is firewalled to trusted sources only, so nobody could log in',
        hint: 'list the networks operators come from, e.g. [203.0.113.0/24]',
      },
      {
        file: `${FX}/lockout.yaml`,
        line: 7,
        column: 15,
        severity: 'error',
        path: 'ssh.allowUsers',
        message: 'AllowUsers leaves out "ubuntu", the user the AMI (ubuntu-22.04) is provisioned and reached with',
        hint: 'add ubuntu to ssh.allowUsers, or set ssh.loginUser',
      },
      {
        file: `${FX}/lockout.yaml`,
        line: 7,
        column: 16,
        severity: 'warning',
        path: 'ssh.allowUsers[0]',
        message: 'nothing creates "alice" on ubuntu-22.04 images: AllowUsers lets it in only once something else does',
        hint: "remove it, or create the user yourself; the login user ubuntu gets the profile's ssh keys",
      },
      {
        file: `${FX}/base/bad-trusted.yaml`,
        line: 7,
        column: 7,
        severity: 'error',
        path: 'firewall.trusted[1]',
        message: '"10.0.0.5/24" has bits set beyond its /24 prefix',
        hint: 'did you mean 10.0.0.0/24, or the single address /32?',
      },
    ]);
  });

  it('prints an empty array for a clean profile and exits 0', async () => {
    const r = await cli('validate', '--format', 'json', `${FX}/valid.yaml`);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toBe('');
  });

  it('includes warnings with their severity', async () => {
    const r = await cli('validate', `${FX}/warn-public.yaml`, '--format=json');
    expect(r.exitCode).toBe(0);
    const findings = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(findings).toEqual([expect.objectContaining({ file: `${FX}/warn-public.yaml`, line: 6, column: 13, severity: 'warning', path: 'targets.aws.public' })]);
  });

  it('--strict turns a warning into exit 1, and leaves a clean profile at 0', async () => {
    expect((await cli('validate', '--strict', `${FX}/warn-public.yaml`)).exitCode).toBe(1);
    expect((await cli('validate', '--strict', '--format', 'json', `${FX}/warn-public.yaml`)).exitCode).toBe(1);
    expect((await cli('validate', '--strict', `${FX}/valid.yaml`)).exitCode).toBe(0);
    // The shipped examples only warn (unpinned CoCCA downloads): valid, refused by --strict.
    expect((await cli('validate', 'profiles/af-south-1.yaml')).exitCode).toBe(0);
    expect((await cli('validate', '--strict', 'profiles/af-south-1.yaml')).exitCode).toBe(1);
  });
});

describe('render', () => {
  it('writes nothing for an invalid profile and exits 1 as validate does', async () => {
    const out = path.join(tempTree({}), 'out');
    const r = await cli('render', `${FX}/lockout.yaml`, '--out', out);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${FX}/lockout.yaml:5:12: error: firewall.trusted:`);
    expectNoCrash(r.stderr);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });

  it('writes nothing for a profile with only warnings under --strict', async () => {
    const out = path.join(tempTree({}), 'out');
    const r = await cli('render', `${FX}/warn-public.yaml`, '--out', out, '--strict');
    expect(r.exitCode).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a non-empty directory it did not write, and leaves it untouched', async () => {
    const parent = tempTree({ 'mine/notes.txt': 'keep me\n', 'mine/sub/data.bin': 'x' });
    const out = path.join(parent, 'mine');
    const before = readTree(out);
    const r = await cli('render', `${FX}/valid.yaml`, '--out', out);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cocca-bake: ${out}: it is not empty and holds no earlier cocca-bake output (manifest.json); refusing to replace it (move those away, choose another --out, or give --force to replace the directory whole)`);
    expectNoCrash(r.stderr);
    expect(readTree(out)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['mine']); // no staging directory left behind
  });

  it.each(['render', 'build'])('%s refuses (exit 1, writing nothing) a profile that does not say where first boot\'s secret comes from', async (cmd) => {
    const leaf = tempTree({ 'p.yaml': CLEAN_BASE.replace(/^secrets:\n.*\n/m, '').concat('name: p\n') });
    const out = path.join(leaf, 'out');
    const r = await cli(cmd, path.join(leaf, 'p.yaml'), ...(cmd === 'render' ? ['--out', out] : ['--build-dir', out]));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("error: secrets: first boot needs SOURCE_KEYSTORE_PASSWORD (tls.mode lab: CoCCA's lab keystore is re-keyed with it), and the profile does not say where it comes from");
    expect(r.stderr).toContain('hint: add secrets: {source: aws-ssm, parameterPath: /cocca/NAME/}');
    expectNoCrash(r.stderr);
    expect(existsSync(out)).toBe(false);
  });

  it('writes no user-data when first boot needs a secret only user-data can carry, and says so', async () => {
    const leaf = tempTree({ 'base/clean.yaml': CLEAN_BASE, 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: p\n' });
    const out = path.join(leaf, 'out');
    const r = await cli('render', path.join(leaf, 'p.yaml'), '--out', out);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('note: cloud-init/ not written: first boot needs COCCA_SOURCE_KEYSTORE_PASSWORD from user-data (secrets.source: user-data), and render never writes a secret. Make each instance\'s user-data with: cocca-bake user-data p.yaml --mode firstboot --secrets FILE');
    expect(existsSync(path.join(out, 'cloud-init'))).toBe(false);
    expect(existsSync(path.join(out, 'packer/cocca.pkr.hcl'))).toBe(true);
  });

  it("says when the full user-data is over EC2's 16 KiB even compressed (the golden image is AWS's way)", async () => {
    const out = path.join(tempTree({}), 'out');
    const r = await cli('render', 'profiles/af-south-1.yaml', '--out', out);
    expect(r.exitCode).toBe(0);
    const gz = statSync(path.join(out, 'cloud-init/full.yaml.gz')).size;
    expect(gz).toBeGreaterThan(16384);
    expect(r.stderr).toMatch(new RegExp(`note: cloud-init/full\\.yaml is \\d+ bytes, ${gz} gzip-compressed: over EC2's 16384-byte user-data limit\\. On AWS launch the golden image`));
    expect(statSync(path.join(out, 'cloud-init/firstboot.yaml')).size).toBeLessThan(16384);
  });

  it('renders a valid profile into an empty directory', async () => {
    const out = path.join(tempTree({}), 'out');
    mkdirSync(out);
    const r = await cli('render', `${FX}/valid.yaml`, '--out', out);
    expect(r.exitCode).toBe(0);
    expect(existsSync(path.join(out, 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(out, 'cloud-init/full.yaml'))).toBe(true);
  });

  it('gives identical bytes when run twice, into a new directory or over its own output', async () => {
    const parent = tempTree({});
    const a = path.join(parent, 'a');
    const b = path.join(parent, 'b');
    const first = await cli('render', `${FX}/valid.yaml`, '--out', a);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toMatch(/^wrote \d+ files to /m);
    const treeA = readTree(a);
    expect(treeA.length).toBeGreaterThan(3);
    expect(treeA.map(([f]) => f)).toEqual(expect.arrayContaining(['manifest.json', 'cloud-init/full.yaml', 'cloud-init/firstboot.yaml']));

    expect((await cli('render', `${FX}/valid.yaml`, '--out', b)).exitCode).toBe(0);
    expect(readTree(b)).toEqual(treeA);

    // Again over the first output: it is exactly an earlier render, so it is replaced whole.
    expect((await cli('render', `${FX}/valid.yaml`, '--out', a)).exitCode).toBe(0);
    expect(readTree(a)).toEqual(treeA);
    expect(readdirSync(parent).sort()).toEqual(['a', 'b']);
  });

  // An earlier render with anything of the user's in it: a file it did not write, a changed
  // file, a symlink, a forged manifest. Each is refused and left as it was; --force replaces.
  it.each([
    ['a file the render did not write', (d: string) => writeFileSync(path.join(d, 'notes.txt'), 'mine'), 'it holds files an earlier render did not write: notes.txt'],
    ['a file in a subdirectory', (d: string) => writeFileSync(path.join(d, 'packer', 'vars.auto.pkrvars.hcl'), 'x = 1\n'), 'it holds files an earlier render did not write: packer/vars.auto.pkrvars.hcl'],
    ['a rendered file edited since', (d: string) => writeFileSync(path.join(d, 'cloud-init/full.yaml'), 'edited'), 'files an earlier render wrote were changed since: cloud-init/full.yaml'],
    ['a symlink where a file was', (d: string) => { rmSync(path.join(d, 'cloud-init/full.yaml')); symlinkSync('/etc/passwd', path.join(d, 'cloud-init/full.yaml')); }, 'it holds files an earlier render did not write: cloud-init/full.yaml'],
    ['a manifest that is not ours', (d: string) => writeFileSync(path.join(d, 'manifest.json'), '{"files": []}'), 'it is not empty and holds no earlier cocca-bake output (manifest.json)'],
    ['a manifest that is not JSON', (d: string) => writeFileSync(path.join(d, 'manifest.json'), 'files:\n'), 'it is not empty and holds no earlier cocca-bake output (manifest.json)'],
  ])('refuses to replace an earlier render holding %s, and --force replaces it', async (_what, spoil, why) => {
    const out = path.join(tempTree({}), 'out');
    expect((await cli('render', `${FX}/valid.yaml`, '--out', out)).exitCode).toBe(0);
    const clean = readTree(out);
    spoil(out);
    const spoiled = readTree(out);
    const r = await cli('render', `${FX}/valid.yaml`, '--out', out);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^1 profile: 1 valid/);
    expect(r.stderr.split('\n').at(-2)).toBe(`cocca-bake: ${out}: ${why}; refusing to replace it (move those away, choose another --out, or give --force to replace the directory whole)`);
    expect(readTree(out)).toEqual(spoiled);
    expect(readdirSync(path.dirname(out))).toEqual(['out']);
    const forced = await cli('render', `${FX}/valid.yaml`, '--out', out, '--force');
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(readTree(out)).toEqual(clean);
  });

  it('refuses an --out that is a file', async () => {
    const dir = tempTree({ 'out': 'a file\n' });
    const r = await cli('render', `${FX}/valid.yaml`, '--out', path.join(dir, 'out'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('exists and is not a directory: refusing to replace it');
    expect(readFileSync(path.join(dir, 'out'), 'utf8')).toBe('a file\n');
  });
});

describe('user-data', () => {
  it('prints a #cloud-config document for --mode firstboot', async () => {
    const r = await cli('user-data', `${FX}/valid.yaml`, '--mode', 'firstboot');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('#cloud-config');
    expect(r.stdout).toContain('profile valid');
  });

  it('prints the same document twice', async () => {
    const a = await cli('user-data', `${FX}/valid.yaml`, '--mode', 'firstboot');
    const b = await cli('user-data', `${FX}/valid.yaml`, '--mode', 'firstboot');
    expect(b.stdout).toBe(a.stdout);
  });

  it('refuses (exit 1, nothing on stdout) a first boot whose secret nothing provides, naming it and how to give it', async () => {
    const leaf = tempTree({ 'base/clean.yaml': CLEAN_BASE, 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: p\n' });
    for (const mode of ['firstboot', 'full']) {
      const r = await cli('user-data', path.join(leaf, 'p.yaml'), '--mode', mode);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain("cocca-bake: first boot needs COCCA_SOURCE_KEYSTORE_PASSWORD (--secrets FILE, a line COCCA_SOURCE_KEYSTORE_PASSWORD=...): tls.mode lab: CoCCA's lab keystore is re-keyed with it; nothing provides it (secrets.source: user-data)");
      expect(r.stderr).toContain('or let first boot read it from a secrets store: secrets.source aws-ssm or aws-secretsmanager in the profile');
      expectNoCrash(r.stderr);
    }
    const custom = tempTree({ 'base/clean.yaml': CLEAN_BASE, 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: p\ntls:\n  mode: custom\n', 's.env': 'COCCA_SOURCE_KEYSTORE_PASSWORD=changeit-changeit\n' });
    const r = await cli('user-data', path.join(custom, 'p.yaml'), '--mode', 'firstboot', '--secrets', path.join(custom, 's.env'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('first boot needs the keystore (--keystore FILE): tls.mode custom: the keystore itself');
    expect(r.stderr).not.toContain('COCCA_SOURCE_KEYSTORE_PASSWORD (--secrets');
  });

  it('prints the user-data once the secret is handed in, with this instance\'s values from the flags', async () => {
    const leaf = tempTree({ 'base/clean.yaml': CLEAN_BASE, 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: p\n', 's.env': 'COCCA_SOURCE_KEYSTORE_PASSWORD=lab-pass-1\r\n' });
    const r = await cli('user-data', path.join(leaf, 'p.yaml'), '--mode', 'firstboot', '--secrets', path.join(leaf, 's.env'), '--fqdn', 'srs-2.nic.example', '--private-ipv4', '10.1.2.3', '--public-ipv4', '203.0.113.7');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('      COCCA_FQDN=srs-2.nic.example\n      COCCA_PRIVATE_IPV4=10.1.2.3\n      COCCA_PUBLIC_IPV4=203.0.113.7\n      COCCA_SOURCE_KEYSTORE_PASSWORD=lab-pass-1\n');
    const bad = await cli('user-data', path.join(leaf, 'p.yaml'), '--mode', 'firstboot', '--secrets', path.join(leaf, 's.env'), '--private-ipv6', 'fe80::1%eth0');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('cocca-bake: --private-ipv6 "fe80::1%eth0" is not an IPv6 address (without a zone)');
  });

  it('refuses a --secrets file that names a value twice or one first boot never takes', async () => {
    const leaf = tempTree({ 'base/clean.yaml': CLEAN_BASE, 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: p\n', 's.env': 'COCCA_SOURCE_KEYSTORE_PASSWORD=one-secret\nCOCCA_SOURCE_KEYSTORE_PASSWORD=two-secret\nCOCCA_KEYSTORE_PASSWORD=generated-only-1\n' });
    const r = await cli('user-data', path.join(leaf, 'p.yaml'), '--mode', 'firstboot', '--secrets', path.join(leaf, 's.env'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${path.join(leaf, 's.env')}:2: COCCA_SOURCE_KEYSTORE_PASSWORD is given twice`);
    expect(r.stderr).toMatch(/s\.env:3: COCCA_KEYSTORE_PASSWORD is not a value first boot takes \(it takes: COCCA_FQDN, /);
    expect(r.stderr).not.toMatch(/one-secret|two-secret|generated-only/);
  });

  it('prints nothing for an invalid profile and exits 1', async () => {
    const r = await cli('user-data', `${FX}/lockout.yaml`, '--mode', 'firstboot');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${FX}/lockout.yaml:5:12: error: firewall.trusted:`);
    expectNoCrash(r.stderr);
  });
});

describe('build --resume, --dry-run, --no-prune, publish, images --prune: the flags and their errors', () => {
  const LEAF = 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: t\n';
  /** A profile repository and a build record of it that stopped after its copies failed. */
  function stopped(over: Record<string, unknown> = {}) {
    const dir = tempTree({ 'base/clean.yaml': CLEAN_BASE, 't.yaml': LEAF });
    const profileFile = path.join(dir, 't.yaml');
    const digest = checkProfile(profileFile).profile!.digest;
    const stage = (name: string, state: string) => ({ name, state });
    const record = {
      schema: 'cocca-bake/build-record/v1', coccaBake: '0.1.0', profile: 't', profileFile, profileDigest: digest, target: 'aws',
      packer: { path: '/usr/bin/packer', version: '1.6.6', flavor: 'legacy' }, artifacts: {}, baseImage: {}, outputs: {}, steps: [],
      stages: [stage('bake', 'done'), stage('share', 'done'), stage('tags', 'done'), stage('copies', 'failed'), stage('retention', 'pending')],
      source: { region: 'eu-west-1', imageId: 'ami-0123456789abcdef0', recordDigest: 'f'.repeat(64) },
      startedAt: '2024-05-01T10:00:00.000Z', result: 'failed', log: path.join(dir, 'packer.log'), ...over,
    };
    const file = path.join(dir, 'build-record.json');
    writeFileSync(file, JSON.stringify(record));
    return { dir, file, profileFile };
  }

  it('--help says what targets.aws.keep does, that build prunes, and how to preview, skip or resume', async () => {
    const r = await cli('build', '--help');
    expect(r.exitCode).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('keeps the targets.aws.keep newest images of the profile (default 3) in the build region and in every copyTo region, and deregisters older ones and deletes their snapshots');
    expect(help).toMatch(/--resume <record> finish the AMI of an earlier build from its first stage not done/);
    expect(help).toMatch(/--dry-run render and packer validate only, no bake; AWS: print which images and snapshots retention would delete now/);
    expect(help).toMatch(/--no-prune AWS: skip retention after the build \(recorded as skipped\)/);
    const images = await cli('images', '--help');
    expect(images.stdout.replace(/\s+/g, ' ')).toMatch(/--prune apply retention now: keep the targets.aws.keep newest images per region \(default 3\).* --dry-run with --prune: print what would be deregistered and deleted, per region, and change nothing/);
  });

  const usage: Array<[string, (s: ReturnType<typeof stopped>) => string[], string]> = [
    ['build without a profile', () => ['build'], 'cocca-bake: build needs at least one profile file (or --resume RECORD)\n'],
    ['--resume with two profiles', (s) => ['build', '--resume', s.file, s.profileFile, s.profileFile], 'cocca-bake: --resume takes one build record and at most one profile file\n'],
    ['--resume --dry-run', (s) => ['build', '--resume', s.file, '--dry-run'], 'cocca-bake: --dry-run previews a new build; it does not go with --resume\n'],
    ['--resume --target qemu', (s) => ['build', '--resume', s.file, '--target', 'qemu'], 'cocca-bake: --resume finishes an AWS build; a qemu build has nothing after the bake\n'],
    ['images --dry-run without --prune', (s) => ['images', s.profileFile, '--dry-run'], 'cocca-bake: --dry-run goes with --prune (images --prune --dry-run)\n'],
  ];
  it.each(usage)('usage error (exit 2): %s', async (_name, args, message) => {
    const r = await cli(...args(stopped()));
    expect([r.exitCode, r.stderr]).toEqual([2, message]);
  });

  it('refuses, exit 1 and one line, a record that is missing, not a record, complete, or of a profile that changed', async () => {
    const s = stopped();
    const missing = await cli('build', '--resume', path.join(s.dir, 'nope.json'));
    expect([missing.exitCode, missing.stderr]).toEqual([1, `cocca-bake: cannot read ${path.join(s.dir, 'nope.json')}: no such file\n`]);
    const dirArg = await cli('build', '--resume', s.dir);
    expect(dirArg.stderr).toBe(`cocca-bake: cannot read ${s.dir}: it is a directory (give its build-record.json)\n`);
    writeFileSync(path.join(s.dir, 'other.json'), '{"builds": []}');
    const other = await cli('build', '--resume', path.join(s.dir, 'other.json'));
    expect([other.exitCode, other.stderr]).toEqual([1, `cocca-bake: ${path.join(s.dir, 'other.json')} is not a cocca-bake build record (no "schema": "cocca-bake/build-record/v1")\n`]);

    const done = stopped({ stages: ['bake', 'share', 'tags', 'copies'].map((name) => ({ name, state: 'done' })).concat([{ name: 'retention', state: 'skipped' }]), result: 'ok' });
    const complete = await cli('build', '--resume', done.file);
    expect(complete.exitCode).toBe(1);
    expect(complete.stderr).toContain(`cocca-bake: ${done.file} is already complete (bake done, share done, tags done, copies done, retention skipped): nothing to resume\n`);

    writeFileSync(s.profileFile, `${LEAF}description: changed\n`);
    const changed = await cli('build', '--resume', s.file);
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toMatch(new RegExp(`cocca-bake: ${s.profileFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} changed since .*build-record\\.json was written \\(profile digest [0-9a-f]{12}\\.\\.\\. then, [0-9a-f]{12}\\.\\.\\. now\\): a resumed build finishes the AMI as the profile was; restore the profile, or build again\\n$`));
    expectNoCrash(changed.stderr);
  });

  it('--resume RECORD PROFILE checks the given profile instead of the one the record names', async () => {
    const s = stopped({ profileFile: '/nonexistent/t.yaml' });
    writeFileSync(s.profileFile, `${LEAF}description: moved and changed\n`);
    const r = await cli('build', '--resume', s.file, s.profileFile);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cocca-bake: ${s.profileFile} changed since`);
    expect(r.stderr).not.toContain('/nonexistent');
  });

  it('publish refuses what is not an AMI id, and a profile without targets.aws, before any AWS call', async () => {
    const s = stopped();
    const bad = await cli('publish', s.profileFile, 'i-0123456789abcdef0');
    expect([bad.exitCode, bad.stderr]).toEqual([1, 'cocca-bake: "i-0123456789abcdef0" is not an AMI id (ami- and 8 or 17 hex digits)\n']);
    const noAws = tempTree({ 'q.yaml': `apiVersion: cocca-bake/v1\nname: q\nhost: {fqdn: q.example}\nfirewall: {trusted: [192.0.2.0/24]}\nsecrets: {source: user-data}\ntargets: {qemu: {accelerator: tcg}}\n` });
    const q = await cli('publish', path.join(noAws, 'q.yaml'), 'ami-0123456789abcdef0');
    expect(q.exitCode).toBe(1);
    expect(q.stderr).toContain(`cocca-bake: ${path.join(noAws, 'q.yaml')} has no targets.aws: nothing to publish to\n`);
    const missing = await cli('publish', s.profileFile);
    expect([missing.exitCode, missing.stderr]).toEqual([2, "error: missing required argument 'ami-id'\n"]);
  });

  it('build --dry-run (qemu, with the Packer stand-in): render and packer validate, no packer build, the record says so', async () => {
    const dir = tempTree({ 'q.yaml': `apiVersion: cocca-bake/v1\nname: q\nos: debian-12\nhost: {fqdn: q.example}\nfirewall: {trusted: [192.0.2.0/24]}\nsecrets: {source: user-data}\nopenssl: {enabled: false}\njava: {source: apt, package: openjdk-17-jdk-headless}\ntargets: {qemu: {accelerator: tcg, baseImage: {url: "file:///srv/base.qcow2", sha256: "${'a'.repeat(64)}"}}}\n` });
    const log = path.join(dir, 'calls.log');
    const r = await execa(process.execPath, [CLI, 'build', path.join(dir, 'q.yaml'), '--dry-run', '--build-dir', path.join(dir, 'b'), '--json'], {
      cwd: REPO,
      reject: false,
      env: { COCCA_PACKER: path.join(REPO, 'test/fixtures/fake-packer/packer'), FAKE_PACKER_LOG: log },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['version', 'init', 'validate']);
    const result = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; record?: { result: string; stages: unknown[] } }).find((e) => e.kind === 'result');
    expect(result?.record).toMatchObject({ result: 'ok', stages: [{ name: 'bake', state: 'skipped', detail: 'dry run: rendered and packer validate only' }] });
  });
});

describe('images --prune against a loopback EC2 (test/helpers/ec2-query-fake.ts; AWS cannot be had here)', () => {
  const image = (id: string, day: number, snapshots = [`snap-${id.slice(4)}`]) => ({ id, name: `cocca-t-${day}`, created: `2024-05-${String(day).padStart(2, '0')}T10:00:00.000Z`, snapshots, tags: { 'cocca-bake:profile': 't' } });
  const run = async (fake: QueryFake, ...args: string[]) => {
    const dir = tempTree({ 'base/clean.yaml': CLEAN_BASE, 't.yaml': 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: t\ntargets:\n  aws:\n    copyTo: [us-east-1]\n    keep: 1\n' });
    return execa(process.execPath, [CLI, 'images', path.join(dir, 't.yaml'), ...args], {
      cwd: REPO,
      reject: false,
      stripFinalNewline: false,
      env: { AWS_ENDPOINT_URL_EC2: fake.url, AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
    });
  };
  const world = () => ({ 'eu-west-1': [image('ami-0000000a', 3), image('ami-0000000b', 2, ['snap-b1', 'snap-b2']), image('ami-0000000c', 1)], 'us-east-1': [image('ami-0000000d', 3)] });

  it('--dry-run prints, per region, what would be deregistered and which snapshots deleted, and calls neither', async () => {
    const fake = await startQueryFake(world());
    try {
      const r = await run(fake, '--prune', '--dry-run');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe(
        [
          'dry run, nothing deleted: keeping the 1 newest images of t per region',
          'eu-west-1:',
          '  kept         ami-0000000a  2024-05-03T10:00:00.000Z  cocca-t-3: one of the 1 newest',
          '  would-delete ami-0000000b  2024-05-02T10:00:00.000Z  cocca-t-2: older than the 1 newest',
          '    snapshot snap-b1 would be deleted',
          '    snapshot snap-b2 would be deleted',
          '  would-delete ami-0000000c  2024-05-01T10:00:00.000Z  cocca-t-1: older than the 1 newest',
          '    snapshot snap-0000000c would be deleted',
          'us-east-1:',
          '  kept         ami-0000000d  2024-05-03T10:00:00.000Z  cocca-t-3: one of the 1 newest',
          '',
        ].join('\n'),
      );
      expect(fake.calls.filter((c) => /Deregister|DeleteSnapshot|unexpected/.test(c))).toEqual([]);
      expect(fake.calls).toContain('eu-west-1 DescribeInstances');
    } finally {
      await fake.close();
    }
  });

  it('without --dry-run applies retention on its own: deregisters, then deletes exactly those snapshots', async () => {
    const fake = await startQueryFake(world());
    try {
      const r = await run(fake, '--prune');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('  deleted      ami-0000000b  2024-05-02T10:00:00.000Z  cocca-t-2: older than the 1 newest\n    snapshot snap-b1 deleted\n    snapshot snap-b2 deleted\n');
      expect(fake.calls.filter((c) => /Deregister|DeleteSnapshot|unexpected/.test(c))).toEqual([
        'eu-west-1 DeregisterImage ami-0000000b',
        'eu-west-1 DeleteSnapshot snap-b1',
        'eu-west-1 DeleteSnapshot snap-b2',
        'eu-west-1 DeregisterImage ami-0000000c',
        'eu-west-1 DeleteSnapshot snap-0000000c',
      ]);
      const json = await run(fake, '--prune', '--dry-run', '--json');
      expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, keep: 1, regions: [{ region: 'eu-west-1', ok: true, outcomes: [{ imageId: 'ami-0000000a', action: 'kept' }] }, { region: 'us-east-1', ok: true }] });
    } finally {
      await fake.close();
    }
  });
});

describe('build --dry-run (AWS) against the loopback EC2 and the Packer stand-in', () => {
  it('checks the regions, renders and validates, bakes nothing, and prints the retention preview', async () => {
    const fake = await startQueryFake({ 'eu-west-1': [
      { id: 'ami-0000000a', name: 'cocca-t-3', created: '2024-05-03T10:00:00.000Z', snapshots: ['snap-a'], tags: { 'cocca-bake:profile': 't' } },
      { id: 'ami-0000000b', name: 'cocca-t-2', created: '2024-05-02T10:00:00.000Z', snapshots: ['snap-b'], tags: { 'cocca-bake:profile': 't' } },
    ] });
    try {
      const dir = tempTree({ 'base/clean.yaml': CLEAN_BASE, 't.yaml': 'apiVersion: cocca-bake/v1\nextends: base/clean.yaml\nname: t\ntargets:\n  aws:\n    copyTo: [us-east-1]\n    keep: 1\n' });
      const r = await execa(process.execPath, [CLI, 'build', path.join(dir, 't.yaml'), '--dry-run', '--build-dir', path.join(dir, 'b')], {
        cwd: REPO,
        reject: false,
        env: { COCCA_PACKER: path.join(REPO, 'test/fixtures/fake-packer/packer'), FAKE_PACKER_LOG: path.join(dir, 'calls.log'), AWS_ENDPOINT_URL_EC2: fake.url, AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['version', 'init', 'validate']);
      expect(r.stderr).toMatch(/\] retention preview \(dry run, nothing deleted\): the 1 newest images of t stay in each region\n.*\] eu-west-1:\n.*\]   kept         ami-0000000a  2024-05-03T10:00:00.000Z  cocca-t-3: one of the 1 newest\n.*\]   would-delete ami-0000000b  2024-05-02T10:00:00.000Z  cocca-t-2: older than the 1 newest\n.*\]     snapshot snap-b would be deleted\n.*\] us-east-1:\n/);
      expect(r.stderr).toMatch(/\[t aws\] dry run done in \d\d:\d\d: rendered and validated, nothing built or changed\n/);
      expect(fake.calls.filter((c) => /Deregister|DeleteSnapshot|unexpected/.test(c))).toEqual([]);
      expect(fake.calls).toContain('eu-west-1 DescribeRegions');
    } finally {
      await fake.close();
    }
  });
});
