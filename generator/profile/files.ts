// The one way cocca-bake reads a file a profile names (`extends`, `resin.template`) or the
// profile named on the command line. Profiles are untrusted input (CI validates pull requests),
// so every such read is confined (docs/security.md):
//   - under the repository root, after every symlink is resolved;
//   - a regular file, opened without blocking and checked on the open descriptor, so a FIFO,
//     socket or device is refused before any byte is read, and nothing swapped in between the
//     check and the read is read instead;
//   - with the extension of its kind, and no larger than its kind's limit.
// Reads are synchronous: a regular file on a local disk cannot block indefinitely, and
// nothing else is ever read.
import { closeSync, constants, existsSync, fstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

/** What one kind of file may be. */
export interface FileKind {
  /** For messages: "a profile", "a resin.xml template". */
  what: string;
  extensions: readonly string[];
  maxBytes: number;
}

/**
 * A profile is hand-written YAML: the largest example is under 8 KiB, so 256 KiB is a typo
 * (a pasted log, a binary) long before it is a profile, and bounds what one file can make the
 * parser do.
 */
export const PROFILE_FILE: FileKind = { what: 'a profile', extensions: ['.yaml', '.yml'], maxBytes: 256 * 1024 };

/** CoCCA's own resin.xml is about 30 KiB with its comments; 1 MiB leaves room and still bounds the read. */
export const RESIN_TEMPLATE_FILE: FileKind = { what: 'a resin.xml template', extensions: ['.xml'], maxBytes: 1024 * 1024 };

/** Where profile files may be read from. */
export interface RepoRoot {
  /** As found or given (for messages). */
  dir: string;
  /** Its real path, which every file read must be under. */
  real: string;
  /** How it was chosen: `--root`, a marker, or (no marker anywhere above) the profile's own directory. */
  how: 'given' | 'marker' | 'profile-dir';
}

/** Files or directories whose presence makes a directory a profile repository's root. */
export const ROOT_MARKERS = ['profiles/profile.schema.json', '.git'] as const;

export class RootError extends Error {}

/**
 * The repository root for a profile named on the command line: `given` (--root) when set,
 * else the nearest ancestor of the profile's directory holding a marker, else the profile's
 * own directory, which lets a lone profile stand but reach nothing above it.
 */
export function findRoot(profile: string, given?: string): RepoRoot {
  if (given !== undefined) {
    const dir = path.resolve(given);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new RootError(`--root ${given}: not a directory`);
    return { dir: given, real: realpathSync(dir), how: 'given' };
  }
  const start = path.dirname(path.resolve(profile));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (ROOT_MARKERS.some((m) => existsSync(path.join(dir, m)))) return { dir, real: realOrSelf(dir), how: 'marker' };
    if (path.dirname(dir) === dir) break;
  }
  return { dir: start, real: realOrSelf(start), how: 'profile-dir' };
}

function realOrSelf(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir; // a profile in a directory that does not exist: its read fails as "no such file"
  }
}

