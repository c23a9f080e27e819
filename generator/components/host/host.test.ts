// host: the instance's name and its own snakeoil pair, both from what first boot settled.
import { translateTable } from '../../../test/unit/component-table.js';
import { host } from './index.js';

const steps = ['boot:host.name', 'boot:host.snakeoil'];
const HOSTNAME = '/usr/local/lib/cocca/cocca-hostname';
const SNAKEOIL = '/usr/local/lib/cocca/cocca-snakeoil';
const files = [HOSTNAME, SNAKEOIL];

translateTable(host, [
  {
    name: 'the seed: name and snakeoil pair from the settled FQDN, never the profile\'s literal',
    profile: '',
    steps,
    files,
    has: {
      'host.name': [HOSTNAME],
      'host.snakeoil': [`${SNAKEOIL} /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem`],
      [HOSTNAME]: ['fqdn=$(value FQDN)', 'printf "127.0.1.1 %s %s\\n" "$fqdn" "$short" >>/etc/hosts'],
      [SNAKEOIL]: ['fqdn=$(value FQDN)', 'chown root:ssl-cert "$key.new"'],
    },
    lacks: { 'host.name': [/registry\.nic\.example/], 'host.snakeoil': [/registry\.nic\.example/], [HOSTNAME]: [/registry\.nic\.example/], [SNAKEOIL]: [/registry\.nic\.example/] },
  },
  {
    name: 'another FQDN changes no script (one image, many instances)',
    profile: 'host:\n  fqdn: epp.nic.example\n',
    steps,
    files,
    lacks: { 'host.name': [/epp\.nic\.example/], 'host.snakeoil': [/epp\.nic\.example/] },
  },
  {
    name: 'debian-12: the same steps',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps,
    files,
    has: { 'host.snakeoil': [`${SNAKEOIL} /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem`] },
  },
]);
