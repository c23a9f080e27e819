// The front half of the pipeline: load → check → resolve. Everything a user can get wrong
// in a profile becomes a finding here; nothing past this point sees an invalid profile.
import path from 'node:path';
import { firstBootSizeProblem } from '../emit/limits.js';
import { osModule } from '../os/index.js';
import type { OsModule } from '../os/types.js';
import { formatPath, sortFindings, type Finding, type PathSegment } from './findings.js';
import { loadProfile, originOf } from './load.js';
import { applyDerivedDefaults, resolveProfile } from './resolve.js';
import { checkRules } from './rules.js';
import { checkSchema } from './schema.js';
import { checkStrings } from './strings.js';
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

  const report = (at: PathSegment[], severity: Finding['severity'], message: string, hint?: string) =>
    findings.push({ ...originOf(loaded, at), severity, path: formatPath(at), message, hint });
  // Whatever the schema says: what no output can carry is refused in every field.
  checkStrings(loaded.merged, report);
  const doc = structuredClone(loaded.merged);
  const schemaFindings = checkSchema(loaded, doc);
  findings.push(...schemaFindings);
  if (schemaFindings.length > 0) return { file, findings: sortFindings(findings), sources };

  const p = doc as unknown as Profile;
  const os = osModule(p.os);
  applyDerivedDefaults(p, os);
  const absolute = path.resolve(file);
  // A relative path in a profile (resin.template) is relative to the file that wrote it.
  const fileOf = (at: PathSegment[]) => path.resolve(originOf(loaded, at).file);
  checkRules(p, os, fileOf, report);
  const ok = !findings.some((f) => f.severity === 'error');
  const template = p.resin.template ? path.resolve(path.dirname(fileOf(['resin', 'template'])), p.resin.template) : undefined;
  let profile = ok ? resolveProfile(p, absolute, template) : undefined;
  const tooLarge = profile && firstBootSizeProblem(profile);
  if (tooLarge) {
    // Only the keys grow without bound in that file: the rest is a name, a digest and flags.
    report(p.ssh.authorizedKeys.length > 0 ? ['ssh', 'authorizedKeys'] : [], 'error', tooLarge, 'an instance of the AMI boots from this user-data alone: install fewer or shorter ssh.authorizedKeys here, the others once the server is up');
    profile = undefined;
  }
  return { file, profile, os, findings: sortFindings(findings), sources };
}
