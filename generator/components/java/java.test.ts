// java: JDK 8 from a tarball (the seed) or an apt package, behind one stable JAVA_HOME.
import { translateTable } from '../../../test/unit/component-table.js';
import { java } from './index.js';

translateTable(java, [
  {
    name: 'the seed: the 8u351 tarball into /usr/lib/jvm, with alternatives',
    profile: '',
    steps: ['bake:java.install'],
    files: [],
    has: {
      'java.install': ['home=/usr/lib/jvm/jdk1.8.0_351', '  fetch https://mirror.example/jdk-8u351.tar.gz 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef /var/cache/cocca/jdk.tar.gz'.trim(), 'update-alternatives --set "$tool" "/usr/lib/jvm/jdk1.8.0_351/bin/$tool"', 'ln -sfn "$home" /usr/lib/jvm/cocca-java'],
    },
  },
  {
    name: 'java.home names the directory the tarball unpacks to',
    profile: 'java:\n  home: jdk8u351-b08\n',
    steps: ['bake:java.install'],
    has: { 'java.install': ['home=/usr/lib/jvm/jdk8u351-b08', '[ -x /usr/lib/jvm/jdk8u351-b08/bin/javac ] || die "the JDK tarball did not unpack to /usr/lib/jvm/jdk8u351-b08: set java.home"'] },
  },
  {
    name: 'java.source apt: the package, its javac found through dpkg, no tarball',
    profile: 'java:\n  source: apt\n',
    steps: ['bake:java.install'],
    has: { 'java.install': ['apt_install openjdk-8-jdk-headless', 'home=${javac%/bin/javac}', 'ln -sfn "$home" /usr/lib/jvm/cocca-java'] },
    lacks: { 'java.install': [/^fetch /, /update-alternatives/] },
  },
]);
