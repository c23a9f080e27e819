// base: the build tools and base packages, the operator's apt sources, unattended upgrades.
import { translateTable } from '../../../test/unit/component-table.js';
import { base } from './index.js';

const steps = ['bake:base.packages', 'bake:base.updates'];
const SOURCES = '/usr/local/lib/cocca/cocca-apt-sources';
const UNATTENDED = '/usr/local/lib/cocca/cocca-unattended';
const FROZEN = '/usr/local/lib/cocca/cocca-apt-frozen';
const FROZEN_LIST = '/usr/local/lib/cocca/frozen-packages.tsv';

translateTable(base, [
  {
    name: '--frozen: the recorded versions pinned before the first apt-get update, one line a name (Multi-Arch: same shares one)',
    profile: '',
    frozen: { versions: { 'libc6:amd64': '2.35-0ubuntu3.8', 'libc6:i386': '2.35-0ubuntu3.8', 'tzdata:all': '2025b-0ubuntu0.22.04' } },
    steps,
    files: [FROZEN, FROZEN_LIST, UNATTENDED],
    has: {
      'base.packages': [`${FROZEN} pin`, 'apt_get update'],
      [FROZEN_LIST]: ['libc6\t2.35-0ubuntu3.8', 'tzdata\t2025b-0ubuntu0.22.04'],
      [FROZEN]: [/^awk -F'\\t' 'NF == 2 \{ printf "Package: %s\\nPin: version %s\\nPin-Priority: 1001\\n\\n", \$1, \$2; n\+\+ \}$/],
    },
  },
  {
    name: 'the seed on Ubuntu: the image\'s sources, unattended security upgrades on',
    profile: '',
    steps,
    files: [UNATTENDED],
    has: {
      'base.packages': ['apt_get update', /^apt_install build-essential .* jq$/],
      'base.updates': [`${UNATTENDED} on`],
      [UNATTENDED]: ['apt_install unattended-upgrades', 'printf \'APT::Periodic::Update-Package-Lists "1";\\nAPT::Periodic::Unattended-Upgrade "1";\\n\' >/etc/apt/apt.conf.d/20auto-upgrades'],
    },
    lacks: { 'base.packages': [/cocca-apt-sources/] },
  },
  {
    name: 'apt.sources: the image\'s sources set aside, the operator\'s written as given',
    profile: 'apt:\n  sources:\n    - "deb [signed-by=/usr/share/keyrings/m.gpg] https://mirror.example/ubuntu jammy main universe"\n    - "deb https://mirror.example/ubuntu jammy-security main"\n',
    steps,
    files: [SOURCES, UNATTENDED],
    has: {
      'base.packages': [
        `${SOURCES} 'deb [signed-by=/usr/share/keyrings/m.gpg] https://mirror.example/ubuntu jammy main universe' 'deb https://mirror.example/ubuntu jammy-security main'`,
        'apt_get update',
      ],
      [SOURCES]: ['mkdir -p /etc/apt/sources-replaced-by-cocca', 'case $f in */cocca.list | */pgdg.list) continue ;; esac', "printf '%s\\n' \"$@\" >/etc/apt/sources.list.d/cocca.list"],
    },
  },
  {
    name: 'debian-12, unattended upgrades off (CoCCA\'s 2024 guide)',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\nupdates:\n  unattendedSecurity: false\n',
    steps,
    has: {
      'base.packages': ['apt_install build-essential checkinstall zlib1g-dev ca-certificates curl gnupg python3 jq'],
      'base.updates': [`${UNATTENDED} off`],
      [UNATTENDED]: [/Unattended-Upgrade "0";/, /systemctl disable unattended-upgrades.service/],
    },
  },
]);
