/**
 * A deliberately small HCL2 writer: build a data model, get `packer fmt`-clean text out.
 *
 * Every string that reaches the output as a literal (attribute values, list items,
 * non-identifier object keys, block labels) goes through `quote`, the only escaping
 * function, so a profile value can never turn into an interpolation or directive.
 * Raw HCL is only emitted through `expr(...)`, which callers must use on purpose.
 *
 * Packer then runs its builders' and provisioners' strings through Go's text/template
 * (Packer 1.6.6 as today's plugins: every config string at Prepare, boot_command, qemuargs
 * and tags later with the build's values), and that layer has no escape HCL could write.
 * So `quote` refuses `{{`; a string meant as a template (`{{ .Path }}` in execute_command,
 * `{{ .SSHHostPort }}` in qemuargs) is a `goTemplate(...)`, whose actions may only name
 * the values the caller allows: none of Packer's template functions (env, vault,
 * consul_key, aws_secretsmanager) can be reached from here.
 *
 * Layout follows hclwrite's formatter (what `packer fmt` runs), so the output is a
 * fixed point of `packer fmt`:
 *  - 2-space indentation per nesting level (blocks, objects, multi-line lists).
 *  - `=` signs are aligned across a *run* of consecutive lines that each hold a
 *    complete `name = value`. hclwrite ends a run at any line without such an
 *    assignment: a blank line, a comment, a block header or `}`, and the opening line
 *    of a multi-line object/list (`name = {` leaves a bracket open, so hclwrite does
 *    not treat it as an assignment). Alignment width counts Unicode code points.
 *  - hclwrite never adds or removes blank lines; the blank-line layout below is our
 *    own convention (blank line around every block, none between attributes).
 */

export type HclValue = string | number | boolean | HclValue[] | { [k: string]: HclValue } | HclExpr | HclGoTemplate;

/** A raw HCL expression (e.g. `var.region`), written unquoted. Create with `expr()`. */
export interface HclExpr {
  readonly expr: string;
}
/** A string Packer is meant to evaluate as a Go template. Create with `goTemplate()`. */
export interface HclGoTemplate {
  readonly template: string;
}
export interface HclBlock {
  type: string;
  labels?: string[];
  body: HclBody;
}
export interface HclAttr {
  name: string;
  value: HclValue;
}
/** Emitted as `# ...` lines; a multi-line comment becomes several `#` lines. */
export interface HclComment {
  comment: string;
}
export type HclBody = Array<HclAttr | HclBlock | HclComment>;

// A class (not a plain `{ expr }` object) so that a user-supplied map that happens to
// have a single `expr` key is still rendered as a map, never as raw HCL.
class RawExpr implements HclExpr {
  constructor(readonly expr: string) {
    Object.freeze(this);
  }
}

export const expr = (text: string): HclExpr => {
  // Multi-line expressions would need their own indentation/alignment handling
  // (heredocs, for-expressions); nothing needs them yet, so refuse rather than misformat.
  if (text.trim() === '' || /[\r\n]/.test(text)) {
    throw new Error(`hcl: expr must be a non-empty single line, got ${JSON.stringify(text)}`);
  }
  return new RawExpr(text);
};

class GoTemplate implements HclGoTemplate {
  constructor(readonly template: string) {
    Object.freeze(this);
  }
}

const GO_ACTION = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;

/**
 * Why `text` is not a Go template whose every action is a bare `{{ .Field }}` with Field in
 * `fields`, or undefined when it is. Go's text/template starts an action at every `{{` (a
 * lone `}}` is plain text), so each `{{` must open one such reference.
 */
export function goTemplateProblem(text: string, fields: readonly string[]): string | undefined {
  for (let at = text.indexOf('{{'); at !== -1; at = text.indexOf('{{', at)) {
    GO_ACTION.lastIndex = at;
    const m = GO_ACTION.exec(text);
    if (!m) return `holds "{{" that does not open a reference like {{ .${fields[0] ?? 'Name'} }}: Packer evaluates it as a Go template`;
    if (!fields.includes(m[1]!)) return `holds ${m[0]}, which is none of Packer's values here (${fields.map((f) => `{{ .${f} }}`).join(', ')})`;
    at = GO_ACTION.lastIndex;
  }
  return undefined;
}

/** A string Packer evaluates as a Go template that may reference only `fields`; throws otherwise. */
export const goTemplate = (text: string, fields: readonly string[]): HclGoTemplate => {
  const problem = goTemplateProblem(text, fields);
  if (problem) throw new Error(`hcl: template ${JSON.stringify(text)} ${problem}`);
  return new GoTemplate(text);
};

export function attr(name: string, value: HclValue): HclAttr {
  return { name, value };
}

export function block(type: string, labels: string[], body: HclBody): HclBlock {
  return { type, labels, body };
}

const INDENT = '  ';
/** Scalar-only lists up to this many characters stay on one line. */
const MAX_INLINE_LIST = 80;
const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// These parse as literal values, not identifiers, so as object keys they get quoted.
const KEYWORDS = new Set(['true', 'false', 'null']);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The one escaping function: returns a double-quoted HCL template that evaluates to
 * exactly `s`, and that Packer's Go-template layer leaves alone. Throws for input that
 * cannot arrive as written: lone UTF-16 surrogates (not encodable as UTF-8), text not in
 * Unicode NFC, because HCL (via cty) normalizes every string to NFC, so e.g. "e\u0301"
 * would silently arrive as "\u00e9", and `{{`, which Packer would evaluate (see the top).
 * The profile's checks refuse all three in values that reach HCL (generator/check/strings.ts).
 */
