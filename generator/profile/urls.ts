// Download locations in a profile: credentials in URLs (found, and kept out of messages) and
// one-line apt sources taken apart. Pure functions.

/** scheme://userinfo@ at the start of a URL: the userinfo is a credential (user:password, a token). */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/i;

/** Whether `url` carries credentials before its host. */
export function hasCredentials(url: string): boolean {
  return USERINFO.test(url);
}

/** `url` with any credentials replaced by ***, for messages. */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, '$1***@');
}

/**
 * Where `text` holds URL credentials: [start, end) of each userinfo-and-@ after a scheme's "//".
 * A scan from each "://" (no regular expression: a long value must not take quadratic time).
 */
function userinfoSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let i = text.indexOf('://'); i !== -1; i = text.indexOf('://', i + 3)) {
    let s = i;
    while (s > 0 && /[A-Za-z0-9+.-]/.test(text[s - 1]!)) s--;
    while (s < i && !/[A-Za-z]/.test(text[s]!)) s++;
    if (s === i) continue; // no scheme before "://"
    let e = i + 3;
    while (e < text.length && !/[/?#\s@'"]/.test(text[e]!)) e++;
    if (text[e] === '@') spans.push([i + 3, e + 1]);
  }
  return spans;
}

/** Every URL in `text` with its credentials replaced by ***: for values shown in messages. */
export function redactCredentials(text: string): string {
  return redactLine(text, 1).line;
}

/** A source line with its credentials replaced by ***, and where its 1-based `column` moved to. */
export function redactLine(line: string, column: number): { line: string; column: number } {
  let out = '';
  let last = 0;
  let shift = 0;
  for (const [start, end] of userinfoSpans(line)) {
    out += `${line.slice(last, start)}***@`;
    if (end < column) shift += end - start - 4;
    last = end;
  }
  return { line: out + line.slice(last), column: column - shift };
}

export interface AptSource {
  type: 'deb' | 'deb-src';
  /** The [key=value ...] options, by key. */
  options: Map<string, string>;
  uri: string;
  suite: string;
  components: string[];
}

/** A one-line apt source `deb [options] URI suite [components]`, or undefined when it is not one. */
export function parseAptSource(line: string): AptSource | undefined {
  const m = /^(deb|deb-src)[ \t]+(?:\[([^\]]*)\][ \t]+)?(\S+)[ \t]+(\S+)((?:[ \t]+\S+)*)[ \t]*$/.exec(line);
  if (!m) return undefined;
  const options = new Map<string, string>();
  for (const opt of (m[2] ?? '').trim().split(/[ \t]+/).filter(Boolean)) {
    const eq = opt.indexOf('=');
    options.set(eq === -1 ? opt : opt.slice(0, eq), eq === -1 ? '' : opt.slice(eq + 1));
  }
  return { type: m[1] as AptSource['type'], options, uri: m[3]!, suite: m[4]!, components: m[5]!.trim().split(/[ \t]+/).filter(Boolean) };
}

/** Options with which apt installs from a source without checking its signature. */
export const UNSIGNED_OPTIONS = ['trusted', 'allow-insecure', 'allow-downgrade-to-insecure'] as const;

/** The first option of `src` that turns apt's signature check off, as written, or undefined. */
export function unsignedBy(src: AptSource): string | undefined {
  const key = UNSIGNED_OPTIONS.find((k) => src.options.get(k) === 'yes');
  return key && `${key}=yes`;
}
