// /etc/environment, read literally by pam_env: a full PATH (nothing is expanded) and JAVA_HOME.
import { JAVA_HOME } from '../java/index.js';
import { OPENSSL_PREFIX } from '../openssl/index.js';
import type { Component } from '../model.js';

export const environment: Component = {
  name: 'environment',
  files: (ctx) => {
    const path = [
      ctx.profile.openssl.enabled && `${OPENSSL_PREFIX}/bin`,
      `${JAVA_HOME}/bin`,
      '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin',
    ].filter(Boolean);
    return [{ path: '/etc/environment', mode: '0644', content: `PATH="${path.join(':')}"\nJAVA_HOME="${JAVA_HOME}"\n` }];
  },
  steps: () => [],
};
