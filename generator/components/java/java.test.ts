// java: JDK 8 from a tarball (the seed) or an apt package, behind one stable JAVA_HOME.
import { translateTable } from '../../../test/unit/component-table.js';
import { java } from './index.js';

const INSTALL = '/usr/local/lib/cocca/cocca-java';
const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

translateTable(java, [
  {
    name: 'the seed: the 8u351 tarball into /usr/lib/jvm, with alternatives',
    profile: '',
    steps: ['bake:java.install'],
    files: [INSTALL],
    has: {
      'java.install': [`${INSTALL} /usr/lib/jvm/cocca-java tarball /usr/lib/jvm/jdk1.8.0_351 https://mirror.example/jdk-8u351.tar.gz ${PIN}`],
      [INSTALL]: ['fetch "$url" "$sum" "$COCCA_CACHE"/jdk.tar.gz', 'update-alternatives --set "$tool" "$home/bin/$tool"', 'ln -sfn "$home" "$link"'],
    },
  },
  {
    name: 'java.home names the directory the tarball unpacks to',
    profile: 'java:\n  home: jdk8u351-b08\n',
    steps: ['bake:java.install'],
    has: { 'java.install': [`${INSTALL} /usr/lib/jvm/cocca-java tarball /usr/lib/jvm/jdk8u351-b08 https://mirror.example/jdk-8u351.tar.gz ${PIN}`], [INSTALL]: ['[ -x "$home/bin/javac" ] || die "the JDK tarball did not unpack to $home: set java.home"'] },
  },
  {
    name: 'java.source apt: the package, its javac found through dpkg, no tarball',
    profile: 'java:\n  source: apt\n',
    steps: ['bake:java.install'],
    has: { 'java.install': [`${INSTALL} /usr/lib/jvm/cocca-java apt openjdk-8-jdk-headless`], [INSTALL]: ['apt_install "$package"', 'home=${javac%/bin/javac}'] },
    lacks: { 'java.install': [/tarball/, /mirror\.example/] },
  },
]);
