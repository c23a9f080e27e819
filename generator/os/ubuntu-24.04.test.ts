// ubuntu-24.04 (noble). No Ubuntu archive is reachable here, so nothing boots it: instead its
// renders go through the programs that will consume them (docs/compatibility.md):
// - socket activation: the rendered cocca-ssh-socket-dropin, run for real, gives ssh.socket a
//   ListenStream drop-in carrying the port and the listen address, which systemd-analyze verify
//   reads without a complaint; the hardened sshd drop-in, as first boot composes it, passes
//   `sshd -t`, and `sshd -T` shows the same port and address;
// - an example profile (eu-west-1's, on noble with PostgreSQL 17, Resin 4.0.67, sshd on the
//   private address and a qcow2 too): cloud-init's schema, ShellCheck and bash -n on every
//   script, hcl2json and `packer validate` (Packer 1.6.6, the legacy flavor; the modern flavor
//   is validated in test/real/aws-network.test.ts), xmllint, PyYAML (render-checks.ts).
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderOutputs } from '../emit/output.js';
import { checkProfile } from '../check/index.js';
import { plan } from '../components/index.js';
import { OutputChecker } from '../../test/real/render-checks.js';
import { hasTool, isRoot, sshdEffective, sshdTest } from '../../test/real/tools.js';
import { osTable, renderFor } from '../../test/unit/os-table.js';
import { PIN, REPO, tempTree } from '../../test/unit/profile-helpers.js';
import { ubuntu2404 } from './ubuntu-24.04.js';

osTable(ubuntu2404, {
  users: { aws: 'ubuntu', qemu: 'ubuntu' },
  ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*', rootDevice: '/dev/sda1' },
  qemuImage: {
    url: 'https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img',
    checksum: 'file:https://cloud-images.ubuntu.com/releases/24.04/release/SHA256SUMS',
    checksumFileName: 'SHA256SUMS',
  },
  pgdgSuite: 'noble-pgdg',
  jdk8Package: 'openjdk-8-jdk-headless',
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin',
  // noble starts sshd through ssh.socket: the apply script moves the socket, not just sshd.
  sshdUnit: 'ssh.socket',
});

const ROOTFS = 'packer/files/rootfs';
const NEEDS = ['sshd', 'ssh-keygen', 'unshare', 'systemd-analyze', 'packer', 'shellcheck', 'xmllint', 'cloud-init', 'runuser'];
const missing = process.env.CI === 'true' ? [] : [...(await Promise.all(NEEDS.map(async (t) => ((await hasTool(t)) ? [] : [t])))).flat(), ...(isRoot() ? [] : ['root'])];
const SKIP = missing.length > 0 ? `needs ${missing.join(', ')} (sudo bash test/setup/deps.sh)` : undefined;

