// profiles/profile.schema.json is assembled, never edited by hand: the central part
// (schema.central.json: apiVersion, name, role, os, secrets, artifacts, targets) names each
// component's section as {"$component": NAME}, filled from generator/components/NAME/schema.json,
// which holds that component's sections by name; {"$os": ...} is the OS registry's enum
// (generator/os/index.ts), so an OS module added there is a valid `os`. The committed file stays where editors and
// `validate` read it; a unit test fails when it differs from the assembly.
//   npm run schema          writes profiles/profile.schema.json
//   npm run schema -- --check  exits 1 when the committed file is stale
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { osSchema } from '../os/index.js';
import { packageFile } from '../paths.js';

export const SCHEMA_FILE = 'profiles/profile.schema.json';
const CENTRAL_FILE = 'generator/profile/schema.central.json';
export const fragmentFile = (component: string): string => `generator/components/${component}/schema.json`;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a package file as JSON; undefined when there is none. */
export type ReadJson = (file: string) => Json | undefined;
const readPackageJson: ReadJson = (file) => (existsSync(packageFile(file)) ? (JSON.parse(readFileSync(packageFile(file), 'utf8')) as Json) : undefined);

/** The schema as committed: two-space JSON, non-ASCII written as \uXXXX so the file stays ASCII. */
export function formatSchema(schema: Json): string {
  return `${JSON.stringify(schema, null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** The assembled schema, in the central part's key order. Throws on a section placed twice or never. */
export function assembleSchema(read: ReadJson = readPackageJson): Json {
  const central = read(CENTRAL_FILE);
  const props = isObject(central) ? central.properties : undefined;
  if (!isObject(central) || !isObject(props)) throw new Error(`${CENTRAL_FILE}: no properties`);
  const fragments = new Map<string, { [key: string]: Json }>();
  const placed = new Set<string>();
  for (const [section, node] of Object.entries(props)) {
    if (isObject(node) && node.$os !== undefined) {
      props[section] = osSchema();
      continue;
    }
    const component = isObject(node) ? node.$component : undefined;
    if (component === undefined) continue;
    if (typeof component !== 'string' || !/^[a-z0-9]+$/.test(component)) throw new Error(`${CENTRAL_FILE}: properties.${section}: $component must name a component folder`);
    const file = fragmentFile(component);
    if (!fragments.has(component)) {
      const fragment = read(file);
      if (fragment === undefined) throw new Error(`${CENTRAL_FILE}: properties.${section}: ${file} does not exist`);
      if (!isObject(fragment)) throw new Error(`${file}: not an object of sections`);
      fragments.set(component, fragment);
    }
    const schema = fragments.get(component)![section];
    if (schema === undefined) throw new Error(`${file} has no section ${JSON.stringify(section)}`);
    props[section] = schema;
    placed.add(`${component}.${section}`);
  }
  for (const [component, fragment] of fragments) {
    for (const section of Object.keys(fragment)) {
      if (!placed.has(`${component}.${section}`)) throw new Error(`${fragmentFile(component)}: section ${JSON.stringify(section)} is not placed by ${CENTRAL_FILE}`);
    }
  }
  return central;
}

function main(argv: string[]): number {
  const want = formatSchema(assembleSchema());
  const target = packageFile(SCHEMA_FILE);
  if (argv.includes('--check')) {
    const same = existsSync(target) && readFileSync(target, 'utf8') === want;
    if (!same) process.stderr.write(`${SCHEMA_FILE} differs from its assembly: run npm run schema\n`);
    return same ? 0 : 1;
  }
  writeFileSync(target, want);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
