// The profile JSON Schema (profiles/profile.schema.json, also used by editors) run through ajv,
// its errors turned into findings that point at the line that wrote the value.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packageFile } from '../paths.js';
import type { Finding, PathSegment } from './findings.js';
import { formatPath } from './findings.js';
import { originOf, type LoadedProfile } from './load.js';
import { redactCredentials } from './urls.js';

type SchemaNode = { description?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode };

let compiled: { validate: ValidateFunction; schema: SchemaNode } | undefined;

function compile() {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(packageFile('profiles/profile.schema.json'), 'utf8')) as SchemaNode;
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false });
    compiled = { validate: ajv.compile(schema), schema };
  }
  return compiled;
}

export function profileSchema(): SchemaNode {
  return compile().schema;
}

/** The compiled schema (ajv, defaults filled in place): what the repair runs again and again. */
export function schemaValidator(): ValidateFunction {
  return compile().validate;
}

/** Segments of an ajv instancePath, numbers where the parent is a list. */
export function segments(instancePath: string, root: unknown): PathSegment[] {
  const out: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(node) ? Number(key) : key;
    out.push(seg);
    node = (node as Record<string | number, unknown> | undefined)?.[seg];
  }
  return out;
}

function schemaAt(schema: SchemaNode, at: PathSegment[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const seg of at) node = typeof seg === 'number' ? node?.items : node?.properties?.[seg];
  return node;
}

function closest(word: string, choices: string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
        prev = tmp;
      }
    }
    return d[b.length]!;
  };
  const best = choices.map((c) => [c, dist(word, c)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? best[0] : undefined;
}

// A refused URL is shown too: never with its credentials.
const show = (v: unknown): string => redactCredentials(JSON.stringify(v) ?? String(v));

function describe(err: ErrorObject, value: unknown, schema: SchemaNode, at: PathSegment[]): { at: PathSegment[]; message: string; hint?: string; key?: boolean } {
  const p = err.params as Record<string, unknown>;
  const here = schemaAt(schema, at);
  // A list item rarely has a description of its own: its list's explains it.
  let hint: string | undefined;
  for (let n = at.length; n >= 0 && !hint; n--) hint = schemaAt(schema, at.slice(0, n))?.description;
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const known = Object.keys(here?.properties ?? {});
      const guess = closest(name, known);
      return {
        at: [...at, name],
        key: true,
        message: `unknown key ${JSON.stringify(name)}`,
        hint: guess ? `did you mean ${JSON.stringify(guess)}?` : `keys allowed here: ${known.join(', ')}`,
      };
    }
    case 'required': {
      const name = String(p.missingProperty);
      return { at: [...at, name], message: `missing required key ${JSON.stringify(name)}`, hint: schemaAt(schema, [...at, name])?.description };
    }
    case 'type':
      return { at, message: `must be ${p.type === 'integer' ? 'a whole number' : /^[aeiou]/.test(String(p.type)) ? `an ${p.type}` : `a ${p.type}`}, not ${show(value)}`, hint: hint ?? 'see docs/profile-reference.md' };
    case 'enum':
      return { at, message: `${show(value)} is not one of ${(p.allowedValues as unknown[]).map(show).join(', ')}`, hint };
    case 'const':
      return { at, message: `must be ${show(p.allowedValue)}, not ${show(value)}`, hint };
    case 'minimum':
    case 'maximum':
      return { at, message: `${show(value)} is out of range: must be ${err.keyword === 'minimum' ? '>=' : '<='} ${p.limit}`, hint };
    case 'pattern':
    case 'minLength':
    case 'maxLength':
      return { at, message: `${show(value)} is not a valid value here`, hint };
    case 'propertyNames': {
      const name = String(p.propertyName);
      return { at: [...at, name], key: true, message: `${show(name)} is not a valid key here`, hint };
    }
    case 'uniqueItems':
      return { at: [...at, Number(p.i)], message: `${show((value as unknown[])[Number(p.i)])} is listed twice`, hint };
    case 'minItems':
      return { at, message: `must list at least ${p.limit} item${p.limit === 1 ? '' : 's'}`, hint };
    default:
      return { at, message: err.message ?? err.keyword, hint: hint ?? 'see docs/profile-reference.md' };
  }
}

/** Validates (and fills defaults into) `doc` in place; returns the problems found. */
export function checkSchema(loaded: LoadedProfile, doc: Record<string, unknown>): Finding[] {
  const { validate, schema } = compile();
  const raw = structuredClone(doc);
  if (validate(doc)) return [];
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const err of validate.errors ?? []) {
    // A propertyNames schema's own keyword reports the whole object; the propertyNames error
    // beside it names the key.
    if (err.schemaPath.includes('/propertyNames/')) continue;
    const at = segments(err.instancePath, raw);
    const value = at.reduce<unknown>((n, s) => (n as Record<string | number, unknown> | undefined)?.[s], raw);
    const d = describe(err, value, schema, at);
    const key = `${formatPath(d.at)}|${err.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ ...originOf(loaded, d.at, d.key ? 'key' : 'value'), severity: 'error', path: formatPath(d.at), message: d.message, hint: d.hint });
  }
  return findings;
}
