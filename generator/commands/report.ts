// How findings reach the user: Butane-style text on stderr, or JSON on stdout.
import { formatFinding, type Finding } from '../profile/findings.js';
import type { CompileResult } from '../check/index.js';

export type Format = 'text' | 'json';

export function reportFindings(results: CompileResult[], format: Format): void {
  const all: Finding[] = results.flatMap((r) => r.findings);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return;
  }
  const sources = new Map<string, string>();
  for (const r of results) for (const [k, v] of r.sources) sources.set(k, v);
  // A base shared by several profiles would repeat its findings once per profile.
  const seen = new Set<string>();
  for (const f of all) {
    const text = formatFinding(f, (file) => sources.get(file));
    if (seen.has(text)) continue;
    seen.add(text);
    process.stderr.write(`${text}\n`);
  }
}

/** Whether these results stop the command: an error, or any finding under --strict. */
export function fails(results: CompileResult[], strict: boolean): boolean {
  return results.some((r) => r.findings.some((f) => f.severity === 'error' || strict));
}

export function summary(results: CompileResult[], strict = false): string {
  const count = (sev: Finding['severity']) => results.reduce((n, r) => n + r.findings.filter((f) => f.severity === sev).length, 0);
  const bad = results.filter((r) => fails([r], strict)).length;
  return `${results.length} profile${results.length === 1 ? '' : 's'}: ${results.length - bad} valid, ${bad} invalid (${count('error')} error${count('error') === 1 ? '' : 's'}, ${count('warning')} warning${count('warning') === 1 ? '' : 's'})`;
}
