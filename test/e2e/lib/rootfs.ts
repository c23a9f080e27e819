/**
 * The "stock cloud image": a Debian root file system (bookworm, or trixie for the debian-13 flow)
 * as a cloud would boot it, made with mmdebstrap from deb.debian.org and cached (see cache.ts). It has systemd, cloud-init (NoCloud
 * from a seed directory), openssh-server and sudo, and is generalized like a published image:
 * no ssh host keys, an empty machine-id.
 *
 * Its network is a veth pair inside the container's own (private) network namespace: eth0
 * carries 10.88.0.2/24 and fd88::2/64, a "private address" like a cloud NIC's, while nothing
 * leaves the container. (A dummy interface would do, but this kernel has no dummy driver.)
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { cached } from './cache.js';
import { progress, run, secs } from './run.js';

/** The Debian suites the harness builds images of: bookworm (debian-12, every flow), trixie (debian-13). */
export type Suite = 'bookworm' | 'trixie';
export const SUITE: Suite = 'bookworm';
export const MIRROR = 'http://deb.debian.org/debian';

/** The instance's private addresses (on eth0). */
export const PRIVATE_IPV4 = '10.88.0.2';
export const PRIVATE_IPV6 = 'fd88::2';

/** What a stock Debian cloud image has that the tests rely on. */
export const STOCK_PACKAGES = [
  'systemd-sysv',
  'udev',
  'dbus',
  'cloud-init',
  'python3-jsonschema',
  'openssh-server',
  'sudo',
  'iproute2',
  'netbase',
  'ca-certificates',
  'curl',
  'python3',
  'procps',
];

/** Files written into the image after mmdebstrap (path relative to the root, content). */
export const STOCK_FILES: Record<string, string> = {
  'etc/hostname': 'debian\n',
  'etc/hosts': '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n',
  'etc/fstab': '# container: no file systems to mount\n',
  // cloud-init: the NoCloud seed directory or nothing; no network config of its own (the
  // image's networkd files are the NIC); C.UTF-8 because no other locale is generated.
  'etc/cloud/cloud.cfg.d/90-e2e.cfg': 'datasource_list: [ NoCloud, None ]\nnetwork: {config: disabled}\nlocale: C.UTF-8\n',
  // Test-image speed only: dpkg skips its fsyncs (as Debian's container images do).
  'etc/dpkg/dpkg.cfg.d/90-e2e-unsafe-io': 'force-unsafe-io\n',
  'etc/systemd/network/10-e2e-nic.netdev': '[NetDev]\nName=eth0\nKind=veth\n\n[Peer]\nName=eth0-peer\n',
  'etc/systemd/network/10-e2e-nic.network': `[Match]\nName=eth0\n\n[Network]\nAddress=${PRIVATE_IPV4}/24\nAddress=${PRIVATE_IPV6}/64\nIPv6AcceptRA=no\n`,
  'etc/systemd/network/11-e2e-peer.network': '[Match]\nName=eth0-peer\n\n[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n\n[Link]\nRequiredForOnline=no\n',
};

/** Units masked because they only slow boots down (as Debian's own test images do). */
export const MASKED_UNITS = ['apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service'];

const RECIPE_VERSION = 'stock-rootfs-v1';

/**
 * The cached stock root file system of a suite (a directory to copy, never to boot in place).
 * The suite is part of the recipe as it always was, so bookworm's key did not change with it.
 */
export async function stockRootfs(suite: Suite = SUITE): Promise<string> {
  const recipe = { v: RECIPE_VERSION, suite, mirror: MIRROR, packages: STOCK_PACKAGES, files: STOCK_FILES, masked: MASKED_UNITS };
  const entry = await cached('stock-rootfs', recipe, async (dir) => {
    const root = path.join(dir, 'rootfs');
    const t0 = Date.now();
    progress(`mmdebstrap ${suite} into ${root} (a few minutes)`);
    await mmdebstrap(root, STOCK_PACKAGES, suite);
    progress(`mmdebstrap ${suite}: ${secs(Date.now() - t0)}`);
    for (const [rel, content] of Object.entries(STOCK_FILES)) {
      await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await fs.writeFile(path.join(root, rel), content, { mode: 0o644 });
    }
    await run('systemctl', ['--root', root, 'enable', 'systemd-networkd.service']);
    await run('systemctl', ['--root', root, 'mask', ...MASKED_UNITS]);
    // Generalized, like a published cloud image: cloud-init makes host keys, systemd the id.
    await run('bash', ['-c', 'rm -f "$1"/etc/ssh/ssh_host_* "$1"/var/lib/dbus/machine-id && : >"$1"/etc/machine-id', 'generalize', root]);
  });
  return path.join(entry, 'rootfs');
}

/** A Debian root file system of a suite with these packages (minbase, no recommends, no docs or locales). */
export async function mmdebstrap(root: string, packages: readonly string[], suite: Suite): Promise<void> {
  await run(
    'mmdebstrap',
    [
      '--variant=minbase',
      '--mode=root',
      '--format=directory',
      `--include=${packages.join(',')}`,
      '--aptopt=Apt::Install-Recommends "false"',
      '--dpkgopt=path-exclude=/usr/share/doc/*',
      '--dpkgopt=path-include=/usr/share/doc/*/copyright',
      '--dpkgopt=path-exclude=/usr/share/man/*',
      '--dpkgopt=path-exclude=/usr/share/locale/*',
      '--dpkgopt=path-include=/usr/share/locale/locale.alias',
      suite,
      root,
      MIRROR,
    ],
    { timeout: 30 * 60_000 },
  );
}
