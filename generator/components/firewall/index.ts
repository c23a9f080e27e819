// ufw: rules written at bake time, the firewall switched on first thing at first boot
// (switching it on during a bake could cut Packer's own ssh session; the seal sets it to start
// with every boot of an instance). ufw's IPV6=yes covers both families. The work is done by the
// two scripts beside this file; the steps hand them the profile's values.
import { COCCA_LIB, componentFile, lines, shq, type Component } from '../model.js';
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

const RULES = `${COCCA_LIB}/ufw.rules`;
const APPLY_RULES = `${COCCA_LIB}/cocca-ufw-rules`;
const ENABLE = `${COCCA_LIB}/cocca-firewall-enable`;

export const firewall: Component = {
  name: 'firewall',
  rules: [checkTrustedNetworks, checkTrustedCoverage, checkPortOverlap],
  files: ({ profile }) => [
    { path: RULES, mode: '0644', content: lines('# ufw arguments, one rule a line (cocca-ufw-rules): the profile\'s firewall.', ...ufwRules(profile), '') },
    { path: APPLY_RULES, mode: '0755', content: componentFile('firewall', 'cocca-ufw-rules') },
    { path: ENABLE, mode: '0755', content: componentFile('firewall', 'cocca-firewall-enable') },
  ],
  steps: ({ profile }) => [
    {
      component: 'firewall',
      name: 'rules',
      phase: 'bake',
      title: 'Write the ufw rules (not enabled yet)',
      script: lines('apt_install ufw', `${APPLY_RULES} ${RULES}`),
    },
    {
      component: 'firewall',
      name: 'enable',
      phase: 'harden',
      title: 'Enable the firewall',
      script: `${ENABLE} ${profile.ssh.port} ${profile.firewall.trusted.map(shq).join(' ')}`,
    },
  ],
};
