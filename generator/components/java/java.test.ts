// java: JDK 8 from a tarball (the seed) or an apt package, behind one stable JAVA_HOME.
import { describe, expect, it } from 'vitest';
import { translateTable } from '../../../test/unit/component-table.js';
import { checkFragment } from '../../../test/unit/profile-helpers.js';
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
  {
    name: "debian-12 with java.source apt: the package the operator names (bookworm has no JDK 8 of its own)",
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\njava:\n  source: apt\n  package: temurin-8-jdk\n',
    steps: ['bake:java.install'],
    has: { 'java.install': ['apt_install temurin-8-jdk'] },
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
