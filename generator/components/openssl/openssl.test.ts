// openssl: the seed's OpenSSL 1.1.1 from source, or nothing at all.
import { translateTable } from '../../../test/unit/component-table.js';
import { openssl } from './index.js';

const BUILD = '/usr/local/lib/cocca/cocca-openssl-build';
const SYSTEM = '/usr/local/lib/cocca/cocca-openssl-system';
const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

translateTable(openssl, [
  {
    name: 'the seed: 1.1.1s built with make test, the system binary diverted',
    profile: 'artifacts:\n  openssl: {url: https://mirror.example/openssl-1.1.1s.tar.gz, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n',
    steps: ['bake:openssl.build', 'bake:openssl.system'],
    files: [BUILD, SYSTEM],
    has: {
      'openssl.build': [`${BUILD} 1.1.1s /usr/local/ssl https://mirror.example/openssl-1.1.1s.tar.gz ${PIN} test`],
      'openssl.system': [`${SYSTEM} /usr/local/ssl divert`],
      [BUILD]: ['./config --prefix="$prefix" --openssldir="$prefix" shared zlib', 'if [ "$tests" = test ]; then make test; fi', 'make install_sw install_ssldirs'],
      [SYSTEM]: ['echo "$prefix/lib" >/etc/ld.so.conf.d/openssl-1.1.1.conf', 'dpkg-divert --local --rename --divert "/usr/bin/$bin.distrib" --add "/usr/bin/$bin"'],
    },
  },
  {
    name: 'no tests, no diversion: /usr/bin/openssl stays the system one',
    profile: 'openssl:\n  runTests: false\n  divertSystemBinary: false\nartifacts:\n  openssl: {url: https://mirror.example/openssl-1.1.1s.tar.gz, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n',
    steps: ['bake:openssl.build', 'bake:openssl.system'],
    has: { 'openssl.build': [`${BUILD} 1.1.1s /usr/local/ssl https://mirror.example/openssl-1.1.1s.tar.gz ${PIN}`], 'openssl.system': [`${SYSTEM} /usr/local/ssl`] },
  },
  {
    name: 'openssl off: no step at all',
    profile: 'openssl:\n  enabled: false\n',
    steps: [],
    files: [],
  },
]);
