// sshd hardening from the seed, as a drop-in that wins (in sshd_config.d the first value
// read wins, and 00- sorts first). Applied first thing at first boot, never during a bake (a
// port or AllowUsers change would lock Packer out), by cocca-sshd-apply beside this file:
// `sshd -t` first, the old port kept open in ufw until sshd is seen on the new one, rolled back
// when refused. How sshd is started is the OS's answer: its service, or the socket that
// starts it (socket activation), whose ListenStream the script then moves instead.
import { readValue } from '../../instance/contract.js';
import type { Profile } from '../../profile/types.js';
import { COCCA_LIB, componentFile, lines, type Component, type InstanceFile } from '../model.js';
import { checkRootLogin } from './rules.js';

export const SSHD_STAGED = `${COCCA_LIB}/sshd-hardening.conf`;
export const SSHD_DROPIN = '/etc/ssh/sshd_config.d/00-cocca.conf';
const APPLY = `${COCCA_LIB}/cocca-sshd-apply`;
/** Beside APPLY, which runs it: the socket's ListenStream drop-in, where sshd is socket-activated. */
export const SOCKET_DROPIN_TOOL = `${COCCA_LIB}/cocca-ssh-socket-dropin`;

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function sshdDropin(p: Profile): string {
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
  rules: [checkRootLogin],
  files: ({ profile, os }): InstanceFile[] => [
    { path: SSHD_STAGED, mode: '0644', content: sshdDropin(profile) },
    { path: APPLY, mode: '0755', content: componentFile('sshd', 'cocca-sshd-apply') },
    ...(os.sshd.socket ? [{ path: SOCKET_DROPIN_TOOL, mode: '0755' as const, content: componentFile('sshd', 'cocca-ssh-socket-dropin') }] : []),
  ],
  steps: ({ profile, os }) => [
    {
      component: 'sshd',
      name: 'harden',
      phase: 'harden',
      title: `Harden sshd (port ${profile.ssh.port})`,
      script: `${APPLY} ${SSHD_STAGED} ${profile.ssh.port} ${os.sshd.socket ?? os.sshd.service}${profile.ssh.listenAddress === 'private' ? ` "${readValue('PRIVATE_IPV4')}"` : ''}`,
    },
  ],
};
