// A build record read back, for a report or a resume. The file may come from anywhere (an
// artifact of someone else's CI, a hand edit): it is checked for the shape its readers use, and
// every value in it is treated as untrusted text from here on.
import { readFileSync } from 'node:fs';
import type { AwsOutput, BuildRecord, QemuOutput } from './record.js';

/**
 * The record with the optional fields other parts of issue 11 add (stages, interruption,
 * log tail, copy times). Declared here, not in record.ts, so the report reads records from
 * before and after those fields exist.
 */
export type StageName = 'bake' | 'share' | 'tags' | 'copies' | 'retention';
export interface Stage {
  name: StageName | string;
  state: 'done' | 'failed' | 'skipped' | 'pending' | string;
  startedAt?: string;
  finishedAt?: string;
  detail?: string;
}
export type Copy = AwsOutput['copies'][number] & { startedAt?: string; finishedAt?: string };
// The optional fields are omitted from BuildRecord before being declared here, so this still
// compiles once record.ts declares them itself (with narrower types).
export interface ReportRecord extends Omit<BuildRecord, 'result' | 'outputs' | 'stages' | 'remaining' | 'logTail'> {
  result: BuildRecord['result'] | 'interrupted';
  outputs: { aws?: Omit<AwsOutput, 'copies'> & { copies: Copy[] }; qemu?: QemuOutput };
  stages?: Stage[];
  remaining?: string[];
  logTail?: string[];
}

export class RecordInputError extends Error {}

const SCHEMA = 'cocca-bake/build-record/v1';
/** Records are a few kilobytes; a larger file is not one. */
const MAX_BYTES = 8 * 1024 * 1024;

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const arrayOf = (c: Check): Check => (v) => Array.isArray(v) && v.every(c);
const optional = (c: Check): Check => (v) => v === undefined || c(v);
const shape = (fields: Record<string, Check>): Check => (v) => isObject(v) && Object.entries(fields).every(([k, c]) => c((v as Record<string, unknown>)[k]));

const step = shape({ phase: isString, step: isString, ms: optional(isNumber), ok: (v) => typeof v === 'boolean' });
const copy = shape({ region: isString, imageId: optional(isString), error: optional(isString), startedAt: optional(isString), finishedAt: optional(isString) });
const retention = shape({ region: isString, deregistered: arrayOf(isString), kept: arrayOf(isString), error: optional(isString) });
const stage = shape({ name: isString, state: isString, startedAt: optional(isString), finishedAt: optional(isString), detail: optional(isString) });
const artifact = shape({ url: isString, sha256: isString });

/** Each field the report or a resume reads, with what it must hold, in the order a reader would name them. */
const FIELDS: Array<[string, Check, string]> = [
  ['profile', isString, 'a string'],
  ['target', isString, 'a string'],
  ['result', isString, 'a string'],
  ['startedAt', isString, 'a string'],
  ['finishedAt', optional(isString), 'a string'],
  ['totalMs', optional(isNumber), 'a number'],
  ['error', optional(isString), 'a string'],
  ['failedStep', optional(isString), 'a string'],
  ['log', optional(isString), 'a string'],
  ['coccaBake', optional(isString), 'a string'],
  ['profileDigest', optional(isString), 'a string'],
  ['digest', optional(isString), 'a string'],
  ['packer', shape({ version: optional(isString), flavor: optional(isString), path: optional(isString) }), 'an object with version and flavor strings'],
  ['artifacts', (v) => isObject(v) && Object.values(v as object).every(artifact), 'an object of {url, sha256}'],
  ['baseImage', shape({ imageId: optional(isString), url: optional(isString), sha256: optional(isString) }), 'an object'],
  ['steps', arrayOf(step), 'a list of {phase, step, ms?, ok}'],
  ['outputs', isObject, 'an object'],
  ['outputs.aws', optional(shape({ region: isString, imageId: isString, copies: arrayOf(copy), retention: optional(arrayOf(retention)) })), 'an object with region, imageId and copies'],
  ['outputs.qemu', optional(shape({ path: isString, bytes: isNumber, sha256: isString })), 'an object with path, bytes and sha256'],
  ['stages', optional(arrayOf(stage)), 'a list of {name, state, startedAt?, finishedAt?, detail?}'],
  ['remaining', optional(arrayOf(isString)), 'a list of strings'],
  ['logTail', optional(arrayOf(isString)), 'a list of strings'],
  ['source', optional(shape({ region: isString, imageId: isString, recordDigest: isString })), 'an object with region, imageId and recordDigest strings'],
];

const at = (doc: unknown, dotted: string): unknown => dotted.split('.').reduce<unknown>((v, k) => (isObject(v) ? (v as Record<string, unknown>)[k] : undefined), doc);

/** Checks a parsed document; returns the first problem, or undefined when the report can read it. */
export function recordProblem(doc: unknown): string | undefined {
  if (!isObject(doc)) return 'not a JSON object';
  const schema = (doc as Record<string, unknown>).schema;
  if (schema !== SCHEMA) return `not a cocca-bake build record (schema ${typeof schema === 'string' ? JSON.stringify(schema.slice(0, 60)) : 'missing'}, expected "${SCHEMA}")`;
  for (const [field, ok, what] of FIELDS) {
    if (!ok(at(doc, field))) return `${field} is not ${what}`;
  }
  return undefined;
}

export function readRecord(file: string): ReportRecord {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_BYTES) throw new RecordInputError(`${file}: ${buf.length} bytes is too large for a build record`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof RecordInputError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new RecordInputError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the file, which may not be a record at all.
    throw new RecordInputError(`${file}: not JSON, so not a build record`);
  }
  const problem = recordProblem(doc);
  if (problem) throw new RecordInputError(`${file}: ${problem}`);
  return doc as ReportRecord;
}
