// Ubuntu 24.04 LTS (noble), the OS of CoCCA's 2024 guides. Its sshd is socket-activated:
// ssh.socket holds the port and starts ssh.service on the first connection, so the port and
// address sshd listens on are the socket's (a ListenStream drop-in), not sshd_config's.
// Not booted by this project's tests (no Ubuntu archive there): its renders go through the real
// validators instead (ubuntu-24.04.test.ts, docs/compatibility.md).
import { UNPINNED } from '../catalog.js';
import { DEBIAN_BASE_PACKAGES, debianPostgresPackages, UBUNTU_PATH, ubuntuArchive } from './debian-family.js';
import type { OsModule } from './types.js';

export const ubuntu2404: OsModule = {
  name: 'ubuntu-24.04',
  summary: "CoCCA's 2024 guides; checked by the real validators, not booted here",
  users: { aws: 'ubuntu', qemu: 'ubuntu' },
  codename: 'noble',
  archive: ubuntuArchive('noble'),
  pgdgSuite: 'noble-pgdg',
  basePackages: [...DEBIAN_BASE_PACKAGES],
  // In noble's universe, as in jammy's; java.source tarball (the default) needs no package.
  jdk8Package: 'openjdk-8-jdk-headless',
  postgresPackages: debianPostgresPackages,
  path: UBUNTU_PATH,
  cloudImage: {
    url: 'https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img',
    sha256: UNPINNED,
    checksumFile: 'https://cloud-images.ubuntu.com/releases/24.04/release/SHA256SUMS',
  },
  // Canonical's account; noble's AMIs are published under hvm-ssd-gp3 (gp3 root volumes).
  awsBaseImage: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*' },
  awsRootDevice: '/dev/sda1',
  sshd: { service: 'ssh', socket: 'ssh.socket' },
};
