// The database names validate refuses, checked against PostgreSQL 15 itself: its reserved key
// words (pg_get_keywords) are exactly the list in generator/profile/names.ts, and one of them
// really cannot name a database unquoted while a non-reserved key word can.
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQL_RESERVED_WORDS } from '../../generator/profile/names.js';
import { hasTool, isRoot, PG_BIN } from './tools.js';

const canRun = isRoot() && (await hasTool(path.join(PG_BIN, 'initdb'))) && (await hasTool('runuser'));
let work: string;

/** SQL through a single-user backend as nobody: stdout, stderr. */
const single = (sql: string) =>
  execa('runuser', ['-u', 'nobody', '--', path.join(PG_BIN, 'postgres'), '--single', '-D', path.join(work, 'data'), 'postgres'], { input: sql, reject: false, cwd: work });

describe.skipIf(!canRun)('SQL names against PostgreSQL 15 (a throwaway cluster, single-user)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-sql-names-'));
    await fs.chown(work, 65534, 65534);
    await execa('runuser', ['-u', 'nobody', '--', path.join(PG_BIN, 'initdb'), '-D', path.join(work, 'data'), '-A', 'trust'], { cwd: work });
  }, 60_000);
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it("names exactly PostgreSQL's reserved key words", async () => {
    const r = await single("SELECT '<' || string_agg(word, ' ' ORDER BY word) || '>' FROM pg_get_keywords() WHERE catcode IN ('R', 'T');\n");
    const words = /<([^>]*)>/.exec(r.stdout)?.[1]?.split(' ');
    expect(words, r.stderr).toEqual([...SQL_RESERVED_WORDS].sort());
  });

  it('a reserved word cannot name a database unquoted; a non-reserved key word can', async () => {
    const reserved = await single('CREATE DATABASE authorization;\n');
    expect(reserved.stderr).toMatch(/ERROR:\s+syntax error at or near "authorization"/);
    const fine = await single('CREATE DATABASE between;\n');
    expect(fine.stderr).not.toMatch(/ERROR/);
  });
});
