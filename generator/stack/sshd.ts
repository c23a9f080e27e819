// sshd hardening from the seed, as a drop-in that wins (in sshd_config.d the first value
// read wins, and 00- sorts first). Applied at first boot only: a port or AllowUsers change
// during a bake would lock Packer out. `sshd -t` first; a config that fails is rolled back.
import { lines, type Component } from './step.js';

export const SSHD_STAGED = '/usr/local/lib/cocca/sshd-hardening.conf';
export const SSHD_DROPIN = '/etc/ssh/sshd_config.d/00-cocca.conf';

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function sshdDropin(p: import('../profile/types.js').Profile): string {
  const s = p.ssh;
  return lines(
    '# Written by cocca-bake at first boot. ListenAddress, when set, follows from this instance.',
    `Port ${s.port}`,
    `AllowUsers ${s.allowUsers.join(' ')}`,
    `LoginGraceTime ${s.loginGraceTime}`,
    `PermitRootLogin ${s.permitRootLogin}`,
    `MaxAuthTries ${s.maxAuthTries}`,
    'HostbasedAuthentication no',
    'IgnoreRhosts yes',
    'PermitEmptyPasswords no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `AllowTcpForwarding ${yesNo(s.allowTcpForwarding)}`,
    `X11Forwarding ${yesNo(s.x11Forwarding)}`,
    `ClientAliveInterval ${s.clientAliveInterval}`,
    // The seed's 0 means "never disconnect" on OpenSSH 8.2 and later.
    `ClientAliveCountMax ${s.clientAliveCountMax}`,
    `MaxStartups ${s.maxStartups}`,
    '',
  );
}

export const sshd: Component = {
  name: 'sshd',
  files: ({ profile }) => [{ path: SSHD_STAGED, mode: '0644', content: sshdDropin(profile) }],
  steps: ({ profile, os }) => [
    {
      component: 'sshd',
      name: 'harden',
      phase: 'boot',
      title: `Harden sshd (port ${profile.ssh.port})`,
      script: lines(
        `new=${SSHD_DROPIN}.new`,
        `cp ${SSHD_STAGED} "$new"`,
        profile.ssh.listenAddress === 'private' && 'printf "ListenAddress %s\\n" "$(value PRIVATE_IPV4)" >>"$new"',
        'chmod 0644 "$new"',
        `had_old=no; [ -e ${SSHD_DROPIN} ] && had_old=yes && cp -p ${SSHD_DROPIN} ${SSHD_DROPIN}.old`,
        `mv -f "$new" ${SSHD_DROPIN}`,
        'mkdir -p /run/sshd',
        'if ! sshd -t; then',
        `  if [ "$had_old" = yes ]; then mv -f ${SSHD_DROPIN}.old ${SSHD_DROPIN}; else rm -f ${SSHD_DROPIN}; fi`,
        '  die "sshd -t refused the hardened configuration; the previous one was kept"',
        'fi',
        `rm -f ${SSHD_DROPIN}.old`,
        `systemctl restart ${os.sshService}.service`,
      ),
    },
  ],
};
