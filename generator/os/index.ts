// The registry of OS modules: the profile's `os` values, the schema's enum (assembled by
// `npm run schema`) and OsName all come from this one table. Adding an OS is its module file,
// its test beside it, and its line here.
import { debian12 } from './debian-12.js';
import { debian13 } from './debian-13.js';
import type { OsModule } from './types.js';
import { ubuntu2204 } from './ubuntu-22.04.js';
import { ubuntu2404 } from './ubuntu-24.04.js';

const MODULES = {
  'ubuntu-22.04': ubuntu2204,
  'debian-12': debian12,
  'ubuntu-24.04': ubuntu2404,
  'debian-13': debian13,
} as const satisfies Record<string, OsModule>;

/** A profile's `os`: a key of the registry. */
export type OsName = keyof typeof MODULES;

/** The seed's OS, the schema's default. */
export const DEFAULT_OS: OsName = 'ubuntu-22.04';

/** The registry's names, in its order (the schema's enum). */
export const OS_NAMES = Object.keys(MODULES) as OsName[];

export function osModule(name: OsName): OsModule {
  return MODULES[name];
}

/** Every OS module: whose image a user name belongs to, when it is not the profile's. */
export const OS_MODULES: readonly OsModule[] = Object.values(MODULES);

/** The `os` property of the profile schema, from the registry. */
export function osSchema(): { enum: string[]; default: string; description: string } {
  const named = OS_MODULES.map((m) => `\`${m.name}\`${m.summary ? ` (${m.summary})` : ''}`);
  const list = named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)}` : named.join('');
  return { enum: [...OS_NAMES], default: DEFAULT_OS, description: `The operating system the stack is installed on: ${list}.` };
}
