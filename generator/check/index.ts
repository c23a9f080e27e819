// The front half of the pipeline: load → check → resolve. Everything a user can get wrong
// in a profile becomes a finding here; nothing past this point sees an invalid profile.
// It runs first but sits above the modules it asks (each component's rules, the OS, what the
// emitters can carry and the first-boot user-data's size), so that none of them reaches up.
import path from 'node:path';
import { firstBootSizeProblem } from '../emit/limits.js';
import { osModule } from '../os/index.js';
import type { OsModule } from '../os/types.js';
import { formatPath, sortFindings, type Finding, type PathSegment } from '../profile/findings.js';
import { loadProfile, originOf } from '../profile/load.js';
import { watched, type ReadLog } from '../profile/reads.js';
import { repairDocument, type Repaired } from '../profile/repair.js';
import { applyDerivedDefaults, resolveProfile } from '../profile/resolve.js';
import type { ReadNamed, Report } from '../profile/rule.js';
import { checkRules, RULES } from './rules.js';
import { readNamedText, RESIN_TEMPLATE_FILE, type NamedText } from '../profile/files.js';
import { checkSchema, schemaValidator } from '../profile/schema.js';
import { checkStrings } from './strings.js';
import { applyLock, lockableArtifacts, type Lockable } from '../lock/artifacts.js';
import { lockPathFor, LockFileError, readLock, type LockFile } from '../lock/file.js';
import type { Profile, ResolvedProfile } from '../profile/types.js';

export interface CompileResult {
  file: string;
  profile?: ResolvedProfile;
  os?: OsModule;
  findings: Finding[];
  sources: Map<string, string>;
  /** The downloads nothing but a lock can pin (set with `profile`), and where that lock lives. */
  lockable?: Lockable[];
  lockFile?: string;
}

export interface CheckOptions {
  /** The repository root (--root); see files.ts for the default. */
  root?: string;
}

export function checkProfile(file: string, options: CheckOptions = {}): CompileResult {
  const { loaded, findings, sources } = loadProfile(file, options);
  if (!loaded || findings.some((f) => f.severity === 'error')) return { file, findings: sortFindings(findings), sources };

  const report: Report = (at, severity, message, hint) => {
    findings.push({ ...originOf(loaded, at), severity, path: formatPath(at), message, hint });
  };
  const lockFile = lockPathFor(file);
  const lock = readLockAsFinding(lockFile, findings);
  // Whatever the schema says: what no output can carry is refused in every field.
  checkStrings(loaded.merged, report);
  const doc = structuredClone(loaded.merged);
  const schemaFindings = checkSchema(loaded, doc);
  findings.push(...schemaFindings);
  // A relative path in a profile (resin.template) is relative to the file that wrote it. Each
  // file is read once: render uses the text the rules checked.
  const texts = new Map<string, NamedText>();
  const read: ReadNamed = (at, name, kind) => {
    const named = path.resolve(path.dirname(path.resolve(originOf(loaded, at).file)), name);
    if (!texts.has(named)) texts.set(named, readNamedText(loaded.root, named, kind));
    return texts.get(named)!;
  };

  if (schemaFindings.length > 0) {
    // Every problem at once: the rules judge what the schema did not refuse.
    const repaired = repairDocument(loaded.merged, schemaValidator());
    if (repaired) judgeRepaired(repaired, read, report, lock && { file: lockFile, lock });
    return { file, findings: sortFindings(findings), sources };
  }

  const p = doc as unknown as Profile;
  const os = osModule(p.os);
  applyDerivedDefaults(p, os);
  const lockable = lockableArtifacts(p);
  if (lock) applyLock(p, lock, lockFile, report);
  checkRules(p, os, read, report);
  const ok = !findings.some((f) => f.severity === 'error');
  const template = p.resin.template ? read(['resin', 'template'], p.resin.template, RESIN_TEMPLATE_FILE) : undefined;
  let profile = ok ? resolveProfile(p, path.resolve(file), template?.ok ? template.text : undefined) : undefined;
  const tooLarge = profile && firstBootSizeProblem(profile);
  if (tooLarge) {
    // Only the keys grow without bound in that file: the rest is a name, a digest and flags.
    report(p.ssh.authorizedKeys.length > 0 ? ['ssh', 'authorizedKeys'] : [], 'error', tooLarge, 'an instance of the AMI boots from this user-data alone: install fewer or shorter ssh.authorizedKeys here, the others once the server is up');
    profile = undefined;
  }
  return { file, profile, os, findings: sortFindings(findings), sources, ...(profile && { lockable, lockFile }) };
}

/** The profile directory's lock, if any; a malformed one is an error finding at its position. */
function readLockAsFinding(lockFile: string, findings: Finding[]): LockFile | undefined {
  try {
    return readLock(lockFile);
  } catch (err) {
    if (!(err instanceof LockFileError)) throw err;
    findings.push({ file: err.file, line: err.line, column: err.column, severity: 'error', path: err.field, message: err.why, hint: 'fix the file, or delete it and run "cocca-bake lock" again' });
    return undefined;
  }
}

/**
 * Runs every rule on a repaired profile (see repair.ts). A rule's finding is kept only when
 * nothing the rule read before reporting it was removed by the repair: a value standing in
 * for the user's (a default, a stand-in) is not the user's to be judged on. Paths go back to
 * the original document's coordinates.
 */
function judgeRepaired(repaired: Repaired, read: ReadNamed, report: Report, lock?: { file: string; lock: LockFile }): void {
  const removed = repaired.removed.map((at) => formatPath(at));
  /** Whether `at` (in the repaired copy) is a removed path or lies under one. */
  const isRemoved = (at: readonly PathSegment[]): boolean => {
    const here = formatPath(repaired.original(at));
    return removed.some((r) => here === r || here.startsWith(`${r}.`) || here.startsWith(`${r}[`));
  };
  let tainted = false;
  const writes: PathSegment[][] = [];
  const log: ReadLog = {
    onRead: (at) => {
      if (isRemoved(at)) tainted = true;
    },
    onWrite: (at) => writes.push(at),
  };
  const p = watched(repaired.doc as unknown as Profile, log);
  const os = watched(osModule((repaired.doc as unknown as Profile).os), log, ['os']);

  // What the derived defaults work out from a removed value counts as removed too.
  applyDerivedDefaults(p, os);
  // The lock fills unpinned downloads as for a valid profile (its disagreements are said once
  // the profile is valid).
  if (lock) applyLock(p, lock.lock, lock.file, () => {});
  if (tainted) removed.push(...writes.map((at) => formatPath(repaired.original(at))));

  const readHere: ReadNamed = (at, name, kind) => read(repaired.original(at), name, kind);
  for (const rule of RULES) {
    tainted = false;
    rule(
      p,
      os,
      (at, severity, message, hint) => {
        if (!tainted && !isRemoved(at)) report(repaired.original(at), severity, message, hint);
      },
      readHere,
    );
  }
}
