// host: the instance's name and its own snakeoil pair, both from what first boot settled.
import { translateTable } from '../../../test/unit/component-table.js';
import { host } from './index.js';

const steps = ['boot:host.name', 'boot:host.snakeoil'];

translateTable(host, [
  {
    name: 'the seed: name and snakeoil pair from the settled FQDN, never the profile\'s literal',
    profile: '',
    steps,
    files: [],
    has: { 'host.name': ['fqdn=$(value FQDN)', 'printf "127.0.1.1 %s %s\\n" "$fqdn" "$short" >>/etc/hosts'], 'host.snakeoil': ['chown root:ssl-cert /etc/ssl/private/ssl-cert-snakeoil.key.new'] },
    lacks: { 'host.name': [/registry\.nic\.example/], 'host.snakeoil': [/registry\.nic\.example/] },
  },
  {
    name: 'another FQDN changes no script (one image, many instances)',
    profile: 'host:\n  fqdn: epp.nic.example\n',
    steps,
    lacks: { 'host.name': [/epp\.nic\.example/], 'host.snakeoil': [/epp\.nic\.example/] },
  },
  {
    name: 'debian-12: the same steps',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps,
    has: { 'host.snakeoil': ['fqdn=$(value FQDN)'] },
  },
]);
