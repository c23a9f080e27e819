// The java section's rules.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';

/** java.source apt needs a package: the OS's own JDK 8 by default, where it has one. */
export function checkJavaPackage(p: Profile, os: OsModule, report: Report): void {
  if (p.java.source === 'apt' && p.java.package === undefined) {
    report(['java', 'source'], 'error', `${os.name} has no JDK 8 package of its own, and java.package names none`, 'set java.package to a JDK 8 your apt.sources carry (e.g. temurin-8-jdk), or use java.source: tarball');
  }
}

/** The JDK unpacks to /usr/lib/jvm/HOME: "." or ".." would make Java's home a system directory. */
export function checkJavaHome(p: Profile, _os: OsModule, report: Report): void {
  const home = p.java.home;
  if (home !== undefined && (home === '.' || home.includes('..'))) {
    report(['java', 'home'], 'error', `${JSON.stringify(home)} is not a directory name inside /usr/lib/jvm: JAVA_HOME would leave it`, 'the name of the directory the JDK tarball unpacks to, e.g. jdk1.8.0_351');
  }
}
