// Which Packer HCL flavor `render` writes: the one the Packer that will run it understands.
import { execFile } from 'node:child_process';
import { flavorFor, packerVersionOf, type PackerFlavor } from '../emit/packer.js';

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
 * command). `packer version` is started here, at once, so it runs while the profile is
 * checked (Packer 1.6.6 takes about half a second to answer).
 */
export function detectFlavor(command = process.env.COCCA_PACKER ?? 'packer'): Promise<FlavorChoice> {
  return new Promise((resolve) => {
    execFile(command, ['version'], { env: { ...process.env, CHECKPOINT_DISABLE: '1' }, timeout: 30_000 }, (err, stdout) => {
      const version = packerVersionOf(String(stdout ?? ''));
      if (version && !err) {
        const flavor = flavorFor(version);
        resolve({ flavor, note: `Packer ${version} found (${command}): wrote the ${flavor} HCL; --packer-version X.Y.Z renders for another` });
      } else {
        resolve({ flavor: 'modern', note: "no Packer found (COCCA_PACKER, or packer on the PATH): wrote the modern HCL (Packer 1.7 or later); --packer-version 1.6.6 renders for Debian/Ubuntu's packer" });
      }
    });
  });
}
