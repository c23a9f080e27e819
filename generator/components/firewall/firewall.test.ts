// firewall: ufw rules written at bake, switched on first thing at first boot.
import { translateTable } from '../../../test/unit/component-table.js';
import { firewall } from './index.js';

const steps = ['bake:firewall.rules', 'harden:firewall.enable'];

translateTable(firewall, [
  {
    name: 'the seed: ssh and DNS for the trusted networks, http and https for everyone',
    profile: '',
    steps,
    files: [],
    has: {
      'firewall.rules': [
        'ufw default deny incoming',
        'ufw allow from 198.51.100.0/24 to any port 22 proto tcp comment cocca-ssh',
        'ufw allow from 198.51.100.0/24 to any port 53 comment cocca-trusted',
        'ufw allow from 2001:db8:cc::/48 to any port 22 proto tcp comment cocca-ssh',
        'ufw allow 80/tcp comment cocca-public',
        'ufw allow 443/tcp comment cocca-public',
      ],
      'firewall.enable': ['[ "$port" = 22 ] && continue', 'ssh_transition_open "$port" 198.51.100.0/24 2001:db8:cc::/48'],
    },
  },
  {
    name: 'ssh on 2222, WHOIS and EPP public, no trusted-only ports',
    profile: 'ssh:\n  port: 2222\nfirewall:\n  publicPorts: [80, 443, 43, 700]\n  trustedPorts: []\n',
    steps,
    has: {
      'firewall.rules': ['ufw allow from 198.51.100.0/24 to any port 2222 proto tcp comment cocca-ssh', 'ufw allow 43/tcp comment cocca-public', 'ufw allow 700/tcp comment cocca-public'],
      'firewall.enable': ['[ "$port" = 2222 ] && continue'],
    },
    lacks: { 'firewall.rules': [/cocca-trusted/, /port 22 proto/] },
  },
  {
    name: 'one trusted address, a trusted-only monitoring port',
    profile: 'firewall:\n  trusted: [203.0.113.7]\n  trustedPorts: [53, 9100]\n',
    steps,
    has: { 'firewall.rules': ['ufw allow from 203.0.113.7 to any port 9100 comment cocca-trusted'], 'firewall.enable': ['ssh_transition_open "$port" 203.0.113.7'] },
    lacks: { 'firewall.rules': [/198\.51\.100/] },
  },
]);
