// JDK 8: a tarball into /usr/lib/jvm with update-alternatives (the seed), or an apt package.
// A JDK, not a JRE: Resin's configure needs the JNI headers.
import { lines, shq, type Component } from '../model.js';
import { checkJavaHome, checkJavaPackage } from './rules.js';

/** A stable JAVA_HOME for every consumer (PATH, Resin's unit): a link to the JDK the step installed. */
export const JAVA_HOME = '/usr/lib/jvm/cocca-java';

export const java: Component = {
  name: 'java',
  rules: [checkJavaHome, checkJavaPackage],
  steps: ({ profile }) => {
    const pkg = profile.java.package;
    if (profile.java.source === 'apt' && !pkg) throw new Error('internal: java.source apt without a package got past checkJavaPackage');
    const art = profile.downloads.jdk;
    const home = `/usr/lib/jvm/${profile.downloads.jdkHome}`;
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
          lines(
            `apt_install ${shq(pkg!)}`,
            // awk reads dpkg's whole list: a reader that quits early would kill dpkg with SIGPIPE under pipefail.
            `javac=$(dpkg -L ${shq(pkg!)} | awk '/\\/bin\\/javac$/ && !found { print; found = 1 }')`,
            '[ -n "$javac" ] && javac=$(readlink -f "$javac")',
            'home=${javac%/bin/javac}',
            `[ -n "$home" ] || die "${pkg} installs no javac: a JDK is needed (Resin's build uses its JNI headers)"`,
          );
    return [
      {
        component: 'java',
        name: 'install',
        phase: 'bake',
        title: profile.java.source === 'tarball' ? `Install JDK ${profile.java.version} into ${home}` : `Install ${pkg}`,
        script: lines(
          profile.java.source === 'tarball' && `home=${home}`,
          install,
          `ln -sfn "$home" ${JAVA_HOME}`,
          `${JAVA_HOME}/bin/java -version`,
        ),
      },
    ];
  },
};
