// openssl: the seed's OpenSSL 1.1.1 from source, or nothing at all.
import { translateTable } from '../../../test/unit/component-table.js';
import { openssl } from './index.js';

translateTable(openssl, [
  {
    name: 'the seed: 1.1.1s built with make test, the system binary diverted',
    profile: 'artifacts:\n  openssl: {url: https://mirror.example/openssl-1.1.1s.tar.gz, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n',
    steps: ['bake:openssl.build', 'bake:openssl.system'],
    files: [],
    has: {
      'openssl.build': ['./config --prefix=/usr/local/ssl --openssldir=/usr/local/ssl shared zlib', 'make test', 'make install_sw install_ssldirs'],
      'openssl.system': ['echo /usr/local/ssl/lib >/etc/ld.so.conf.d/openssl-1.1.1.conf', 'dpkg-divert --local --rename --divert "/usr/bin/$bin.distrib" --add "/usr/bin/$bin"'],
    },
  },
  {
    name: 'no tests, no diversion: /usr/bin/openssl stays the system one',
    profile: 'openssl:\n  runTests: false\n  divertSystemBinary: false\nartifacts:\n  openssl: {url: https://mirror.example/openssl-1.1.1s.tar.gz, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n',
    steps: ['bake:openssl.build', 'bake:openssl.system'],
    has: { 'openssl.system': ['ldconfig', '/usr/local/ssl/bin/openssl version'] },
    lacks: { 'openssl.build': ['make test'], 'openssl.system': [/dpkg-divert/] },
  },
  {
    name: 'openssl off: no step at all',
    profile: 'openssl:\n  enabled: false\n',
    steps: [],
    files: [],
  },
]);
