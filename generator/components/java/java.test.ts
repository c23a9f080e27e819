// java: JDK 8 from a tarball (the seed) or an apt package, behind one stable JAVA_HOME.
import { describe, expect, it } from 'vitest';
import { translateTable } from '../../../test/unit/component-table.js';
import { checkFragment } from '../../../test/unit/profile-helpers.js';
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
  {
    name: "debian-12 with java.source apt: the package the operator names (bookworm has no JDK 8 of its own)",
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\njava:\n  source: apt\n  package: temurin-8-jdk\n',
    steps: ['bake:java.install'],
    has: { 'java.install': [`${INSTALL} /usr/lib/jvm/cocca-java apt temurin-8-jdk`] },
  },
]);

describe('java.package', () => {
  it("defaults to the OS's own JDK 8 package, and is refused absent where the OS has none", () => {
    expect(checkFragment({ yaml: 'java:\n  source: apt\n' }).profile!.java.package).toBe('openjdk-8-jdk-headless');
    const r = checkFragment({ yaml: 'os: debian-12\nssh:\n  allowUsers: [admin]\njava:\n  source: apt\n' });
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => `${f.path}: ${f.message}`)).toEqual(['java.source: debian-12 has no JDK 8 package of its own, and java.package names none']);
    // The tarball needs no package, on any OS.
    expect(checkFragment({ yaml: 'os: debian-12\nssh:\n  allowUsers: [admin]\n' }).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
