// JDK 8: a tarball into /usr/lib/jvm with update-alternatives (the seed), or an apt package.
// A JDK, not a JRE: Resin's configure needs the JNI headers. cocca-java beside this file does it.
import { COCCA_LIB, componentFile, shq, type Component } from '../model.js';
import { checkJavaHome, checkJavaPackage } from './rules.js';

/** A stable JAVA_HOME for every consumer (PATH, Resin's unit): a link to the JDK the step installed. */
export const JAVA_HOME = '/usr/lib/jvm/cocca-java';

const INSTALL = `${COCCA_LIB}/cocca-java`;

export const java: Component = {
  name: 'java',
  rules: [checkJavaHome, checkJavaPackage],
  files: () => [{ path: INSTALL, mode: '0755', content: componentFile('java', 'cocca-java') }],
  steps: ({ profile }) => {
    const pkg = profile.java.package;
    if (profile.java.source === 'apt' && !pkg) throw new Error('internal: java.source apt without a package got past checkJavaPackage');
    const art = profile.downloads.jdk;
    const home = `/usr/lib/jvm/${profile.downloads.jdkHome}`;
    const tarball = profile.java.source === 'tarball';
    return [
      {
        component: 'java',
        name: 'install',
        phase: 'bake',
        title: tarball ? `Install JDK ${profile.java.version} into ${home}` : `Install ${pkg}`,
        packages: tarball ? [] : [pkg!],
        script: tarball ? `${INSTALL} ${JAVA_HOME} tarball ${shq(home)} ${shq(art.url)} ${art.sha256}` : `${INSTALL} ${JAVA_HOME} apt ${shq(pkg!)}`,
      },
    ];
  },
};