const work = mkdtempSync(path.join(tmpdir(), 'cocca-noble-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * ssh.socket and ssh.service as noble's openssh-server ships them (the socket listens on 22;
 * ssh.service is what it starts). The drop-in resets ListenStream and sets BindIPv6Only itself,
 * so it does not lean on the details of the packaged socket.
 */
const NOBLE_SOCKET = '[Unit]\nDescription=OpenBSD Secure Shell server socket\nBefore=sockets.target ssh.service\nConditionPathExists=!/etc/ssh/sshd_not_to_be_run\n\n[Socket]\nListenStream=22\nAccept=no\nFreeBind=yes\n\n[Install]\nWantedBy=sockets.target\nRequiredBy=ssh.service\n';
const NOBLE_SERVICE = '[Unit]\nDescription=OpenBSD Secure Shell server\nAfter=network.target auditd.service\nConditionPathExists=!/etc/ssh/sshd_not_to_be_run\n\n[Service]\nEnvironmentFile=-/etc/default/ssh\nExecStartPre=/usr/sbin/sshd -t\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\nExecReload=/usr/sbin/sshd -t\nExecReload=/bin/kill -HUP $MAINPID\nKillMode=process\nRestart=on-failure\nRestartPreventExitStatus=255\nType=notify\nRuntimeDirectory=sshd\nRuntimeDirectoryMode=0755\n\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n';

/** `systemd-analyze verify` on ssh.socket with `dropin` as ssh.socket.d/cocca-listen.conf: its complaints. */
async function verifySocket(name: string, dropin: string): Promise<{ exitCode: number | undefined; output: string }> {
  const dir = path.join(work, `units-${name}`);
  mkdirSync(path.join(dir, 'ssh.socket.d'), { recursive: true });
  writeFileSync(path.join(dir, 'ssh.socket'), NOBLE_SOCKET);
  writeFileSync(path.join(dir, 'ssh.service'), NOBLE_SERVICE);
  writeFileSync(path.join(dir, 'ssh.socket.d', 'cocca-listen.conf'), dropin);
  const r = await execa('systemd-analyze', ['verify', '--man=no', path.join(dir, 'ssh.socket')], { reject: false, all: true });
  return { exitCode: r.exitCode, output: String(r.all ?? '') };
}

/** The socket drop-in that first boot writes: the rendered cocca-ssh-socket-dropin, run by bash. */
async function socketDropin(tool: string, ...args: string[]): Promise<string> {
  const r = await execa('bash', [tool, ...args], { reject: false, all: true });
  expect(r.exitCode, String(r.all)).toBe(0);
  return String(r.stdout);
}

const listenStreams = (dropin: string) => dropin.split('\n').filter((l) => l.startsWith('ListenStream=')).map((l) => l.slice('ListenStream='.length));

describe.skipIf(SKIP)(`ubuntu-24.04 through the real validators${SKIP ? ` [skipped: ${SKIP}]` : ''}`, () => {
  describe('ssh socket activation: the port and the address move to ssh.socket', () => {
    const { out } = renderFor('ubuntu-24.04', { ssh: '  port: 2222\n  listenAddress: private\n' });
    const file = (rel: string) => out.files.find((f) => f.path === `${ROOTFS}${rel}`)?.data.toString('utf8');
    const tool = path.join(work, 'cocca-ssh-socket-dropin');
    writeFileSync(tool, file('/usr/local/lib/cocca/cocca-ssh-socket-dropin') ?? '', { mode: 0o755 });

    it('first boot hands the apply script ssh.socket and the private address', () => {
      const harden = out.plan.steps.harden.find((s) => s.component === 'sshd')!;
      expect(harden.script).toBe('/usr/local/lib/cocca/cocca-sshd-apply /usr/local/lib/cocca/sshd-hardening.conf 2222 ssh.socket "$(value PRIVATE_IPV4)"');
      expect(file('/usr/local/lib/cocca/cocca-ssh-socket-dropin')).toMatch(/^#!\/bin\/bash\n/);
      // jammy's sshd is a service: no socket drop-in there.
      expect(renderFor('ubuntu-22.04').out.files.some((f) => f.path.endsWith('/cocca-ssh-socket-dropin'))).toBe(false);
    });

    it('the socket drop-in carries the address and port, and systemd-analyze verify takes it', async () => {
      const dropin = await socketDropin(tool, '2222', '10.0.0.5');
      expect(dropin).toMatch(/^\[Socket\]$/m);
      // The empty value first: the packaged 22 and the generator's addresses.conf are dropped.
      expect(listenStreams(dropin)).toEqual(['', '10.0.0.5:2222']);
      const v = await verifySocket('private', dropin);
      expect(v.output.split('\n').filter((l) => l.includes('ssh.socket')), v.output).toEqual([]);
      // Negative control: the same check reports a drop-in systemd cannot read.
      const bad = await verifySocket('bad', dropin.replace('10.0.0.5:2222', '10.0.0.5:notaport'));
      expect(bad.output).toMatch(/cocca-listen\.conf:\d+: .*10\.0\.0\.5:notaport/);
    });

    it('every address: one dual-stack socket on the port, verified the same way', async () => {
      const dropin = await socketDropin(tool, '2222');
      expect(listenStreams(dropin)).toEqual(['', '2222']);
      expect(dropin).toMatch(/^BindIPv6Only=both$/m);
      const v = await verifySocket('any', dropin);
      expect(v.output.split('\n').filter((l) => l.includes('ssh.socket')), v.output).toEqual([]);
      const refused = await execa('bash', [tool, '70000'], { reject: false, all: true });
      expect(refused.exitCode).toBe(2);
    });

    it('the hardened sshd drop-in, as first boot completes it, passes sshd -t; sshd -T agrees with the socket', async () => {
      // cocca-sshd-apply appends the instance's address to the staged drop-in (00-cocca.conf).
      const sshdDropin = `${file('/usr/local/lib/cocca/sshd-hardening.conf')}ListenAddress 10.0.0.5\n`;
      const t = await sshdTest(sshdDropin, { dropinName: '00-cocca.conf' });
      expect(t.ok, t.output).toBe(true);
      const e = await sshdEffective(sshdDropin, { user: 'ubuntu', host: 'h', addr: '198.51.100.7' }, { dropinName: '00-cocca.conf' });
      expect(e.ok, e.output).toBe(true);
      expect(e.config.get('port')).toEqual(['2222']);
      expect(e.config.get('listenaddress')).toEqual(['10.0.0.5:2222']);
      expect(listenStreams(await socketDropin(tool, '2222', '10.0.0.5')).at(-1)).toBe(e.config.get('listenaddress')![0]);
      expect(e.config.get('allowusers')).toEqual(['ubuntu']);
      expect(e.config.get('passwordauthentication')).toEqual(['no']);
    });
  });

  it('an example profile on noble (PostgreSQL 17, Resin 4.0.67, a qcow2 too) passes cloud-init schema, ShellCheck, packer validate, xmllint', async () => {
    const dir = tempTree({
      'profiles/base/cocca.yaml': readFileSync(path.join(REPO, 'profiles/base/cocca.yaml'), 'utf8'),
      'profiles/eu-west-1.yaml': readFileSync(path.join(REPO, 'profiles/eu-west-1.yaml'), 'utf8'),
      'profiles/noble.yaml':
        'apiVersion: cocca-bake/v1\nextends: eu-west-1.yaml\nname: noble\nos: ubuntu-24.04\n' +
        'ssh:\n  listenAddress: private\npostgres:\n  version: 17\nresin:\n  version: 4.0.67\n' +
        // Pinned: with the publisher's SHA256SUMS, packer validate would fetch it (no network here).
        `targets:\n  qemu:\n    baseImage: {url: "${ubuntu2404.cloudImage.url}", sha256: ${PIN}}\n`,
    });
    const r = checkProfile(path.join(dir, 'profiles/noble.yaml'));
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => `${f.path}: ${f.message}`)).toEqual([]);
    const p = plan(r.profile!, r.os!);
    const modern = renderOutputs(r.profile!, r.os!, p, { packerFlavor: 'modern' });
    const legacy = renderOutputs(r.profile!, r.os!, p, { packerFlavor: 'legacy' });
    const files = new Map(modern.files.map((f) => [f.path, f.data]));
    // What makes it noble's, in the files the tools check.
    const hcl = files.get('packer/cocca.pkr.hcl')!.toString('utf8');
    expect(hcl).toContain('"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"');
    expect(hcl).toContain('"https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img"');
    const full = files.get('cloud-init/full.yaml')!.toString('utf8');
    expect(full).toContain('/usr/local/lib/cocca/cocca-pgdg noble-pgdg ');
    expect(full).toContain('/cocca-pg-install 17 registry postgresql-17 postgresql-client-17');
    expect(full).toContain('https://caucho.com/download/resin-4.0.67.tar.gz');
    expect(full).toContain('2222 ssh.socket "$(value PRIVATE_IPV4)"');
    expect(files.has(`${ROOTFS}/usr/local/lib/cocca/cocca-ssh-socket-dropin`)).toBe(true);

    const checker = new OutputChecker({ cloudInit: true });
    try {
      checker.add('noble', files, legacy.files.find((f) => f.path === 'packer/cocca.pkr.hcl')!.data.toString('utf8'));
      const problems = await checker.run();
      expect(problems, checker.summary()).toEqual([]);
      expect(checker.summary()).toMatch(/packer validate on 1;/);
    } finally {
      checker.cleanup();
    }
  }, 300_000);
});
