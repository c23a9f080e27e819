// The one size render holds a valid profile to: EC2 takes at most 16 KiB of user-data, and an
// instance of the golden image boots from cloud-init/firstboot.yaml alone. validate runs the
// same check (generator/check/index.ts), so a profile it accepts renders.
import type { ResolvedProfile } from '../profile/types.js';
import type { Plan } from '../components/index.js';
import { missingSecrets, userData } from './cloud-init.js';

/** EC2 refuses user-data over 16 KiB (before base64). */
export const EC2_USER_DATA_LIMIT = 16 * 1024;

// The first-boot user-data carries this instance's values and no instance file.
const NO_FILES: Plan = { steps: { bake: [], seal: [], harden: [], boot: [] }, files: [] };

/** The first-boot user-data render writes, or undefined when it writes none (secrets from user-data). */
export function firstBootUserData(profile: ResolvedProfile): Buffer | undefined {
  if (missingSecrets(profile, {}).length > 0) return undefined;
  return Buffer.from(userData(profile, NO_FILES, 'firstboot'), 'utf8');
}

/** Why render cannot write this profile's first-boot user-data, or undefined. */
export function firstBootSizeProblem(profile: ResolvedProfile, firstboot = firstBootUserData(profile)): string | undefined {
  if (!firstboot || !profile.targets.aws || firstboot.length <= EC2_USER_DATA_LIMIT) return undefined;
  return `the first-boot user-data would be ${firstboot.length} bytes: over EC2's ${EC2_USER_DATA_LIMIT}-byte limit`;
}
