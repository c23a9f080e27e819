// What a stack module may ask of the operating system. Components never test the OS name;
// differences between distributions live behind this interface.
import type { Artifact } from '../profile/types.js';

export interface OsModule {
  name: string;
  /**
   * The image's default user per target: who Packer and operators log in as, and who gets the
   * profile's ssh keys (cloud-init's default user). They differ between an OS's images.
   */
  users: { aws: string; qemu: string };
  /** apt suite codename, for the PGDG repository line. */
  codename: string;
  /** Packages for the seed's compiler tools and what the steps themselves need. */
  basePackages: string[];
  /** Where an Ubuntu/Debian cloud image for the qemu builder comes from. */
  cloudImage: Artifact & { checksumFile: string };
  /** How the AWS base image is found: the publisher's account and a name pattern. */
  awsBaseImage: { owner: string; namePattern: string };
  /** The AWS base image's root device name, which the build's root volume mapping must use. */
  awsRootDevice: string;
  /** The sshd service unit name. */
  sshService: string;
}
