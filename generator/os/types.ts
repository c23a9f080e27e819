// What a component may ask of the operating system. Components never test the OS name: every
// difference between distributions (names, packages, paths, how sshd is started, which image a
// build starts from) is an answer of the OS's module, one file per OS in this folder.
import type { Artifact } from '../profile/types.js';

export interface OsModule {
  /** The profile's `os` value: the module's key in the registry (index.ts). */
  name: string;
  /** A word on it for the schema's description, after its name (e.g. "the guide's"). */
  summary?: string;
  /**
   * The image's default user per target: who Packer and operators log in as, and who gets the
   * profile's ssh keys (cloud-init's default user). They differ between an OS's images.
   */
  users: { aws: string; qemu: string };
  /** The release's apt suite codename. */
  codename: string;
  /** The suite of PostgreSQL's own repository (apt.postgresql.org) for this release. */
  pgdgSuite: string;
  /**
   * The release's own apt archive as one-line sources (the release, its updates and its security
   * suites), and the keyring they are signed-by on the machine that reads them: what `bundle`
   * resolves from when a profile has no apt.sources.
   */
  archive: AptArchive;
  /** Packages for the seed's compiler tools and what the steps themselves need. */
  basePackages: string[];
  /** The release's own JDK 8 package (java.package's default for java.source apt); none: it has none. */
  jdk8Package?: string;
  /** The apt packages of a PostgreSQL major version: the server and its client. */
  postgresPackages(major: number): string[];
  /**
   * The distribution's own PATH as /etc/environment sets it (pam_env reads it literally:
   * nothing is expanded); the stack's directories go in front of it.
   */
  path: string;
  /** Where an Ubuntu/Debian cloud image for the qemu builder comes from. */
  cloudImage: Artifact & { checksumFile: string };
  /** How the AWS base image is found: the publisher's account and a name pattern. */
  awsBaseImage: { owner: string; namePattern: string };
  /** The AWS base image's root device name, which the build's root volume mapping must use. */
  awsRootDevice: string;
  /**
   * How sshd runs. `service`: its unit's name without `.service`. `socket`: set when the
   * release starts sshd through that socket unit (socket activation), where the socket, not
   * sshd_config, decides the port and address sshd listens on: a Port or ListenAddress change
   * then takes a ListenStream drop-in for the socket, `systemctl daemon-reload` and the socket
   * restarted (cocca-sshd-apply does this when handed the socket).
   */
  sshd: { service: string; socket?: string };
}

/** An apt archive as `bundle` reads it on a connected machine. */
export interface AptArchive {
  sources: string[];
  /** The keyring file the sources name with signed-by=, and the package that installs it. */
  keyring: { path: string; package: string };
}
