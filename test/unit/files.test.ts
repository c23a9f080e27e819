// The confined reader (generator/profile/files.ts): the repository root, what may be read under
// it, and bytes to text. docs/security.md states these as the security property.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUtf8, findRoot, isUnder, PROFILE_FILE, readConfined, RESIN_TEMPLATE_FILE, RootError, type ReadOutcome, type RepoRoot } from '../../generator/profile/files.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A real (symlink-free) temp directory with `files` in it; `top/repo` when `repo` is set. */
function scratch(files: Record<string, string> = {}): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'cocca-files-')));
  made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const rootAt = (dir: string): RepoRoot => ({ dir, real: realpathSync(dir), how: 'marker' });
const why = (r: ReadOutcome) => (r.ok ? 'ok' : r.why);

describe('findRoot', () => {
  it('is the nearest directory above the profile holding .git (a directory or a file)', () => {
    const top = scratch({ 'a/.git/HEAD': '', 'a/profiles/x/p.yaml': '', 'b/.git': 'gitdir: elsewhere\n', 'b/p.yaml': '' });
    expect(findRoot(path.join(top, 'a/profiles/x/p.yaml'))).toEqual({ dir: path.join(top, 'a'), real: path.join(top, 'a'), how: 'marker' });
    expect(findRoot(path.join(top, 'b/p.yaml')).dir).toBe(path.join(top, 'b'));
  });

  it('takes profiles/profile.schema.json as a marker, and the nearest marker wins', () => {
    const top = scratch({ '.git/HEAD': '', 'ops/profiles/profile.schema.json': '{}', 'ops/profiles/r/p.yaml': '' });
    expect(findRoot(path.join(top, 'ops/profiles/r/p.yaml')).dir).toBe(path.join(top, 'ops'));
    // A directory named profiles without the schema is no marker.
    const bare = scratch({ '.git/HEAD': '', 'x/profiles/p.yaml': '' });
    expect(findRoot(path.join(bare, 'x/profiles/p.yaml')).dir).toBe(bare);
  });

  it("falls back to the profile's own directory when nothing above holds a marker", () => {
    const top = scratch({ 'deep/p.yaml': '' });
    // This test needs a temp directory with no marker above it (none in /tmp or /).
    expect(findRoot(path.join(top, 'deep/p.yaml'))).toEqual({ dir: path.join(top, 'deep'), real: path.join(top, 'deep'), how: 'profile-dir' });
  });

  it('uses --root as given, resolving its real path, and refuses one that is not a directory', () => {
    const top = scratch({ 'r/p.yaml': '', 'file.txt': '' });
    symlinkSync(path.join(top, 'r'), path.join(top, 'link'));
    expect(findRoot('anything.yaml', path.join(top, 'link'))).toEqual({ dir: path.join(top, 'link'), real: path.join(top, 'r'), how: 'given' });
    expect(() => findRoot('p.yaml', path.join(top, 'file.txt'))).toThrow(new RootError(`--root ${path.join(top, 'file.txt')}: not a directory`));
    expect(() => findRoot('p.yaml', path.join(top, 'nope'))).toThrow(RootError);
  });
});

describe('isUnder', () => {
  it.each([
    ['/r', '/r/a.yaml', true],
    ['/r', '/r', true],
    ['/r', '/r/..x/a.yaml', true], // a name that starts with two dots is still inside
    ['/r', '/rx/a.yaml', false], // a shared prefix is not containment
    ['/r', '/a.yaml', false],
    ['/r/sub', '/r/a.yaml', false],
  ])('%s holds %s: %s', (root, file, want) => expect(isUnder(root, file)).toBe(want));
});

