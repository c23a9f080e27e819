// Ubuntu 22.04 LTS (jammy), the seed guide's OS. sshd runs as ssh.service (jammy ships
// ssh.socket disabled).
import { UNPINNED } from '../catalog.js';
import { DEBIAN_BASE_PACKAGES, debianPostgresPackages, UBUNTU_PATH, ubuntuArchive } from './debian-family.js';
import type { OsModule } from './types.js';

export const ubuntu2204: OsModule = {
  name: 'ubuntu-22.04',
  summary: "the guide's",
  users: { aws: 'ubuntu', qemu: 'ubuntu' },
  codename: 'jammy',
  archive: ubuntuArchive('jammy'),
  pgdgSuite: 'jammy-pgdg',
  basePackages: [...DEBIAN_BASE_PACKAGES],
  jdk8Package: 'openjdk-8-jdk-headless',
  postgresPackages: debianPostgresPackages,
  path: UBUNTU_PATH,
  cloudImage: {
    url: 'https://cloud-images.ubuntu.com/releases/22.04/release/ubuntu-22.04-server-cloudimg-amd64.img',
    sha256: UNPINNED,
    // Canonical publishes SHA256SUMS beside each image; Packer reads it over verified TLS.
    checksumFile: 'https://cloud-images.ubuntu.com/releases/22.04/release/SHA256SUMS',
  },
  // Canonical's AWS account; the most recent jammy image wins.
  awsBaseImage: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' },
  awsRootDevice: '/dev/sda1',
  sshd: { service: 'ssh' },
};
