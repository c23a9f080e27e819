/**
 * The qemu flow's "stock cloud image": the stock root file system's packages plus Debian's cloud
 * kernel, as an ext4 file system without a partition table in a qcow2 (booted by qemu's direct
 * kernel boot, `root=LABEL=root`: no boot loader needed), with the kernel and initrd beside it.
 * research/test-tools.md §3. Cached like the other entries (cache.ts).
 *
 * The local mirror and the artifacts reach the VM as read-only ext4 disks (data disks, see
 * `dataDisk`), mounted by label from the image's fstab at the same paths the containers use.
 * `nofail`: the built image boots without them too. A long device timeout: under TCG, udev
 * names the disks many seconds after the kernel found them.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ARTIFACTS_MOUNT } from './artifacts.js';
import { cached } from './cache.js';
import { MIRROR_MOUNT } from './profile.js';
import { MASKED_UNITS, MIRROR, mmdebstrap, STOCK_FILES, STOCK_PACKAGES, SUITE } from './rootfs.js';
import { progress, run } from './run.js';

/** Labels of the data disks and where the image mounts them. */
export const DATA_DISKS = { 'cocca-mirror': MIRROR_MOUNT, 'cocca-artifacts': ARTIFACTS_MOUNT } as const;
export type DataDiskLabel = keyof typeof DATA_DISKS;

const VM_FILES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(STOCK_FILES).filter(([f]) => !f.startsWith('etc/systemd/network/') && f !== 'etc/fstab')),
  'etc/fstab': [
    // By label: the data disks may come first and take /dev/vda.
    'LABEL=root / ext4 defaults,errors=remount-ro 0 1',
    ...Object.entries(DATA_DISKS).map(([label, dir]) => `LABEL=${label} ${dir} ext4 ro,nofail,x-systemd.device-timeout=5min 0 0`),
    '',
  ].join('\n'),
  // qemu's user network: DHCP gives 10.0.2.15, router advertisements a fec0::/64 address.
  'etc/systemd/network/20-vm-nic.network': '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n',
};

/** The kernel command line of every boot of these images. */
export const KERNEL_APPEND = 'root=LABEL=root rw console=ttyS0';

const RECIPE_VERSION = 'vm-base-v3';
const KERNEL_PACKAGES = ['linux-image-cloud-amd64', 'e2fsprogs'];

export interface VmBase {
  /** The qcow2 to build from (iso_url, disk_image). */
  qcow2: string;
  kernel: string;
  initrd: string;
  /** Its root file system, kept for apt to resolve the local mirror against. */
  rootfs: string;
}

/** The cached base VM image (never booted in place: Packer copies it). */
export async function vmBase(): Promise<VmBase> {
  const recipe = { v: RECIPE_VERSION, suite: SUITE, mirror: MIRROR, packages: [...STOCK_PACKAGES, ...KERNEL_PACKAGES], files: VM_FILES, masked: MASKED_UNITS };
  const entry = await cached('vm-base', recipe, async (dir) => {
    const root = path.join(dir, 'rootfs');
    progress(`mmdebstrap ${SUITE} with a kernel into ${root} (a few minutes)`);
    await mmdebstrap(root, recipe.packages, SUITE);
    for (const [rel, content] of Object.entries(VM_FILES)) {
      await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await fs.writeFile(path.join(root, rel), content, { mode: 0o644 });
    }
    await run('systemctl', ['--root', root, 'enable', 'systemd-networkd.service']);
    // wait-online would hold the boot for the IPv6 address nobody waits for.
    await run('systemctl', ['--root', root, 'mask', ...MASKED_UNITS, 'systemd-networkd-wait-online.service']);
    await run('bash', ['-c', 'rm -f "$1"/etc/ssh/ssh_host_* "$1"/var/lib/dbus/machine-id && : >"$1"/etc/machine-id', 'generalize', root]);
    await fs.copyFile(path.join(root, 'vmlinuz'), path.join(dir, 'vmlinuz'));
    await fs.copyFile(path.join(root, 'initrd.img'), path.join(dir, 'initrd.img'));
    const raw = path.join(dir, 'base.raw');
    await run('truncate', ['-s', '4G', raw]);
    await run('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', root, raw], { timeout: 10 * 60_000 });
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, path.join(dir, 'base.qcow2')], { timeout: 10 * 60_000 });
    await fs.rm(raw);
  });
  return { qcow2: path.join(entry, 'base.qcow2'), kernel: path.join(entry, 'vmlinuz'), initrd: path.join(entry, 'initrd.img'), rootfs: path.join(entry, 'rootfs') };
}

/** A read-only ext4 image of a directory, labelled for the image's fstab. */
export async function dataDisk(from: string, label: DataDiskLabel, out: string): Promise<string> {
  const du = await run('du', ['-sbL', from]);
  const bytes = Number(du.stdout.split(/\s/)[0]);
  // Room for ext4's own structures; -d copies the tree (following no links: copy them resolved).
  const staging = `${out}.d`;
  await fs.rm(staging, { recursive: true, force: true });
  await run('cp', ['-rL', '--reflink=auto', `${from}/.`, staging]);
  await run('truncate', ['-s', String(Math.ceil((bytes * 1.2 + 64e6) / 1e6) * 1e6), out]);
  await run('mkfs.ext4', ['-q', '-F', '-L', label, '-d', staging, out], { timeout: 10 * 60_000 });
  await fs.rm(staging, { recursive: true });
  return out;
}
