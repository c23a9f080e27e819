// Debian 13 (trixie). Its archive carries PostgreSQL 17 only (no postgresql-15) and OpenJDK 21
// and 25 (no openjdk-17, no openjdk-8): a profile with `postgres.source: apt` or `java.source: apt`
// names those (the default pgdg repository and JDK 8 tarball work as on debian-12).
// Booted for real by the end-to-end flow test/e2e/debian-13.test.ts.
import { UNPINNED } from '../catalog.js';
import { DEBIAN_BASE_PACKAGES, DEBIAN_PATH, debianArchive, debianPostgresPackages } from './debian-family.js';
import type { OsModule } from './types.js';

export const debian13: OsModule = {
  name: 'debian-13',
  // As on debian-12: the cloud team's AMIs log in as admin, the genericcloud qcow2 as debian.
  users: { aws: 'admin', qemu: 'debian' },
  codename: 'trixie',
  archive: debianArchive('trixie'),
  pgdgSuite: 'trixie-pgdg',
  basePackages: [...DEBIAN_BASE_PACKAGES],
  postgresPackages: debianPostgresPackages,
  path: DEBIAN_PATH,
  cloudImage: {
    url: 'https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2',
    sha256: UNPINNED,
    // SHA512SUMS beside the image, as for bookworm; Packer tells the hash by its length.
    checksumFile: 'https://cloud.debian.org/images/cloud/trixie/latest/SHA512SUMS',
  },
  // The Debian cloud team's AWS account, the same one that publishes bookworm.
  awsBaseImage: { owner: '136693071363', namePattern: 'debian-13-amd64-*' },
  // Debian's AMIs boot from /dev/xvda: a mapping for /dev/sda1 would add a second volume.
  awsRootDevice: '/dev/xvda',
  // Trixie's openssh-server starts sshd as ssh.service; ssh.socket ships disabled (the e2e
  // flow's `sshd -T` and port checks run against the service).
  sshd: { service: 'ssh' },
};
