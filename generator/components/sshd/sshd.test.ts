// sshd: the hardening drop-in staged at bake, applied first thing at first boot.
import { translateTable } from '../../../test/unit/component-table.js';
import { sshd } from './index.js';

const files = ['/usr/local/lib/cocca/sshd-hardening.conf', '/usr/local/lib/cocca/cocca-sshd-apply'];

translateTable(sshd, [
  {
    name: 'the seed: port 22, no forwarding, ssh.service on Ubuntu, every address',
    profile: '',
    steps: ['harden:sshd.harden'],
    files,
    has: {
      'sshd.harden': ['/usr/local/lib/cocca/cocca-sshd-apply /usr/local/lib/cocca/sshd-hardening.conf 22 ssh'],
      '/usr/local/lib/cocca/sshd-hardening.conf': ['Port 22', 'AllowUsers ubuntu', 'PermitRootLogin no', 'PasswordAuthentication no', 'AllowTcpForwarding no', 'X11Forwarding no', 'ClientAliveCountMax 2', 'MaxStartups 2'],
    },
    lacks: { '/usr/local/lib/cocca/sshd-hardening.conf': [/^ListenAddress/] },
  },
  {
    name: 'listenAddress private: the apply script is handed the private address first boot settled',
    profile: 'ssh:\n  port: 2222\n  listenAddress: private\n',
    steps: ['harden:sshd.harden'],
    files,
    has: {
      'sshd.harden': ['/usr/local/lib/cocca/cocca-sshd-apply /usr/local/lib/cocca/sshd-hardening.conf 2222 ssh "$(value PRIVATE_IPV4)"'],
      '/usr/local/lib/cocca/sshd-hardening.conf': ['Port 2222'],
    },
  },
  {
    name: 'debian-12 with its admin user, forwarding on, root by key',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin, ops]\n  allowTcpForwarding: true\n  permitRootLogin: prohibit-password\n  maxAuthTries: 5\n',
    steps: ['harden:sshd.harden'],
    files,
    has: {
      'sshd.harden': ['/usr/local/lib/cocca/cocca-sshd-apply /usr/local/lib/cocca/sshd-hardening.conf 22 ssh'],
      '/usr/local/lib/cocca/sshd-hardening.conf': ['AllowUsers admin ops', 'AllowTcpForwarding yes', 'PermitRootLogin prohibit-password', 'MaxAuthTries 5'],
    },
  },
]);
