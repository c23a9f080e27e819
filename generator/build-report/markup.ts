// HTML built so that nothing from a record can become markup: every interpolated value is
// escaped unless it is itself a fragment built here.
export class Fragment {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

type Value = Fragment | string | number | undefined | null | false | Value[];

const piece = (v: Value): string => {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof Fragment) return v.html;
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeHtml(String(v));
};

/** A tagged template: `html\`<td>${text}</td>\`` escapes text; nested html`` fragments pass as they are. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Fragment {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += piece(v) + strings[i + 1]!;
  });
  return new Fragment(out);
}
