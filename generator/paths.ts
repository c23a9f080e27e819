// Files shipped with the package (schema, templates, instance scripts), found from this
// module's own location so the command works from any directory, built or not.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'profiles', 'profile.schema.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cocca-bake: cannot find the package root (profiles/profile.schema.json)');
    dir = up;
  }
  return dir;
}

export const packageRoot = findRoot();
export const packageFile = (rel: string): string => path.join(packageRoot, rel);
