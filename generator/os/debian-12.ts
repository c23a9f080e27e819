// Debian 12 (bookworm). sshd runs as ssh.service; no snap, so no /snap/bin in the PATH.
import { UNPINNED } from '../catalog.js';
import { DEBIAN_BASE_PACKAGES, DEBIAN_PATH, debianArchive, debianPostgresPackages } from './debian-family.js';
import type { OsModule } from './types.js';

export const debian12: OsModule = {
  name: 'debian-12',
  // The AMIs of Debian's cloud team log in as admin; the genericcloud qcow2 as debian.
  users: { aws: 'admin', qemu: 'debian' },
  codename: 'bookworm',
  archive: debianArchive('bookworm'),
  pgdgSuite: 'bookworm-pgdg',
  basePackages: [...DEBIAN_BASE_PACKAGES],
  // bookworm's archive has no Java 8 (openjdk-17 is its oldest): the tarball, or a package from apt.sources.
  postgresPackages: debianPostgresPackages,
  path: DEBIAN_PATH,
  cloudImage: {
    url: 'https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2',
    sha256: UNPINNED,
    // Debian publishes SHA512SUMS beside its images; Packer tells the hash by its length.
    checksumFile: 'https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS',
  },
  // The Debian cloud team's AWS account.
  awsBaseImage: { owner: '136693071363', namePattern: 'debian-12-amd64-*' },
  // Debian's AMIs boot from /dev/xvda: a mapping for /dev/sda1 would add a second volume.
  awsRootDevice: '/dev/xvda',
  sshd: { service: 'ssh' },
};