/** Whether `real` (a real path) is `root` or below it. */
export function isUnder(root: string, real: string): boolean {
  const rel = path.relative(root, real);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export type ReadOutcome = { ok: true; real: string; bytes: Buffer } | { ok: false; why: string; missing?: boolean };

const fail = (why: string, missing = false): ReadOutcome => ({ ok: false, why, missing });

function notRegular(st: Stats): string {
  const what = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : undefined;
  return what ? `is ${what}, not a regular file` : 'is not a regular file';
}

const describeLimit = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`);

/**
 * Reads `file` (absolute) as `kind`, confined to `root`. The reason on failure never holds
 * anything read from the file: it names what the file is, not what it says.
 */
export function readConfined(root: RepoRoot, file: string, kind: FileKind): ReadOutcome {
  const hasExtension = (p: string) => kind.extensions.some((e) => p.toLowerCase().endsWith(e));
  if (!hasExtension(file)) return fail(`does not end in ${kind.extensions.join(' or ')}, so it is not ${kind.what}`);

  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    return fail(errnoWhy(err), errnoWhy(err) === 'no such file');
  }
  if (!isUnder(root.real, real)) return fail(`is outside the repository root ${root.dir}${root.how === 'given' ? ' (--root)' : ''}`);
  // A symlink named x.yaml may lead to anything: what is read must have the extension too.
  if (!hasExtension(real)) return fail(`leads to a file that does not end in ${kind.extensions.join(' or ')}, so it is not ${kind.what}`);

  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would wait forever. O_NOFOLLOW: `real` has no
    // symlink left, so one found now was swapped in after the check.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW);
  } catch (err) {
    return fail(errnoWhy(err), errnoWhy(err) === 'no such file');
  }
  try {
    // What was opened, not what the path named a moment ago (a directory renamed in between).
    const opened = openedPath(fd);
    if (opened !== undefined && !isUnder(root.real, opened)) return fail(`is outside the repository root ${root.dir}`);
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(notRegular(st));
    const limit = kind.maxBytes;
    if (st.size > limit) return fail(`is ${st.size} bytes, over the ${describeLimit(limit)} limit for ${kind.what}`);
    // Read at most one byte past the limit: a file that grew since fstat is refused, not read whole.
    const buf = Buffer.alloc(limit + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > limit) return fail(`is over the ${describeLimit(limit)} limit for ${kind.what}`);
    }
    return { ok: true, real, bytes: buf.subarray(0, got) };
  } catch (err) {
    return fail(errnoWhy(err));
  } finally {
    closeSync(fd);
  }
}

/** Linux tells which file a descriptor is open on; elsewhere the realpath check stands alone. */
function openedPath(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** A phrase that follows the file's name (`"x.yaml" is not readable (permission denied)`), or `no such file`. */
function errnoWhy(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'is not readable (permission denied)';
    case 'ELOOP':
      return 'is a symlink that loops, or changed while being read';
    case 'EISDIR':
      return 'is a directory, not a regular file';
    case 'ENAMETOOLONG':
      return 'has a path too long to open';
    default:
      return `is not readable (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`;
  }
}

export type Decoded = { ok: true; text: string } | { ok: false; line: number; column: number; why: string };

/**
 * Bytes to text, refusing what is not UTF-8 at the line and column where it stops being so
 * (the byte itself is not shown). A leading UTF-8 byte order mark is dropped, as editors do.
 */
export function decodeUtf8(bytes: Buffer): Decoded {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { ok: false, line: 1, column: 1, why: 'the file is UTF-16 text (a UTF-16 byte order mark): save it as UTF-8' };
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  const bad = firstInvalidUtf8(body);
  if (bad === -1) return { ok: true, text: body.toString('utf8') };
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < bad; i++) {
    if (body[i] === 0x0a || (body[i] === 0x0d && body[i + 1] !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = body.subarray(lineStart, bad).toString('utf8').length + 1;
  return { ok: false, line, column, why: 'the file is not UTF-8 text: an invalid byte sequence starts here' };
}

/** Offset of the first byte that does not begin a well-formed UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte → sequence length and the range of its first continuation byte (RFC 3629:
    // no overlong forms, no surrogates, nothing above U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** A file a profile value names, as text, or why it cannot be used (never its content). */
export type NamedText = { ok: true; text: string } | { ok: false; why: string; missing?: boolean };

/**
 * Reads `file` (absolute) as `kind` under `root`, as UTF-8 text. One read per file: callers
 * keep the text (rules check it, render uses the same bytes).
 */
export function readNamedText(root: RepoRoot, file: string, kind: FileKind): NamedText {
  const got = readConfined(root, file, kind);
  if (!got.ok) return { ok: false, why: got.why, missing: got.missing };
  const text = decodeUtf8(got.bytes);
  if (!text.ok) return { ok: false, why: `is not UTF-8 text (line ${text.line}, column ${text.column})` };
  return { ok: true, text: text.text };
}
