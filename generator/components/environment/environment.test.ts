// environment: /etc/environment's PATH and JAVA_HOME, read literally by pam_env.
import { translateTable } from '../../../test/unit/component-table.js';
import { environment } from './index.js';

const SYSTEM = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin';

translateTable(environment, [
  {
    name: 'the seed: OpenSSL 1.1.1 first on PATH, then the JDK',
    profile: '',
    steps: [],
    files: ['/etc/environment'],
    has: { '/etc/environment': [`PATH="/usr/local/ssl/bin:/usr/lib/jvm/cocca-java/bin:${SYSTEM}"`, 'JAVA_HOME="/usr/lib/jvm/cocca-java"'] },
  },
  {
    name: 'openssl off: the system OpenSSL, so no /usr/local/ssl on PATH',
    profile: 'openssl:\n  enabled: false\n',
    steps: [],
    files: ['/etc/environment'],
    has: { '/etc/environment': [`PATH="/usr/lib/jvm/cocca-java/bin:${SYSTEM}"`] },
  },
  {
    // The OS module's PATH: Debian has no snap, so no /snap/bin (issue 12, item 3: a fix).
    name: "debian-12: Debian's PATH, without /snap/bin",
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps: [],
    files: ['/etc/environment'],
    has: { '/etc/environment': ['PATH="/usr/local/ssl/bin:/usr/lib/jvm/cocca-java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/games:/usr/games"'] },
    lacks: { '/etc/environment': [/snap/] },
  },
]);
