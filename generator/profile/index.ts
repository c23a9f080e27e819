// The front half of the pipeline: load → check → resolve. Everything a user can get wrong
// in a profile becomes a finding here; nothing past this point sees an invalid profile.
import path from 'node:path';
import { osModule } from '../os/index.js';
import type { OsModule } from '../os/types.js';
import { formatPath, sortFindings, type Finding, type PathSegment } from './findings.js';
import { loadProfile, originOf } from './load.js';
import { watched, type ReadLog } from './reads.js';
import { repairDocument, type Repaired } from './repair.js';
import { applyDerivedDefaults, resolveProfile } from './resolve.js';
import { checkRules, RULES, type Report } from './rules.js';
import { checkSchema, schemaValidator } from './schema.js';
import type { Profile, ResolvedProfile } from './types.js';

export interface CompileResult {
  file: string;
  profile?: ResolvedProfile;
  os?: OsModule;
  findings: Finding[];
  sources: Map<string, string>;
}

export function checkProfile(file: string): CompileResult {
  const { loaded, findings, sources } = loadProfile(file);
  if (!loaded || findings.some((f) => f.severity === 'error')) return { file, findings: sortFindings(findings), sources };

  const doc = structuredClone(loaded.merged);
  const schemaFindings = checkSchema(loaded, doc);
  findings.push(...schemaFindings);
  const report: Report = (at, severity, message, hint) => {
    findings.push({ ...originOf(loaded, at), severity, path: formatPath(at), message, hint });
  };
  // A relative path in a profile (resin.template) is relative to the file that wrote it.
  const fileOf = (at: PathSegment[]) => path.resolve(originOf(loaded, at).file);

  if (schemaFindings.length > 0) {
    // Every problem at once: the rules judge what the schema did not refuse.
    const repaired = repairDocument(loaded.merged, schemaValidator());
    if (repaired) judgeRepaired(repaired, fileOf, report);
    return { file, findings: sortFindings(findings), sources };
  }

  const p = doc as unknown as Profile;
  const os = osModule(p.os);
  applyDerivedDefaults(p, os);
  checkRules(p, os, fileOf, report);
  const ok = !findings.some((f) => f.severity === 'error');
  const template = p.resin.template ? path.resolve(path.dirname(fileOf(['resin', 'template'])), p.resin.template) : undefined;
  const profile = ok ? resolveProfile(p, path.resolve(file), template) : undefined;
  return { file, profile, os, findings: sortFindings(findings), sources };
}

/**
 * Runs every rule on a repaired profile (see repair.ts). A rule's finding is kept only when
 * nothing the rule read before reporting it was removed by the repair: a value standing in
 * for the user's (a default, a stand-in) is not the user's to be judged on. Paths go back to
 * the original document's coordinates.
 */
function judgeRepaired(repaired: Repaired, fileOf: (at: PathSegment[]) => string, report: Report): void {
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
  if (tainted) removed.push(...writes.map((at) => formatPath(repaired.original(at))));

  const fileOfHere = (at: PathSegment[]) => fileOf(repaired.original(at));
  for (const rule of RULES) {
    tainted = false;
    rule(
      p,
      os,
      (at, severity, message, hint) => {
        if (!tainted && !isRemoved(at)) report(repaired.original(at), severity, message, hint);
      },
      fileOfHere,
    );
  }
}
