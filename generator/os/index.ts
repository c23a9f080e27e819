import type { OsName } from '../profile/types.js';
import type { OsModule } from './types.js';
import { debian12 } from './debian-12.js';
import { debian13 } from './debian-13.js';
import { ubuntu2204 } from './ubuntu-22.04.js';

const modules: Record<OsName, OsModule> = { 'ubuntu-22.04': ubuntu2204, 'debian-12': debian12, 'debian-13': debian13 };

export function osModule(name: OsName): OsModule {
  return modules[name];
}

/** Every OS module: whose image a user name belongs to, when it is not the profile's. */
export const OS_MODULES: readonly OsModule[] = Object.values(modules);
