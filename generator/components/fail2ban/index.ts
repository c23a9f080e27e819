// fail2ban's sshd jail on the real ssh port, reading the journal (python3-systemd) so it
// works whether or not the system writes /var/log/auth.log.
import { lines, type Component } from '../model.js';
import { checkFail2banTimes } from './rules.js';

export const JAIL_PATH = '/etc/fail2ban/jail.d/cocca.local';

export const fail2ban: Component = {
  name: 'fail2ban',
  rules: [checkFail2banTimes],
  files: ({ profile }) => [
    {
      path: JAIL_PATH,
      mode: '0644',
      content: lines(
        '# Written by cocca-bake: the sshd jail on the port sshd really listens on.',
        '[sshd]',
        'enabled = true',
        `port = ${profile.ssh.port}`,
        'backend = systemd',
        `maxretry = ${profile.fail2ban.maxRetry}`,
        `findtime = ${profile.fail2ban.findTime}`,
        `bantime = ${profile.fail2ban.banTime}`,
        '',
      ),
    },
  ],
  steps: () => [
    {
      component: 'fail2ban',
      name: 'install',
      phase: 'bake',
      title: 'Install fail2ban with the sshd jail',
      script: lines('apt_install fail2ban python3-systemd', 'fail2ban-client -t', 'systemctl enable fail2ban.service'),
    },
    {
      component: 'fail2ban',
      name: 'start',
      phase: 'harden',
      // Restarted once python3-systemd is surely configured (apt may configure it after fail2ban).
      // The jail was checked (fail2ban-client -t) when it was baked; a start that fails says why.
      title: 'Start fail2ban',
      script: 'svc restart fail2ban.service',
    },
  ],
};
