// base: the build tools and base packages, the operator's apt sources, unattended upgrades.
import { translateTable } from '../../../test/unit/component-table.js';
import { base } from './index.js';

const steps = ['bake:base.packages', 'bake:base.updates'];

translateTable(base, [
  {
    name: 'the seed on Ubuntu: the image\'s sources, unattended security upgrades on',
    profile: '',
    steps,
    files: [],
    has: {
      'base.packages': ['apt_get update', /^apt_install build-essential .* jq$/],
      'base.updates': ['apt_install unattended-upgrades'],
    },
    lacks: { 'base.packages': [/sources-replaced-by-cocca/] },
  },
  {
    name: 'apt.sources: the image\'s sources set aside, the operator\'s written as given',
    profile: 'apt:\n  sources:\n    - "deb [signed-by=/usr/share/keyrings/m.gpg] https://mirror.example/ubuntu jammy main universe"\n    - "deb https://mirror.example/ubuntu jammy-security main"\n',
    steps,
    has: {
      'base.packages': [
        'mkdir -p /etc/apt/sources-replaced-by-cocca',
        "printf '%s\\n' 'deb [signed-by=/usr/share/keyrings/m.gpg] https://mirror.example/ubuntu jammy main universe' 'deb https://mirror.example/ubuntu jammy-security main' >/etc/apt/sources.list.d/cocca.list",
        'apt_get update',
      ],
    },
  },
  {
    name: 'debian-12, unattended upgrades off (CoCCA\'s 2024 guide)',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\nupdates:\n  unattendedSecurity: false\n',
    steps,
    has: {
      'base.packages': ['apt_install build-essential checkinstall zlib1g-dev ca-certificates curl gnupg python3 jq'],
      'base.updates': [/Unattended-Upgrade "0";/, /systemctl disable unattended-upgrades.service/],
    },
    lacks: { 'base.updates': ['apt_install unattended-upgrades'] },
  },
]);