describe('readConfined', () => {
  it('reads a regular file under the root, and reports its real path', () => {
    const dir = scratch({ 'repo/p.yaml': 'a: 1\n' });
    const got = readConfined(rootAt(path.join(dir, 'repo')), path.join(dir, 'repo/p.yaml'), PROFILE_FILE);
    expect(got).toEqual({ ok: true, real: path.join(dir, 'repo/p.yaml'), bytes: Buffer.from('a: 1\n') });
  });

  it('refuses a name without the kind\'s extension before looking at the file system', () => {
    const dir = scratch();
    expect(why(readConfined(rootAt(dir), '/proc/self/environ', PROFILE_FILE))).toBe('does not end in .yaml or .yml, so it is not a profile');
    expect(why(readConfined(rootAt(dir), path.join(dir, 'resin.xml.txt'), RESIN_TEMPLATE_FILE))).toBe('does not end in .xml, so it is not a resin.xml template');
    // Case does not matter: P.YML is a profile name.
    writeFileSync(path.join(dir, 'P.YML'), 'a: 1\n');
    expect(readConfined(rootAt(dir), path.join(dir, 'P.YML'), PROFILE_FILE).ok).toBe(true);
  });

  it('says a missing file is missing', () => {
    const dir = scratch();
    expect(readConfined(rootAt(dir), path.join(dir, 'gone.yaml'), PROFILE_FILE)).toEqual({ ok: false, why: 'no such file', missing: true });
    expect(readConfined(rootAt(dir), path.join(dir, 'no/dir/gone.yaml'), PROFILE_FILE)).toEqual({ ok: false, why: 'no such file', missing: true });
  });

  it('refuses a path that leads out of the root, by .. or by a symlink, and follows one that stays inside', () => {
    const dir = scratch({ 'outside.yaml': 'secret: 1\n', 'repo/base/b.yaml': 'a: 1\n' });
    const repo = path.join(dir, 'repo');
    symlinkSync('../outside.yaml', path.join(repo, 'out.yaml'));
    symlinkSync('base/b.yaml', path.join(repo, 'in.yaml'));
    symlinkSync(dir, path.join(repo, 'up')); // a directory symlink to the parent
    const outside = `is outside the repository root ${repo}`;
    expect(why(readConfined(rootAt(repo), path.join(repo, '../outside.yaml'), PROFILE_FILE))).toBe(outside);
    expect(why(readConfined(rootAt(repo), path.join(repo, 'out.yaml'), PROFILE_FILE))).toBe(outside);
    expect(why(readConfined(rootAt(repo), path.join(repo, 'up/outside.yaml'), PROFILE_FILE))).toBe(outside);
    expect(readConfined(rootAt(repo), path.join(repo, 'in.yaml'), PROFILE_FILE)).toMatchObject({ ok: true, real: path.join(repo, 'base/b.yaml') });
    expect(why(readConfined({ dir: 'repo', real: repo, how: 'given' }, path.join(repo, 'out.yaml'), PROFILE_FILE))).toBe('is outside the repository root repo (--root)');
  });

  it('refuses a symlink whose target is not named like the kind', () => {
    const dir = scratch({ 'creds.txt': 'k: v\n' });
    symlinkSync('creds.txt', path.join(dir, 'x.yaml'));
    expect(why(readConfined(rootAt(dir), path.join(dir, 'x.yaml'), PROFILE_FILE))).toBe('leads to a file that does not end in .yaml or .yml, so it is not a profile');
  });

  it('refuses a FIFO at once (no writer, no wait) and a directory', () => {
    const dir = scratch();
    execFileSync('mkfifo', [path.join(dir, 'f.yaml')]);
    mkdirSync(path.join(dir, 'd.yaml'));
    const started = Date.now();
    expect(why(readConfined(rootAt(dir), path.join(dir, 'f.yaml'), PROFILE_FILE))).toBe('is a FIFO, not a regular file');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(why(readConfined(rootAt(dir), path.join(dir, 'd.yaml'), PROFILE_FILE))).toBe('is a directory, not a regular file');
  });

  it('reads a file of exactly the limit, and refuses one byte more without reading it', () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'max.yaml'), 'x'.repeat(PROFILE_FILE.maxBytes));
    writeFileSync(path.join(dir, 'over.yaml'), 'x'.repeat(PROFILE_FILE.maxBytes + 1));
    writeFileSync(path.join(dir, 'sparse.xml'), '');
    truncateSync(path.join(dir, 'sparse.xml'), 8 * 1024 ** 3);
    const max = readConfined(rootAt(dir), path.join(dir, 'max.yaml'), PROFILE_FILE);
    expect(max.ok && max.bytes.length).toBe(256 * 1024);
    expect(why(readConfined(rootAt(dir), path.join(dir, 'over.yaml'), PROFILE_FILE))).toBe('is 262145 bytes, over the 256 KiB limit for a profile');
    expect(why(readConfined(rootAt(dir), path.join(dir, 'sparse.xml'), RESIN_TEMPLATE_FILE))).toBe('is 8589934592 bytes, over the 1 MiB limit for a resin.xml template');
  });

  it.skipIf(process.getuid?.() === 0)('says an unreadable file is unreadable (not as root, who reads anything)', () => {
    const dir = scratch({ 'locked.yaml': 'a: 1\n' });
    chmodSync(path.join(dir, 'locked.yaml'), 0o000);
    expect(why(readConfined(rootAt(dir), path.join(dir, 'locked.yaml'), PROFILE_FILE))).toBe('is not readable (permission denied)');
  });
});

describe('decodeUtf8', () => {
  const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it('decodes UTF-8 and drops a leading byte order mark only', () => {
    expect(decodeUtf8(bytes('a: é\n'))).toEqual({ ok: true, text: 'a: é\n' });
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'a: 1\n'))).toEqual({ ok: true, text: 'a: 1\n' });
    expect(decodeUtf8(bytes('a: 1\n', [0xef, 0xbb, 0xbf]))).toEqual({ ok: true, text: 'a: 1\n\uFEFF' });
  });

  it('refuses UTF-16, by its byte order mark', () => {
    for (const bom of [[0xff, 0xfe], [0xfe, 0xff]]) {
      expect(decodeUtf8(bytes(bom, 'a'))).toEqual({ ok: false, line: 1, column: 1, why: 'the file is UTF-16 text (a UTF-16 byte order mark): save it as UTF-8' });
    }
  });

  const bad = 'the file is not UTF-8 text: an invalid byte sequence starts here';
  it.each([
    ['a stray continuation byte', bytes('a: 1\nbb: x', [0x80], '\n'), 2, 6],
    ['a lead byte without its continuation', bytes('a: ', [0xc3, 0x28]), 1, 4],
    ['an overlong encoding of /', bytes('a: ', [0xc0, 0xaf]), 1, 4],
    ['a UTF-16 surrogate encoded in UTF-8', bytes('a: ', [0xed, 0xa0, 0x80]), 1, 4],
    ['a code point above U+10FFFF', bytes('a: ', [0xf4, 0x90, 0x80, 0x80]), 1, 4],
    ['a sequence cut off at the end', bytes('a: ', [0xe2, 0x82]), 1, 4],
    ['after multi-byte characters, counted as characters', bytes('é€: ', [0xff]), 1, 5],
    ['after CRLF and a lone CR line end', bytes('a\r\nb\rc', [0xff]), 3, 2],
  ])('%s → line %i, column %i', (_name, input, line, column) => {
    expect(decodeUtf8(input)).toEqual({ ok: false, line, column, why: bad });
  });
});
