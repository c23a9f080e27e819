// Every string of a profile, checked for what its outputs can carry: one pass over all of
// them, whatever the field (a new field is covered the day it is added), run on the merged
// profile before the schema, so its findings come with the schema's and the rules':
//   - one line without control characters (characters.ts). Only `description` may span
//     lines: it is free text for people and lands in no output; and apt.keys' ASCII-armored
//     keys, which land whole in a file of their own (/etc/apt/keyrings/NAME.asc);
//   - a value that reaches HCL (HCL_FIELDS) in Unicode NFC, because HCL normalizes every
//     string, and without `{{`, because Packer evaluates it as a Go template; a qemuArgs item
//     may name the qemu builder's own values ({{ .SSHHostPort }});
//   - resin.jvmArgs without what resin.xml cannot carry (EL, the placeholder marker).
// What validate accepts here, render writes byte for byte (test/real/escaping-property.test.ts).
import { goTemplateProblem } from '../emit/hcl.js';
import { HCL_FIELDS, HCL_MAP_FIELDS, QEMU_ARGS_FIELDS } from '../emit/packer.js';
import { jvmArgsProblems } from '../components/resin/resin-xml.js';
import { asciiValue, lineProblem, showValue } from '../profile/characters.js';
import type { PathSegment } from '../profile/findings.js';
import type { Report } from '../profile/rule.js';

const MULTI_LINE = new Set(['description']);
const multiLine = (field: string): boolean => MULTI_LINE.has(field) || field.startsWith('apt.keys.');
const HCL = new Set(HCL_FIELDS);
const reachesHcl = (field: string): boolean => HCL.has(field) || HCL_MAP_FIELDS.some((map) => field.startsWith(`${map}.`));

/** The field a path names: list positions become `[]` (targets.qemu.qemuArgs[][]). */
const fieldOf = (at: readonly PathSegment[]): string =>
  at.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[]` : out === '' ? seg : `${out}.${seg}`), '');

function checkString(value: string, at: PathSegment[], report: Report): void {
  const field = fieldOf(at);
  const shown = showValue(value);
  const line = lineProblem(value, multiLine(field));
  if (line) {
    report(at, 'error', `${shown} ${line}`, 'one line of printable text: a YAML escape (\\n, \\t, \\u0000) in a double-quoted value, or a block scalar (| or >), puts such characters in');
  }
  if (reachesHcl(field)) {
    if (!line && value.normalize('NFC') !== value) {
      report(at, 'error', `${asciiValue(value)} is not in Unicode NFC: Packer's HCL would change it to ${asciiValue(value.normalize('NFC'))}`, 'write the composed form of each accented letter (NFC), as most editors do');
    }
    if (field === 'targets.qemu.qemuArgs[][]') {
      const why = goTemplateProblem(value, QEMU_ARGS_FIELDS);
      if (why) report(at, 'error', `${shown} ${why}`, `a qemu argument may name Packer's values for the VM: ${QEMU_ARGS_FIELDS.map((f) => `{{ .${f} }}`).join(', ')}; nothing else in {{ }}`);
    } else if (value.includes('{{')) {
      report(at, 'error', `${shown} holds "{{", which Packer evaluates as a Go template (its functions read the environment, Vault and AWS secrets)`, 'this value goes into the Packer HCL as written: remove the braces');
    }
  }
  if (field === 'resin.jvmArgs') {
    for (const why of jvmArgsProblems(value)) report(at, 'error', `${shown} ${why}`, 'resin.xml carries resin.jvmArgs as text that Resin evaluates; first boot fills the @@NAME@@ placeholders');
  }
}

/** Reports every string in `doc` (the merged profile, as written) that an output cannot carry. */
export function checkStrings(doc: unknown, report: Report, at: PathSegment[] = []): void {
  if (typeof doc === 'string') checkString(doc, at, report);
  else if (Array.isArray(doc)) doc.forEach((item, i) => checkStrings(item, report, [...at, i]));
  else if (doc !== null && typeof doc === 'object') for (const [key, value] of Object.entries(doc)) checkStrings(value, report, [...at, key]);
}
