// OpenSSL 1.1.1 built from source into its own prefix, as the seed does. The system libssl3
// stays: the build has another soname (libssl.so.1.1), and /usr/bin/openssl is only diverted.
// The scripts beside this file do the work.
import { COCCA_LIB, componentFile, shq, type Component } from '../model.js';

export const OPENSSL_PREFIX = '/usr/local/ssl';

const BUILD = `${COCCA_LIB}/cocca-openssl-build`;
const SYSTEM = `${COCCA_LIB}/cocca-openssl-system`;

export const openssl: Component = {
  name: 'openssl',
  files: ({ profile }) =>
    profile.openssl.enabled
      ? [
          { path: BUILD, mode: '0755', content: componentFile('openssl', 'cocca-openssl-build') },
          { path: SYSTEM, mode: '0755', content: componentFile('openssl', 'cocca-openssl-system') },
        ]
      : [],
  steps: ({ profile }) => {
    const o = profile.openssl;
    if (!o.enabled) return [];
    const art = profile.downloads.openssl;
    return [
      {
        component: 'openssl',
        name: 'build',
        phase: 'bake',
        title: `Build OpenSSL ${o.version} into ${OPENSSL_PREFIX}${o.runTests ? ' (with make test)' : ''}`,
        script: `${BUILD} ${shq(o.version)} ${OPENSSL_PREFIX} ${shq(art.url)} ${art.sha256}${o.runTests ? ' test' : ''}`,
      },
      {
        component: 'openssl',
        name: 'system',
        phase: 'bake',
        title: 'Put OpenSSL 1.1.1 on the library path and PATH',
        script: `${SYSTEM} ${OPENSSL_PREFIX}${o.divertSystemBinary ? ' divert' : ''}`,
      },
    ];
  },
};
