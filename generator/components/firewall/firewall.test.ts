// firewall: ufw rules written at bake, switched on first thing at first boot, by the two scripts
// beside this test (cocca-ufw-rules, cocca-firewall-enable); the steps hand them the profile's values.
import { translateTable } from '../../../test/unit/component-table.js';
import { firewall } from './index.js';

const L = '/usr/local/lib/cocca';
const steps = ['bake:firewall.rules', 'harden:firewall.enable'];
const files = [`${L}/ufw.rules`, `${L}/cocca-ufw-rules`, `${L}/cocca-firewall-enable`];

translateTable(firewall, [
  {
    name: 'the seed: ssh and DNS for the trusted networks, http and https for everyone',
    profile: '',
    steps,
    files,
    has: {
      'firewall.rules': ['apt_install ufw', `${L}/cocca-ufw-rules ${L}/ufw.rules`],
      [`${L}/ufw.rules`]: [
        'default deny incoming',
        'allow from 198.51.100.0/24 to any port 22 proto tcp comment cocca-ssh',
        'allow from 198.51.100.0/24 to any port 53 comment cocca-trusted',
        'allow from 2001:db8:cc::/48 to any port 22 proto tcp comment cocca-ssh',
        'allow 80/tcp comment cocca-public',
        'allow 443/tcp comment cocca-public',
      ],
      'firewall.enable': [`${L}/cocca-firewall-enable 22 198.51.100.0/24 2001:db8:cc::/48`],
    },
  },
  {
    name: 'ssh on 2222, WHOIS and EPP public, no trusted-only ports',
    profile: 'ssh:\n  port: 2222\nfirewall:\n  publicPorts: [80, 443, 43, 700]\n  trustedPorts: []\n',
    steps,
    files,
    has: {
      [`${L}/ufw.rules`]: ['allow from 198.51.100.0/24 to any port 2222 proto tcp comment cocca-ssh', 'allow 43/tcp comment cocca-public', 'allow 700/tcp comment cocca-public'],
      'firewall.enable': [`${L}/cocca-firewall-enable 2222 198.51.100.0/24 2001:db8:cc::/48`],
    },
    lacks: { [`${L}/ufw.rules`]: [/cocca-trusted/, /port 22 proto/] },
  },
  {
    name: 'one trusted address, a trusted-only monitoring port',
    profile: 'firewall:\n  trusted: [203.0.113.7]\n  trustedPorts: [53, 9100]\n',
    steps,
    files,
    has: { [`${L}/ufw.rules`]: ['allow from 203.0.113.7 to any port 9100 comment cocca-trusted'], 'firewall.enable': [`${L}/cocca-firewall-enable 22 203.0.113.7`] },
    lacks: { [`${L}/ufw.rules`]: [/198\.51\.100/] },
  },
]);
