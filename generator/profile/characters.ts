// Which characters a profile value may hold. Every output carries a value on one line: a
// shell word, an HCL string, an XML text node, a NAME=value line first boot reads. A line
// break there ends the line early (or, once, hid a closing quote from a comment filter);
// other control characters garble a terminal or a log, and an unpaired surrogate cannot be
// written as UTF-8 at all, so the value would not arrive as written.

const hex = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
/** One UTF-16 unit as a JSON-style \uXXXX escape. */
const uEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Why `value` is not one line of text, or undefined when it is. `multiLine` text may also
 * hold line feeds and tabs (nothing else).
 */
export function lineProblem(value: string, multiLine = false): string | undefined {
  let at = 0;
  for (const ch of value) {
    at += 1;
    const c = ch.codePointAt(0)!;
    const where = `at character ${at}`;
    if (multiLine && (c === 0x0a || c === 0x09)) continue;
    if (c === 0x0a || c === 0x0d || c === 0x85) return `holds a line break (${hex(c)}) ${where}`;
    if (c === 0x2028 || c === 0x2029) return `holds a ${c === 0x2028 ? 'line' : 'paragraph'} separator (${hex(c)}) ${where}, a line break to some readers`;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) return `holds the control character ${hex(c)} ${where}`;
    // Iterating by code point leaves a surrogate alone only when it has no partner.
    if (c >= 0xd800 && c <= 0xdfff) return `holds an unpaired surrogate (${hex(c)}) ${where}, which no UTF-8 file can hold`;
  }
  return undefined;
}

/** A value for a message: JSON-quoted (control characters escaped), cut short when long. */
export function showValue(value: string, max = 60): string {
  const chars = [...value];
  const json = chars.length <= max ? JSON.stringify(value) : `${JSON.stringify(chars.slice(0, max).join(''))}…`;
  // JSON leaves DEL, the C1 controls and the separators as they are; a terminal would not.
  return json.replace(/[\x7f-\x9f\u2028\u2029]/g, uEscape);
}

/** A value with everything outside printable ASCII as \uXXXX, where look-alikes differ (NFC). */
export function asciiValue(value: string, max = 60): string {
  return showValue(value, max).replace(/[^\x20-\x7e]/g, (c) => (c === '…' ? c : uEscape(c)));
}

/**
 * Text for a terminal or a CI log: control characters (all but TAB), DEL, C1 and the line
 * separators as \uXXXX, so nothing a profile holds can move the cursor, recolour or rewrite
 * the lines around it. Findings are printed through this.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, uEscape);
}
