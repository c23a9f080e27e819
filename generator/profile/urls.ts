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

const USERINFO_IN_TEXT = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@'"]*@/gi;

/** Every URL in `text` with its credentials replaced by ***: for values shown in messages. */
export function redactCredentials(text: string): string {
  return text.replace(USERINFO_IN_TEXT, '$1***@');
}

/** A source line with its credentials replaced by ***, and where its 1-based `column` moved to. */
export function redactLine(line: string, column: number): { line: string; column: number } {
  let shift = 0;
  const out = line.replace(USERINFO_IN_TEXT, (all: string, scheme: string, offset: number) => {
    const shown = `${scheme}***@`;
    if (offset + all.length < column) shift += all.length - shown.length;
    return shown;
  });
  return { line: out, column: column - shift };
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
