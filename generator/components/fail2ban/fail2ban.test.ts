// fail2ban: the sshd jail on the port sshd really listens on, read from the journal.
import { translateTable } from '../../../test/unit/component-table.js';
import { fail2ban } from './index.js';

const steps = ['bake:fail2ban.install', 'harden:fail2ban.start'];
const JAIL = '/etc/fail2ban/jail.d/cocca.local';

translateTable(fail2ban, [
  {
    name: 'the seed: 5 tries in 10 minutes, banned for an hour, on port 22',
    profile: '',
    steps,
    files: [JAIL],
    has: { [JAIL]: ['[sshd]', 'port = 22', 'backend = systemd', 'maxretry = 5', 'findtime = 10m', 'bantime = 1h'], 'fail2ban.install': ['apt_install fail2ban python3-systemd', 'fail2ban-client -t'] },
  },
  {
    name: 'stricter times, and the jail follows ssh to 2222',
    profile: 'ssh:\n  port: 2222\nfail2ban:\n  maxRetry: 3\n  findTime: 1h\n  banTime: 1d\n',
    steps,
    files: [JAIL],
    has: { [JAIL]: ['port = 2222', 'maxretry = 3', 'findtime = 1h', 'bantime = 1d'] },
  },
  {
    name: 'debian-12: the same jail (journal backend, no auth.log needed)',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps,
    files: [JAIL],
    has: { [JAIL]: ['backend = systemd'], 'fail2ban.start': ['svc restart fail2ban.service'] },
  },
]);
