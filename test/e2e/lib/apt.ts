/**
 * The harness's apt is the product's (generator/apt/private.ts: a private configuration that
 * never touches the host's apt), with Debian's archive keyring as the OS module names it.
 */
import { debian12 } from '../../../generator/os/debian-12.js';

export { privateApt, type PrivateApt } from '../../../generator/apt/private.js';

/** Debian's archive keyring on the host (package debian-archive-keyring). */
export const DEBIAN_KEYRING = debian12.archive.keyring.path;
