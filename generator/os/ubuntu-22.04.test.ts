// ubuntu-22.04 (jammy): the seed's OS; what it answers and where a render uses it.
import { osTable } from '../../test/unit/os-table.js';
import { ubuntu2204 } from './ubuntu-22.04.js';

osTable(ubuntu2204, {
  users: { aws: 'ubuntu', qemu: 'ubuntu' },
  ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*', rootDevice: '/dev/sda1' },
  qemuImage: {
    url: 'https://cloud-images.ubuntu.com/releases/22.04/release/ubuntu-22.04-server-cloudimg-amd64.img',
    checksum: 'file:https://cloud-images.ubuntu.com/releases/22.04/release/SHA256SUMS',
    checksumFileName: 'SHA256SUMS',
  },
  pgdgSuite: 'jammy-pgdg',
  jdk8Package: 'openjdk-8-jdk-headless',
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin',
  // jammy ships ssh.socket disabled: sshd is a service, restarted for a new port.
  sshdUnit: 'ssh',
});
