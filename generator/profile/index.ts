// The front half of the pipeline: load → check → resolve. Everything a user can get wrong
// in a profile becomes a finding here; nothing past this point sees an invalid profile.
import path from 'node:path';
import { osModule } from '../os/index.js';
import type { OsModule } from '../os/types.js';
import { formatPath, sortFindings, type Finding, type PathSegment } from './findings.js';
import { loadProfile, originOf } from './load.js';
import { applyDerivedDefaults, resolveProfile } from './resolve.js';
import { checkRules, type ReadNamed } from './rules.js';
import { readNamedText, RESIN_TEMPLATE_FILE, type NamedText } from './files.js';
import { checkSchema } from './schema.js';
import type { Profile, ResolvedProfile } from './types.js';

export interface CompileResult {
  file: string;
  profile?: ResolvedProfile;
  os?: OsModule;
  findings: Finding[];
  sources: Map<string, string>;
}

export interface CheckOptions {
  /** The repository root (--root); see files.ts for the default. */
  root?: string;
}

export function checkProfile(file: string, options: CheckOptions = {}): CompileResult {
  const { loaded, findings, sources } = loadProfile(file, options);
  if (!loaded || findings.some((f) => f.severity === 'error')) return { file, findings: sortFindings(findings), sources };

  const doc = structuredClone(loaded.merged);
  const schemaFindings = checkSchema(loaded, doc);
  findings.push(...schemaFindings);
  if (schemaFindings.length > 0) return { file, findings: sortFindings(findings), sources };

  const p = doc as unknown as Profile;
  const os = osModule(p.os);
  applyDerivedDefaults(p, os);
  const absolute = path.resolve(file);
  // A relative path in a profile (resin.template) is relative to the file that wrote it. Each
  // file is read once: render uses the text the rules checked.
  const texts = new Map<string, NamedText>();
  const read: ReadNamed = (at, name, kind) => {
    const named = path.resolve(path.dirname(path.resolve(originOf(loaded, at).file)), name);
    if (!texts.has(named)) texts.set(named, readNamedText(loaded.root, named, kind));
    return texts.get(named)!;
  };
  checkRules(p, os, read, (at, severity, message, hint) => {
    findings.push({ ...originOf(loaded, at), severity, path: formatPath(at), message, hint });
  });
  const ok = !findings.some((f) => f.severity === 'error');
  const template = p.resin.template ? read(['resin', 'template'], p.resin.template, RESIN_TEMPLATE_FILE) : undefined;
  const profile = ok ? resolveProfile(p, absolute, template?.ok ? template.text : undefined) : undefined;
  return { file, profile, os, findings: sortFindings(findings), sources };
}
