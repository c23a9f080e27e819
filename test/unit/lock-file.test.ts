// generator/lock/file.ts on its own: the canonical form, what a write keeps, and where a
// malformed file is wrong (the CLI rows in lock.test.ts show how the user sees it).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, LockFileError, parseLock, readLock, serializeLock, writeLockPart, type LockFile } from '../../generator/lock/file.js';
import { tempTree } from './profile-helpers.js';

const A = { sha256: 'a'.repeat(64), size: 10, firstSeen: '2026-01-01T00:00:00.000Z' };
const B = { sha256: 'b'.repeat(64), size: 20, firstSeen: '2026-02-01T00:00:00.000Z' };

describe('lock file', () => {
  it('the same content is the same bytes, whatever order it was built in', () => {
    const one: LockFile = { schema: 'cocca-bake/lock/v1', artifacts: { 'https://h/b': B, 'https://h/a': A } };
    const two = { artifacts: { 'https://h/a': { size: 10, firstSeen: A.firstSeen, sha256: A.sha256 }, 'https://h/b': B }, schema: 'cocca-bake/lock/v1' } as LockFile;
    expect(serializeLock(one)).toBe(serializeLock(two));
    expect(serializeLock(one)).toBe(
      `{\n  "artifacts": {\n    "https://h/a": {\n      "firstSeen": "${A.firstSeen}",\n      "sha256": "${A.sha256}",\n      "size": 10\n    },\n` +
        `    "https://h/b": {\n      "firstSeen": "${B.firstSeen}",\n      "sha256": "${B.sha256}",\n      "size": 20\n    }\n  },\n  "schema": "cocca-bake/lock/v1"\n}\n`,
    );
    expect(parseLock('x', serializeLock(one))).toEqual(one);
  });

  it('a write replaces only `artifacts`: `packages` and unknown top-level keys stay as the file on disk holds them; no temp file is left', () => {
    const dir = tempTree({});
    const file = path.join(dir, LOCK_FILE);
    const packages = { lab: { os: 'debian-12', recordedAt: '2026-01-01T00:00:00Z', recordedFrom: 'r.json', versions: { 'zlib1g:amd64': '1:1.2.13', 'apt:amd64': '2.6.1' } } };
    writeFileSync(file, JSON.stringify({ schema: 'cocca-bake/lock/v1', artifacts: { 'https://h/a': A }, packages, future: [1, 2] }));
    writeLockPart(file, 'artifacts', { 'https://h/b': B });
    const after = readLock(file)!;
    expect(after).toEqual({ schema: 'cocca-bake/lock/v1', artifacts: { 'https://h/b': B }, packages, future: [1, 2] });
    expect(readFileSync(file, 'utf8')).toBe(serializeLock(after));
    expect(readdirSync(dir).sort()).toEqual([LOCK_FILE]);
  });

  it('a first write makes the file; no file reads as no lock', () => {
    const dir = tempTree({});
    const file = path.join(dir, LOCK_FILE);
    expect(readLock(file)).toBeUndefined();
    writeLockPart(file, 'artifacts', { 'https://h/a': A });
    expect(readLock(file)).toEqual({ schema: 'cocca-bake/lock/v1', artifacts: { 'https://h/a': A } });
  });

  it.each([
    ['[]', 1, 1, '', 'expected a JSON object'],
    ['{"schema": "cocca-bake/lock/v1"}', 1, 1, 'artifacts', 'expected an object of URL: {sha256, size, firstSeen}'],
    ['{"schema": "cocca-bake/lock/v1", "artifacts": {}, "packages": []}', 1, 51, 'packages', 'expected an object'],
    [`{"schema": "cocca-bake/lock/v1", "artifacts": {\n "https://h/a": {"sha256": "${A.sha256}", "size": 1.5, "firstSeen": "${A.firstSeen}"}}}`, 2, 2, 'artifacts["https://h/a"].size', 'expected a whole number of bytes'],
    [`{"schema": "cocca-bake/lock/v1", "artifacts": {\n "https://h/a": {"sha256": "${A.sha256}", "size": 1, "firstSeen": "yesterday"}}}`, 2, 2, 'artifacts["https://h/a"].firstSeen', 'expected an ISO time'],
    [`{"schema": "cocca-bake/lock/v1", "artifacts": {\n "https://h/a": {"sha256": "${A.sha256}", "size": 1, "firstSeen": "${A.firstSeen}", "by": "me"}}}`, 2, 2, 'artifacts["https://h/a"].by', 'unknown field'],
    ['{"schema": "cocca-bake/lock/v1", "artifacts": {"https://h/a": "x"}}', 1, 48, 'artifacts["https://h/a"]', 'expected {sha256, size, firstSeen}'],
  ])('%s: names line, column and field', (text, line, column, field, why) => {
    let err: unknown;
    try {
      parseLock('L.json', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockFileError);
    expect(err).toMatchObject({ file: 'L.json', line, column, field, why });
  });
});
