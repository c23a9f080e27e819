// OpenSSL 1.1.1 built from source into its own prefix, as the seed does. The system libssl3
// stays: the build has another soname (libssl.so.1.1), and /usr/bin/openssl is only diverted.
import { lines, shq, type Component } from '../model.js';

export const OPENSSL_PREFIX = '/usr/local/ssl';

export const openssl: Component = {
  name: 'openssl',
  steps: ({ profile }) => {
    const o = profile.openssl;
    if (!o.enabled) return [];
    const art = profile.downloads.openssl;
    const src = `/usr/local/src/openssl-${o.version}`;
    return [
      {
        component: 'openssl',
        name: 'build',
        phase: 'bake',
        title: `Build OpenSSL ${o.version} into ${OPENSSL_PREFIX}${o.runTests ? ' (with make test)' : ''}`,
        script: lines(
          `if ${OPENSSL_PREFIX}/bin/openssl version 2>/dev/null | grep -q ${shq(`^OpenSSL ${o.version} `)}; then log "OpenSSL ${o.version} already installed"; exit 0; fi`,
          `fetch ${shq(art.url)} ${art.sha256} /usr/local/src/openssl-${o.version}.tar.gz`,
          `rm -rf ${src}`,
          `tar -xzf /usr/local/src/openssl-${o.version}.tar.gz -C /usr/local/src`,
          `cd ${src} || die "cannot enter ${src}"`,
          // The seed's configure line.
          `./config --prefix=${OPENSSL_PREFIX} --openssldir=${OPENSSL_PREFIX} shared zlib`,
          'make -j"$(nproc)"',
          o.runTests && 'make test',
          // install_sw + install_ssldirs: the seed's `make install` without the manual pages.
          'make install_sw install_ssldirs',
        ),
      },
      {
        component: 'openssl',
        name: 'system',
        phase: 'bake',
        title: 'Put OpenSSL 1.1.1 on the library path and PATH',
        script: lines(
          `echo ${OPENSSL_PREFIX}/lib >/etc/ld.so.conf.d/openssl-1.1.1.conf`,
          'ldconfig',
          o.divertSystemBinary && lines(
            // The seed moves /usr/bin/openssl and c_rehash aside; a diversion survives upgrades of the openssl package.
            'for bin in openssl c_rehash; do',
            '  if ! dpkg-divert --list "/usr/bin/$bin" | grep -q .; then',
            '    dpkg-divert --local --rename --divert "/usr/bin/$bin.distrib" --add "/usr/bin/$bin"',
            '  fi',
            `  ln -sfn "${OPENSSL_PREFIX}/bin/$bin" "/usr/bin/$bin"`,
            'done',
          ),
          `${OPENSSL_PREFIX}/bin/openssl version`,
        ),
      },
    ];
  },
};
