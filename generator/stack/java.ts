// JDK 8: a tarball into /usr/lib/jvm with update-alternatives (the seed), or an apt package.
// A JDK, not a JRE: Resin's configure needs the JNI headers.
import { lines, shq, type Component, type StackContext } from './step.js';

export function javaHome({ profile }: StackContext): string {
  return profile.java.source === 'tarball' ? `/usr/lib/jvm/${profile.downloads.jdkHome}` : '/usr/lib/jvm/java-8-openjdk-amd64';
}

export const java: Component = {
  name: 'java',
  steps: (ctx) => {
    const { profile } = ctx;
    const home = javaHome(ctx);
    const art = profile.downloads.jdk;
    const install =
      profile.java.source === 'tarball'
        ? lines(
            `if [ ! -x ${home}/bin/javac ]; then`,
            `  fetch ${shq(art.url)} ${art.sha256} /var/cache/cocca/jdk.tar.gz`,
            '  mkdir -p /usr/lib/jvm',
            '  tar -xzf /var/cache/cocca/jdk.tar.gz -C /usr/lib/jvm',
            `  [ -x ${home}/bin/javac ] || die "the JDK tarball did not unpack to ${home}: set java.home"`,
            '  rm -f /var/cache/cocca/jdk.tar.gz',
            'fi',
            'for tool in java javac keytool; do',
            `  update-alternatives --install "/usr/bin/$tool" "$tool" "${home}/bin/$tool" 1081`,
            `  update-alternatives --set "$tool" "${home}/bin/$tool"`,
            'done',
          )
        : // --no-install-recommends keeps a second JRE (default-jre via ca-certificates-java) out.
          lines(`apt_install ${shq(profile.java.package)}`, `[ -x ${home}/bin/javac ] || die "${profile.java.package} did not provide ${home}/bin/javac"`);
    return [
      {
        component: 'java',
        name: 'install',
        phase: 'bake',
        title: profile.java.source === 'tarball' ? `Install JDK ${profile.java.version} into ${home}` : `Install ${profile.java.package}`,
        script: lines(install, `${home}/bin/java -version`),
      },
    ];
  },
};
