import { UNPINNED } from '../catalog.js';
import type { OsModule } from './types.js';

export const ubuntu2204: OsModule = {
  name: 'ubuntu-22.04',
  users: { aws: 'ubuntu', qemu: 'ubuntu' },
  codename: 'jammy',
  basePackages: ['build-essential', 'checkinstall', 'zlib1g-dev', 'ca-certificates', 'curl', 'gnupg', 'python3', 'jq'],
  cloudImage: {
    url: 'https://cloud-images.ubuntu.com/releases/22.04/release/ubuntu-22.04-server-cloudimg-amd64.img',
    sha256: UNPINNED,
    // Canonical publishes SHA256SUMS beside each image; Packer reads it over verified TLS.
    checksumFile: 'https://cloud-images.ubuntu.com/releases/22.04/release/SHA256SUMS',
  },
  // Canonical's AWS account; the most recent jammy image wins.
  awsBaseImage: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' },
  awsRootDevice: '/dev/sda1',
  sshService: 'ssh',
};
