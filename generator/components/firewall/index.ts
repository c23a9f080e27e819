// ufw: rules written at bake time, the firewall switched on first thing at first boot
// (switching it on during a bake could cut Packer's own ssh session; the seal sets it to start
// with every boot of an instance). ufw's IPV6=yes covers both families.
import { lines, shq, type Component } from '../model.js';
import { checkPortOverlap, checkTrustedCoverage, checkTrustedNetworks } from './rules.js';

/** The ufw commands that make the profile's rule set, in order. */
export function ufwRules(p: { firewall: { trusted: string[]; publicPorts: number[]; trustedPorts: number[] }; ssh: { port: number } }): string[] {
  const rules = ['default deny incoming', 'default allow outgoing'];
  for (const src of p.firewall.trusted) {
    rules.push(`allow from ${src} to any port ${p.ssh.port} proto tcp comment cocca-ssh`);
    for (const port of p.firewall.trustedPorts) rules.push(`allow from ${src} to any port ${port} comment cocca-trusted`);
  }
  // http, https, whois and EPP are TCP services; DNS (trusted) keeps both protocols.
  for (const port of p.firewall.publicPorts) rules.push(`allow ${port}/tcp comment cocca-public`);
  return rules;
}

export const firewall: Component = {
  name: 'firewall',
  rules: [checkTrustedNetworks, checkTrustedCoverage, checkPortOverlap],
  steps: ({ profile }) => [
    {
      component: 'firewall',
      name: 'rules',
      phase: 'bake',
      title: 'Write the ufw rules (not enabled yet)',
      script: lines(
        'apt_install ufw',
        // Start from nothing so a re-run leaves exactly the profile's rules.
        'ufw --force reset >/dev/null',
        'rm -f /etc/ufw/*.rules.[0-9]* /etc/ufw/*.rules.*_[0-9]*',
        ...ufwRules(profile).map((r) => `ufw ${r.split(' ').map(shq).join(' ')}`),
      ),
    },
    {
      component: 'firewall',
      name: 'enable',
      phase: 'harden',
      title: 'Enable the firewall',
      script: lines(
        // An image's boots start with it on (the seal); a full install's first boot turns it on.
        // ufw's own chain is there exactly when it is active: asking ufw takes most of a second.
        'if iptables -n -L ufw-user-input >/dev/null 2>&1; then log "ufw is active"; else ufw --force enable; fi',
        // sshd may still listen on another port than the profile's (the image's 22): keep that one
        // open to the trusted networks until sshd.harden has seen sshd on its new port.
        'for port in $(sshd_ports); do',
        `  [ "$port" = ${profile.ssh.port} ] && continue`,
        `  ssh_transition_open "$port" ${profile.firewall.trusted.map(shq).join(' ')}`,
        '  log "sshd listens on port $port for now: open to the trusted networks until it moves"',
        'done',
      ),
    },
  ],
};
