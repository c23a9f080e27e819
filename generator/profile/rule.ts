// The shape of a semantic rule, shared by the central rules (rules.ts) and the components' own
// (generator/components/NAME/rules.ts).
import type { OsModule } from '../os/types.js';
import type { FileKind, NamedText } from './files.js';
import type { PathSegment, Severity } from './findings.js';
import type { Profile } from './types.js';

export type Report = (at: PathSegment[], severity: Severity, message: string, hint?: string) => void;

/** Reads the file a profile value (at `at`) names, relative to the profile file that wrote it, confined (files.ts). */
export type ReadNamed = (at: PathSegment[], name: string, kind: FileKind) => NamedText;

/**
 * One semantic rule. Rules are small and independent: on a profile the schema refused, each runs
 * on the repaired copy and is silenced when it read a value the repair stood in for
 * (index.ts), so a rule that reads less keeps more of its findings.
 */
export type Rule = (p: Profile, os: OsModule, report: Report, read: ReadNamed) => void;
