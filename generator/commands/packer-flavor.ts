// Which Packer HCL flavor `render` writes: the one the Packer that will run it understands.
import { flavorFor, type PackerFlavor } from '../emit/packer.js';

export interface FlavorChoice {
  flavor: PackerFlavor;
  /** One line for the operator: which Packer decided, or that none was found. */
  note?: string;
}

/** Thrown for a --packer-version that is neither `auto` nor a version. */
export class PackerVersionError extends Error {}

/** The flavor for an explicit --packer-version; undefined for `auto`. */
export function explicitFlavor(packerVersion: string): PackerFlavor | undefined {
  if (packerVersion === 'auto') return undefined;
  try {
    return flavorFor(packerVersion);
  } catch (err) {
    throw new PackerVersionError(`--packer-version: ${(err as Error).message} (auto, or a version such as 1.6.6 or 1.10.0)`);
  }
}

/**
 * `auto`: the Packer `build` would run (COCCA_PACKER, else `packer` on the PATH) decides;
 * with none, the modern flavor, so a machine without Packer still renders (the README's first
 * command).
 */
export async function detectFlavor(): Promise<FlavorChoice> {
  // Loaded here only: execa is not needed for an explicit version.
  const { findPacker, PackerMissingError } = await import('../build/packer-cli.js');
  try {
    const found = await findPacker();
    return { flavor: found.flavor, note: `Packer ${found.version} found (${found.path}): wrote the ${found.flavor} HCL; --packer-version X.Y.Z renders for another` };
  } catch (err) {
    if (!(err instanceof PackerMissingError)) throw err;
    return { flavor: 'modern', note: "no Packer found (COCCA_PACKER, or packer on the PATH): wrote the modern HCL (Packer 1.7 or later); --packer-version 1.6.6 renders for Debian/Ubuntu's packer" };
  }
}
