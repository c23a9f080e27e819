// A finding is one problem in a profile, pinned to where the value was written.
import { terminalSafe } from './characters.js';
import { redactLine } from './urls.js';

export type Severity = 'error' | 'warning';

export interface Origin {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export interface Finding extends Origin {
  severity: Severity;
  path: string; // like firewall.trusted[1]; '' for the document itself
  message: string;
  hint?: string;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Stable order: by file, then position, then message, so output is deterministic. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );
}

/**
 * Butane-style text: the location line, the source line with a caret, then a hint; terminal-safe.
 * `sourceOf` knows only files that are profiles: any other file's lines are never shown
 * (docs/security.md).
 */
export function formatFinding(f: Finding, sourceOf: (file: string) => string | undefined): string {
  const lines = [terminalSafe(`${f.file}:${f.line}:${f.column}: ${f.severity}: ${f.path ? `${f.path}: ` : ''}${f.message}`)];
  const text = sourceOf(f.file);
  const src = text?.split(/\r\n|\r|\n/)[f.line - 1];
  if (src !== undefined) {
    const gutter = String(f.line).length;
    // The line may hold a URL with credentials, which a CI log must not show.
    const shown = redactLine(src, f.column);
    lines.push(` ${f.line} | ${terminalSafe(shown.line)}`);
    lines.push(` ${' '.repeat(gutter)} | ${' '.repeat(terminalSafe(shown.line.slice(0, Math.max(0, shown.column - 1))).length)}^`);
  }
  if (f.hint) lines.push(`  hint: ${terminalSafe(f.hint)}`);
  return lines.join('\n');
}