export function quote(s: string): string {
  if (s.includes('{{')) {
    throw new RangeError(`hcl: string holds "{{", which Packer would evaluate as a Go template (use goTemplate() for a deliberate one): ${JSON.stringify(s)}`);
  }
  return quoteLiteral(s);
}

function quoteLiteral(s: string): string {
  if (LONE_SURROGATE.test(s)) {
    throw new RangeError(`hcl: string contains a lone surrogate: ${JSON.stringify(s)}`);
  }
  if (s.normalize('NFC') !== s) {
    throw new RangeError(`hcl: string is not NFC-normalized (HCL would change it): ${JSON.stringify(s)}`);
  }
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '$':
      case '%':
        // `${` / `%{` start an interpolation / directive; `$${` / `%%{` are their
        // literal forms. Doubling only the sigil right before `{` is enough: HCL reads
        // `$$${` as `$` + literal `${` (checked against Packer's evaluator).
        out += s[i + 1] === '{' ? ch + ch : ch;
        break;
      default:
        // C0 controls, DEL and C1 controls are written as \uXXXX so the file stays
        // plain printable text; everything else (incl. emoji) is emitted as UTF-8.
        out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
    }
  }
  return out + '"';
}

/** Renders a whole file. Deterministic; ends with exactly one newline (empty body: ""). */
export function renderHcl(body: HclBody): string {
  const lines = renderBody(body, 0);
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------

/** One output row before alignment: an assignment, or lines copied verbatim. */
type Row = { name: string; value: string } | { lines: string[] };

function isComment(item: HclAttr | HclBlock | HclComment): item is HclComment {
  return 'comment' in item;
}
function isBlock(item: HclAttr | HclBlock | HclComment): item is HclBlock {
  return 'body' in item && 'type' in item;
}

function checkIdent(kind: string, name: string): string {
  if (!IDENT.test(name)) throw new Error(`hcl: invalid ${kind} name ${JSON.stringify(name)}`);
  return name;
}

function renderBody(body: HclBody, depth: number): string[] {
  const rows: Row[] = [];
  // A comment belongs to the item after it, so blank lines go above the comment.
  let pendingComments: string[] = [];
  let prevWasBlock: boolean | undefined; // undefined: nothing emitted yet
  const separate = (isBlk: boolean) => {
    if (prevWasBlock !== undefined && (isBlk || prevWasBlock)) rows.push({ lines: [''] });
    prevWasBlock = isBlk;
  };
  const pad = INDENT.repeat(depth);
  for (const item of body) {
    if (isComment(item)) {
      pendingComments.push(...item.comment.split(/\r\n|\r|\n/).map((l) => `${pad}# ${l}`.trimEnd()));
      continue;
    }
    const blk = isBlock(item);
    separate(blk);
    if (pendingComments.length) rows.push({ lines: pendingComments });
    pendingComments = [];
    if (blk) rows.push({ lines: renderBlock(item, depth) });
    else rows.push({ name: checkIdent('attribute', item.name), value: renderValue(item.value, depth) });
  }
  if (pendingComments.length) {
    separate(false);
    rows.push({ lines: pendingComments });
  }
  return alignRows(rows, depth);
}

function renderBlock(b: HclBlock, depth: number): string[] {
  const pad = INDENT.repeat(depth);
  const header = [checkIdent('block type', b.type), ...(b.labels ?? []).map(quote)].join(' ');
  const inner = renderBody(b.body, depth + 1);
  return [`${pad}${header} {`, ...inner, `${pad}}`];
}

/**
 * Turns rows into lines, padding names so `=` lines up within each run of
 * consecutive single-line assignments (the hclwrite rule described at the top).
 */
function alignRows(rows: Row[], depth: number): string[] {
  const pad = INDENT.repeat(depth);
  const width = (s: string) => [...s].length; // hclwrite counts runes, not bytes
  const out: string[] = [];
  let run: { name: string; value: string }[] = [];
  const flush = () => {
    const w = Math.max(0, ...run.map((r) => width(r.name)));
    for (const r of run) out.push(`${pad}${r.name}${' '.repeat(w - width(r.name))} = ${r.value}`);
    run = [];
  };
  for (const row of rows) {
    if ('lines' in row) {
      flush();
      out.push(...row.lines);
    } else if (row.value.includes('\n')) {
      flush(); // a multi-line value is not part of any run
      out.push(`${pad}${row.name} = ${row.value}`);
    } else {
      run.push(row);
    }
  }
  flush();
  return out;
}

const isScalar = (v: HclValue): boolean =>
  typeof v !== 'object' || v instanceof RawExpr || v instanceof GoTemplate;

/** Renders a value whose first line continues the current line at nesting `depth`. */
function renderValue(v: HclValue, depth: number): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    // String() yields 1, -2.5, 1e+21: all valid HCL number literals (minus is unary).
    if (!Number.isFinite(v)) throw new Error(`hcl: cannot represent number ${v}`);
    return String(v);
  }
  if (v instanceof RawExpr) return v.expr;
  if (v instanceof GoTemplate) return quoteLiteral(v.template);
  const closePad = INDENT.repeat(depth);
  const itemPad = INDENT.repeat(depth + 1);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every(isScalar)) {
      const inline = `[${v.map((x) => renderValue(x, depth)).join(', ')}]`;
      if (inline.length <= MAX_INLINE_LIST) return inline;
    }
    return ['[', ...v.map((x) => `${itemPad}${renderValue(x, depth + 1)},`), `${closePad}]`].join('\n');
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return '{}';
  const rows: Row[] = entries.map(([k, x]) => ({
    name: IDENT.test(k) && !KEYWORDS.has(k) ? k : quote(k),
    value: renderValue(x, depth + 1),
  }));
  return ['{', ...alignRows(rows, depth + 1), `${closePad}}`].join('\n');
}
