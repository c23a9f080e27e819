// base: the build tools and base packages, the operator's apt sources, unattended upgrades.
import { describe, expect, it } from 'vitest';
import { translateTable } from '../../../test/unit/component-table.js';
import { checkFragment } from '../../../test/unit/profile-helpers.js';
import { base } from './index.js';
import { armoredKeyProblem } from './rules.js';

/** A real Ed25519 public key (gpg --armor --export), made for this test; its secret half was destroyed. */
const KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEaw0f3xYJKwYBBAHaRw8BAQdAeY+A5//mmW9+28WHDWZeuP0rRdDhouBCCQRh
yHSS0t+0E2NvY2NhLWJha2UgdGVzdCBrZXmIkAQTFggAOBYhBNi3VuYQRrwnSsmx
JsxNQhc0voFxBQJrDR/fAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEMxN
Qhc0voFx42IA/1Y3PUF9Olo9MgySe6nkWNIIi7qcskGZ2e3e7vPMeeFaAQCRcncj
HQODJZboA2BD1kk00Bz5fTw0LFOgiKkfalp5Ag==
=rfva
-----END PGP PUBLIC KEY BLOCK-----
`;
const KEY_YAML = `apt:
  sources:
    - "deb [signed-by=/etc/apt/keyrings/site.asc] https://mirror.example/debian bookworm main"
  keys:
    site: |
${KEY.trimEnd().split('\n').map((l) => `      ${l}`).join('\n')}
`;

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
  {
    name: 'apt.keys: each key in /etc/apt/keyrings/NAME.asc, installed before the sources are set',
    profile: KEY_YAML,
    steps,
    files: ['/etc/apt/keyrings/site.asc', SOURCES, UNATTENDED],
    has: {
      '/etc/apt/keyrings/site.asc': ['-----BEGIN PGP PUBLIC KEY BLOCK-----', '-----END PGP PUBLIC KEY BLOCK-----'],
      'base.packages': [`${SOURCES} 'deb [signed-by=/etc/apt/keyrings/site.asc] https://mirror.example/debian bookworm main'`],
    },
  },
]);

describe('apt.keys', () => {
  it('takes a real armored public key as it is', () => {
    expect(armoredKeyProblem(KEY)).toBeUndefined();
    const r = checkFragment({ yaml: KEY_YAML });
    expect(r.findings.filter((f) => f.path.startsWith('apt'))).toEqual([]);
    expect(r.profile!.apt.keys!.site).toBe(KEY);
  });

  it.each([
    ['a changed byte', KEY.replace(/(\n\n.)./, (_m, a: string) => `${a}${a.slice(-1) === 'A' ? 'B' : 'A'}`), /fails its checksum/],
    ['a private key block', KEY.replaceAll('PUBLIC KEY', 'PRIVATE KEY'), /does not start with -----BEGIN PGP PUBLIC KEY BLOCK-----/],
    ['a key file name, not a key', '/usr/share/keyrings/site.gpg', /does not start with/],
    ['no end line', KEY.replace('-----END PGP PUBLIC KEY BLOCK-----', ''), /does not end with/],
    ['a body that is not base64', KEY.replace(/\n\n/, '\n\nnot base64!\n'), /is not base64/],
  ])('refuses %s', (_name, text, why) => {
    expect(armoredKeyProblem(text)).toMatch(why);
  });

  it('refuses a bad key with its field and line, and a bad name; warns of a key no source names', () => {
    const bad = checkFragment({ yaml: `apt:\n  sources: ["deb https://mirror.example/debian bookworm main"]\n  keys:\n    site: "not a key"\n    Bad/Name: "x"\n` });
    const errors = bad.findings.filter((f) => f.severity === 'error').map((f) => `${f.path}:${f.line}: ${f.message}`);
    expect(errors.join('\n')).toMatch(/apt\.keys\.site:7: apt\.keys\.site does not start with/);
    expect(errors.join('\n')).toMatch(/Bad\/Name/);
    const unused = checkFragment({ yaml: KEY_YAML.replace('signed-by=/etc/apt/keyrings/site.asc', 'signed-by=/usr/share/keyrings/m.gpg') });
    expect(unused.findings.filter((f) => f.path === 'apt.keys.site').map((f) => [f.severity, f.message])).toEqual([
      ['warning', 'no apt.sources line trusts apt.keys.site (signed-by=/etc/apt/keyrings/site.asc)'],
    ]);
  });
});
