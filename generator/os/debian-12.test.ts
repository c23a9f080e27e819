// debian-12 (bookworm): its images' users differ per target, its AMIs boot from /dev/xvda, and
// it has no snap (so no /snap/bin in the PATH).
import { osTable } from '../../test/unit/os-table.js';
import { debian12 } from './debian-12.js';

osTable(debian12, {
  users: { aws: 'admin', qemu: 'debian' },
  ami: { owner: '136693071363', namePattern: 'debian-12-amd64-*', rootDevice: '/dev/xvda' },
  qemuImage: {
    url: 'https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2',
    checksum: 'file:https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS',
    checksumFileName: 'SHA512SUMS',
  },
  pgdgSuite: 'bookworm-pgdg',
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/games:/usr/games',
  sshdUnit: 'ssh',
});
