// /etc/environment, read literally by pam_env: a full PATH (nothing is expanded) and JAVA_HOME.
// The PATH is the OS's own (its module's), after the stack's OpenSSL and Java.
import { JAVA_HOME } from '../java/index.js';
import { OPENSSL_PREFIX } from '../openssl/index.js';
import type { Component } from '../model.js';

export const environment: Component = {
  name: 'environment',
  files: (ctx) => {
    const path = [
      ctx.profile.openssl.enabled && `${OPENSSL_PREFIX}/bin`,
      `${JAVA_HOME}/bin`,
      ctx.os.path,
    ].filter(Boolean);
    return [{ path: '/etc/environment', mode: '0644', content: `PATH="${path.join(':')}"\nJAVA_HOME="${JAVA_HOME}"\n` }];
  },
  steps: () => [],
};
