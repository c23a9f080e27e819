/**
 * resin.xml, rendered in two stages.
 *
 * Stage 1 (here, at generate time): `resin.xml.ejs` beside this file is rendered with ejs and
 * data `{ r }`. Everything known now (ports, paths, JVM arguments, database name and user, JNDI
 * name) is written through ejs's escaping tag `<%= %>`; the template never uses the raw tag.
 * What belongs to one instance is left as named placeholders `@@NAME@@` (RESIN_PLACEHOLDERS).
 *
 * Stage 2 (first boot, on the server, no Node there): `cocca-fill-template` (the runner's, generator/components/runner)
 * (python3, standard library) replaces the placeholders with XML-escaped values, checks the
 * result is well-formed and writes it atomically.
 *
 * An operator may supply their own template (CoCCA's resin.xml) with the same placeholders;
 * `checkOperatorTemplate` finds what would make it fail at first boot, at generate time.
 *
 * Resin facts this relies on (research/domain.md section 2):
 * - `resinctl start-all` starts only the `<server>`s whose address is on a local interface and
 *   exits 0 when none is: the server address is the instance's private IPv4 (pitfall 10).
 * - `<http address="*">` binds a dual-stack IPv6 socket (IPV6_V6ONLY=0): IPv4 and IPv6 clients.
 * - Resin evaluates `${...}` / `#{...}` in resin.xml text and attribute values as EL, so values
 *   known at generate time must not contain them (refused below).
 */
import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import { packageFile } from '../../paths.js';
import { lineProblem } from '../../profile/characters.js';

/** The per-instance values left in resin.xml for first boot, as `@@NAME@@`. */
export const RESIN_PLACEHOLDERS = ['PRIVATE_IPV4', 'FQDN', 'DB_PASSWORD', 'KEYSTORE_FILE', 'KEYSTORE_PASSWORD', 'RESIN_HEAP_MB', 'DB_MAX_CONNECTIONS'] as const;
export type ResinPlaceholder = (typeof RESIN_PLACEHOLDERS)[number];

/** Placeholders an operator template must use (see checkOperatorTemplate). */
export const REQUIRED_OPERATOR_PLACEHOLDERS = ['PRIVATE_IPV4', 'DB_PASSWORD'] as const satisfies readonly ResinPlaceholder[];

/** The built-in template, relative to the package root. */
export const RESIN_XML_TEMPLATE = 'generator/components/resin/resin.xml.ejs';

/** Cluster and server id in the built-in template (`resinctl -server app-0 ...`). */
export const RESIN_CLUSTER_ID = 'app';
export const RESIN_SERVER_ID = 'app-0';

/**
 * The JNDI name of the CoCCA database pool (java:comp/env/jdbc/registry). CoCCA's own resin.xml is
 * not public, so the name its ROOT.war looks up is unknown; operators who know it differs use
 * their own template or pass another jndiName.
 */
export const DEFAULT_JNDI_NAME = 'jdbc/registry';

export interface ResinXmlInput {
  resinHome: string;
  httpPort: number;
  httpsPort: number;
  clusterPort: number;
  watchdogPort: number;
  jvmArgs: string;
  runAs: 'resin' | 'root';
  database: string;
  dbUser: string;
  jndiName: string;
  /** Days of access-log archives Resin keeps. */
  logKeepDays: number;
}

/** What the template sees as `r`. */
interface TemplateData extends ResinXmlInput {
  devMode: false;
}

const PLACEHOLDER_RE = /@@([A-Z0-9_]+)@@/g;
/** A Resin EL expression: ${...} or #{...} (no nested braces, as in resin.xml files). */
const EL_RE = /[$#]\{[^}]*\}?/g;

// ---------------------------------------------------------------------------
// stage 1: render

const PG_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function validate(input: ResinXmlInput): string[] {
  const problems: string[] = [];
  const ports: Array<[keyof ResinXmlInput, number]> = [
    ['httpPort', input.httpPort],
    ['httpsPort', input.httpsPort],
    ['clusterPort', input.clusterPort],
    ['watchdogPort', input.watchdogPort],
  ];
  for (const [key, port] of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${key}: ${String(port)} is not a TCP port (1-65535)`);
  }
  const seen = new Map<number, string>();
  for (const [key, port] of ports) {
    const other = seen.get(port);
    if (other !== undefined) problems.push(`${key}: port ${port} is already used by ${other}`);
    else seen.set(port, key);
  }
  if (typeof input.resinHome !== 'string' || !/^\/(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+$/.test(input.resinHome) || /(^|\/)\.\.?(\/|$)/.test(input.resinHome)) {
    problems.push(`resinHome: ${JSON.stringify(input.resinHome)} must be an absolute, normalised path of letters, digits, '.', '_', '-'`);
  }
  if (input.runAs !== 'resin' && input.runAs !== 'root') problems.push(`runAs: ${JSON.stringify(input.runAs)} must be "resin" or "root"`);
  if (typeof input.database !== 'string' || !PG_IDENT.test(input.database)) {
    problems.push(`database: ${JSON.stringify(input.database)} must be a lower-case PostgreSQL identifier ([a-z_][a-z0-9_]*, at most 63)`);
  }
  if (typeof input.dbUser !== 'string' || !PG_IDENT.test(input.dbUser)) {
    problems.push(`dbUser: ${JSON.stringify(input.dbUser)} must be a lower-case PostgreSQL identifier ([a-z_][a-z0-9_]*, at most 63)`);
  }
  if (typeof input.jndiName !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.-]+)*$/.test(input.jndiName)) {
    problems.push(`jndiName: ${JSON.stringify(input.jndiName)} must look like "jdbc/registry"`);
  }
  if (!Number.isInteger(input.logKeepDays) || input.logKeepDays < 1) problems.push(`logKeepDays: ${String(input.logKeepDays)} is not a whole number of days`);
  if (typeof input.jvmArgs !== 'string') {
    problems.push('jvmArgs: must be a string');
  } else {
    // Resin reads <jvm-arg-line> as one line, split at whitespace; XML 1.0 cannot hold most
    // control characters at all.
    const line = lineProblem(input.jvmArgs);
    if (line) problems.push(`jvmArgs: must be one line without control characters (it ${line})`);
    problems.push(...jvmArgsProblems(input.jvmArgs).map((p) => `jvmArgs: ${p}`));
  }
  return problems;
}

/**
 * What else keeps a one-line `jvmArgs` out of <jvm-arg-line>: validate refuses the same
 * (generator/check/strings.ts), so a profile it accepts always renders.
 */
export function jvmArgsProblems(jvmArgs: string): string[] {
  const problems: string[] = [];
  if (/[\ufffe\uffff]/.test(jvmArgs)) problems.push('contains characters XML cannot hold (U+FFFE, U+FFFF)');
  if (jvmArgs.includes('@@')) problems.push('must not contain "@@" (the first-boot placeholder marker)');
  if (/[$#]\{/.test(jvmArgs)) problems.push('must not contain "${" or "#{" (Resin would evaluate it as an EL expression)');
  return problems;
}

/** Render the built-in resin.xml template. Throws on invalid input (all problems at once). */
export function renderResinXml(input: ResinXmlInput): string {
  const file = packageFile(RESIN_XML_TEMPLATE);
  return renderResinXmlTemplate(readFileSync(file, 'utf8'), input, file);
}

/**
 * Render an ejs resin.xml template (the built-in one, or a test's) and check that the result is
 * what first boot can fill: well-formed, all RESIN_PLACEHOLDERS in text or attribute values, no
 * other placeholder. A failure there is a template bug, reported here rather than on a server.
 */
export function renderResinXmlTemplate(template: string, input: ResinXmlInput, filename = 'resin.xml.ejs'): string {
  const problems = validate(input);
  if (problems.length > 0) throw new Error(`cocca-bake: invalid resin.xml input:\n  ${problems.join('\n  ')}`);
  const r: TemplateData = {
    resinHome: input.resinHome,
    httpPort: input.httpPort,
    httpsPort: input.httpsPort,
    clusterPort: input.clusterPort,
    watchdogPort: input.watchdogPort,
    jvmArgs: input.jvmArgs,
    runAs: input.runAs,
    database: input.database,
    dbUser: input.dbUser,
    jndiName: input.jndiName,
    logKeepDays: input.logKeepDays,
    devMode: false,
  };
  const xml = ejs.render(template, { r }, { filename, strict: true, destructuredLocals: ['r'], async: false });
  const bugs = checkTemplate(xml, RESIN_PLACEHOLDERS);
  if (bugs.length > 0) throw new Error(`cocca-bake: the resin.xml template ${filename} rendered badly (a template bug):\n  ${bugs.join('\n  ')}`);
  return xml;
}

// ---------------------------------------------------------------------------
// operator templates

/**
 * Problems in an operator-supplied resin.xml template (e.g. CoCCA's own, with the placeholders
 * put in): [] when first boot can fill it. Human-readable messages with line numbers.
 */
export function checkOperatorTemplate(text: string): string[] {
  return checkTemplate(text, REQUIRED_OPERATOR_PLACEHOLDERS);
}

/**
 * Whether an operator template is a resin.xml at all (its root element is <resin>), told
 * without quoting anything of it: until then it may be any file the profile named, and
 * checkOperatorTemplate's messages quote elements and attributes.
 */
export function resinRootProblem(text: string): string | undefined {
  const scan = scanXml(text.replace(PLACEHOLDER_RE, (all) => 'x'.repeat(all.length)));
  const root = scan.elements[0];
  if (root) return root.name.slice(root.name.indexOf(':') + 1) === 'resin' ? undefined : 'is not a resin.xml: its root element is not <resin>';
  if (scan.error) {
    const { line, column } = position(text, scan.error.offset);
    return `is not a resin.xml: not well-formed XML before a root element (line ${line}, column ${column})`;
  }
  return 'is not a resin.xml: no root element';
}

function checkTemplate(text: string, required: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set<string>(RESIN_PLACEHOLDERS);
  const occurrences = [...text.matchAll(PLACEHOLDER_RE)];
  const names = new Set(occurrences.map((m) => m[1]!));

  const reportedUnknown = new Set<string>();
  for (const m of occurrences) {
    const name = m[1]!;
    if (known.has(name) || reportedUnknown.has(name)) continue;
    reportedUnknown.add(name);
    problems.push(`line ${lineOf(text, m.index)}: unknown placeholder @@${name}@@ (known: ${RESIN_PLACEHOLDERS.map((p) => `@@${p}@@`).join(', ')})`);
  }
  for (const name of required) {
    if (!names.has(name)) problems.push(`required placeholder @@${name}@@ is missing: ${WHY_REQUIRED[name] ?? 'the built-in template uses it'}`);
  }

  // Resin evaluates ${...} and #{...} after first boot has filled the placeholders in: a value
  // there (a password, a name) would be read as an expression. A placeholder right after "$" or
  // "#", or right before "{", could open one with the value's first or last character.
  for (const el of text.matchAll(EL_RE)) {
    for (const m of el[0].matchAll(PLACEHOLDER_RE)) {
      problems.push(`line ${lineOf(text, el.index + m.index)}: placeholder @@${m[1]!}@@ is inside the EL expression ${JSON.stringify(el[0])}: Resin would evaluate the value first boot puts there`);
    }
  }
  for (const m of occurrences) {
    const before = text[m.index - 1];
    const after = text[m.index + m[0].length];
    if (before === '$' || before === '#' || after === '{') {
      problems.push(`line ${lineOf(text, m.index)}: placeholder @@${m[1]!}@@ ${after === '{' ? 'is followed by "{"' : `follows "${before}"`}: with the value filled in, Resin could read an EL expression (\${...} or #{...}) there`);
    }
  }

  // Same-length dummies keep every offset (and line number) of the original text.
  const dummied = text.replace(PLACEHOLDER_RE, (all) => 'x'.repeat(all.length));
  const scan = scanXml(dummied);
  if (scan.error) {
    const { line, column } = position(dummied, scan.error.offset);
    problems.push(`not well-formed XML (placeholders replaced by dummy values): line ${line}, column ${column}: ${scan.error.message}`);
    return problems;
  }
  for (const m of occurrences) {
    const start = m.index;
    const end = start + m[0].length;
    if (!scan.content.some(([s, e]) => s <= start && end <= e)) {
      problems.push(
        `line ${lineOf(text, start)}: placeholder @@${m[1]!}@@ is not in element text or an attribute value ` +
          '(a comment, CDATA section, processing instruction or markup cannot hold an escaped value; cocca-fill-template refuses it)',
      );
    }
  }
  for (const el of scan.elements) {
    for (const attr of el.attrs) {
      const local = attr.name.slice(attr.name.indexOf(':') + 1);
      if (local !== 'address' && local !== 'address-list') continue;
      for (const ip of attr.value.match(/(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9.])/g) ?? []) {
        if (ip.startsWith('127.') || ip === '0.0.0.0') continue;
        problems.push(
          `line ${lineOf(text, attr.start)}: <${el.name} ${attr.name}="${attr.value}">: the literal address ${ip} belongs to one server and would be baked into the image; ` +
            'use @@PRIVATE_IPV4@@ for the <server> (start-all starts only servers on a local interface) and "*" for listeners (IPv4 and IPv6)',
        );
      }
    }
  }
  return problems;
}

const WHY_REQUIRED: Record<string, string> = {
  PRIVATE_IPV4:
    "the <server> address must be the instance's private IPv4, found at first boot: `resinctl start-all` starts only servers whose address is on a local interface, and exits 0 when there is none",
  DB_PASSWORD: 'the PostgreSQL password is generated on the instance at first boot and never baked into the image',
};

function lineOf(text: string, offset: number): number {
  return position(text, offset).line;
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

// ---------------------------------------------------------------------------
// ports

/** Where a template makes Resin listen: each <http> and <protocol> port, and what cannot be told. */
export interface ResinListeners {
  ports: number[];
  /** listeners whose port is not a number here (EL such as ${http}, a placeholder): line and text */
  unknown: string[];
}

/**
 * The TCP ports a resin.xml template listens on: every <http> and <protocol> element (Resin's
 * listeners, in a <server>, <server-default> or <cluster-default>) with its port as an
 * attribute or a child element. undefined when the template is not well-formed (reported
 * elsewhere).
 */
export function resinListeners(text: string): ResinListeners | undefined {
  const scan = scanXml(text.replace(PLACEHOLDER_RE, (all) => 'x'.repeat(all.length)));
  if (scan.error) return undefined;
  const local = (name: string) => name.slice(name.indexOf(':') + 1);
  const ports = new Set<number>();
  const unknown: string[] = [];
  scan.elements.forEach((el, i) => {
    if (local(el.name) !== 'http' && local(el.name) !== 'protocol') return;
    const raw = el.attrs.find((a) => local(a.name) === 'port')?.value ?? scan.elements.find((c) => c.parent === i && local(c.name) === 'port')?.text;
    const value = (raw ?? '').trim();
    const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
    if (port >= 1 && port <= 65535) ports.add(port);
    else unknown.push(`line ${lineOf(text, el.offset)}: <${el.name}> ${raw === undefined ? 'has no port' : 'has a port that is not a number here (an expression or a placeholder)'}`);
  });
  return { ports: [...ports].sort((a, b) => a - b), unknown };
}

/**
 * The ports of Resin's own traffic in a template: each <server>'s cluster port and each
 * watchdog port. Not listeners of the stack: they serve Resin's servers and its watchdog, and
 * must never be public. undefined when the template is not well-formed.
 */
export function resinInternalPorts(text: string): number[] | undefined {
  const scan = scanXml(text.replace(PLACEHOLDER_RE, (all) => 'x'.repeat(all.length)));
  if (scan.error) return undefined;
  const local = (name: string) => name.slice(name.indexOf(':') + 1);
  const ports = new Set<number>();
  const add = (raw: string | undefined) => {
    const value = (raw ?? '').trim();
    if (/^[0-9]{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535) ports.add(Number(value));
  };
  scan.elements.forEach((el, i) => {
    const name = local(el.name);
    if (name === 'server' || name === 'server-multi') {
      add(el.attrs.find((a) => local(a.name) === 'port')?.value ?? scan.elements.find((c) => c.parent === i && local(c.name) === 'port')?.text);
      add(el.attrs.find((a) => local(a.name) === 'watchdog-port')?.value);
    }
    if (name === 'watchdog-port') add(el.text);
  });
  return [...ports].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------
// A small XML 1.0 (+ namespaces) well-formedness checker: no XML parser is a dependency, and
// the generating machine may have neither xmllint nor python. It also reports where element
// text and attribute values are, so placeholders can be checked to sit only there.
// DOCTYPE declarations are refused (a resin.xml has none; cocca-fill-template refuses them too).

interface XmlAttr {
  name: string;
  /** decoded value */
  value: string;
  /** offset of the raw value (inside the quotes) */
  start: number;
}
interface XmlElement {
  name: string;
  offset: number;
  attrs: XmlAttr[];
  /** index of the parent element in XmlScan.elements, -1 for the root */
  parent: number;
  /** the element's own text (decoded), children's not included */
  text: string;
}
interface XmlScan {
  error?: { offset: number; message: string };
  /** [start, end) of every run of element text and every raw attribute value */
  content: Array<[number, number]>;
  elements: XmlElement[];
}

const NAME_START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NAME = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'uy');
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const REFERENCE = /&(?:([A-Za-z_:][A-Za-z0-9_.:-]*)|#([0-9]+)|#x([0-9A-Fa-f]+));/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const WS = /[ \t\r\n]*/y;

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

function scanXml(src: string): XmlScan {
  const content: Array<[number, number]> = [];
  const elements: XmlElement[] = [];
  const fail = (offset: number, message: string): XmlScan => ({ error: { offset, message }, content, elements });

  const bad = NOT_XML_CHAR.exec(src);
  if (bad) return fail(bad.index, `the character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML 1.0`);

  const nameAt = (at: number): string | undefined => {
    NAME.lastIndex = at;
    return NAME.exec(src)?.[0];
  };
  const skipWs = (at: number): number => {
    WS.lastIndex = at;
    WS.exec(src);
    return WS.lastIndex;
  };
  /** Decode references in raw text starting at `base`; an error message string on failure. */
  const decode = (raw: string, base: number): { value: string } | { offset: number; message: string } => {
    let value = '';
    let last = 0;
    for (let i = raw.indexOf('&'); i !== -1; i = raw.indexOf('&', last)) {
      REFERENCE.lastIndex = i;
      const m = REFERENCE.exec(raw);
      if (!m) return { offset: base + i, message: "'&' that does not start a reference (write &amp; for a literal '&')" };
      value += raw.slice(last, i);
      if (m[1] !== undefined) {
        const ch = PREDEFINED[m[1]];
        if (ch === undefined) return { offset: base + i, message: `undefined entity &${m[1]};` };
        value += ch;
      } else {
        const code = m[2] !== undefined ? Number.parseInt(m[2], 10) : Number.parseInt(m[3]!, 16);
        if (!isXmlChar(code)) return { offset: base + i, message: `character reference ${m[0]} is not an XML 1.0 character` };
        value += String.fromCodePoint(code);
      }
      last = i + m[0].length;
    }
    return { value: value + raw.slice(last) };
  };

  // namespace scopes: prefix -> declared, innermost last
  const scopes: Array<Set<string>> = [];
  const declared = (prefix: string): boolean => prefix === 'xml' || scopes.some((s) => s.has(prefix));
  const stack: Array<{ name: string; offset: number; index: number }> = [];
  let rootSeen = false;

  let pos = src.startsWith('\uFEFF') ? 1 : 0;
  if (/^<\?xml[ \t\r\n?]/.test(src.slice(pos, pos + 6))) {
    const end = src.indexOf('?>', pos);
    if (end === -1) return fail(pos, 'unterminated XML declaration');
    const decl = src.slice(pos, end + 2);
    const ok = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>$/.test(decl);
    if (!ok) return fail(pos, 'malformed XML declaration');
    pos = end + 2;
  }

  while (pos < src.length) {
    const lt = src.indexOf('<', pos);
    const textEnd = lt === -1 ? src.length : lt;
    if (textEnd > pos) {
      const text = src.slice(pos, textEnd);
      if (stack.length === 0) {
        const stray = text.search(/[^ \t\r\n]/);
        if (stray !== -1) return fail(pos + stray, rootSeen ? 'text after the root element' : 'text before the root element');
      } else {
        const cdataEnd = text.indexOf(']]>');
        if (cdataEnd !== -1) return fail(pos + cdataEnd, "']]>' in element text (write ]]&gt;)");
        const d = decode(text, pos);
        if ('message' in d) return fail(d.offset, d.message);
        content.push([pos, textEnd]);
        elements[stack[stack.length - 1]!.index]!.text += d.value;
      }
    }
    if (lt === -1) break;
    pos = lt;

    if (src.startsWith('<!--', pos)) {
      const end = src.indexOf('-->', pos + 4);
      if (end === -1) return fail(pos, 'unterminated comment');
      const dashes = src.slice(pos + 4, end).search(/--|-$/);
      if (dashes !== -1) return fail(pos + 4 + dashes, "'--' inside a comment");
      pos = end + 3;
    } else if (src.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) return fail(pos, 'CDATA section outside the root element');
      const end = src.indexOf(']]>', pos + 9);
      if (end === -1) return fail(pos, 'unterminated CDATA section');
      elements[stack[stack.length - 1]!.index]!.text += src.slice(pos + 9, end);
      pos = end + 3;
    } else if (src.startsWith('<!DOCTYPE', pos)) {
      return fail(pos, 'DOCTYPE declarations are not supported in a resin.xml template');
    } else if (src.startsWith('<!', pos)) {
      return fail(pos, "unexpected '<!'");
    } else if (src.startsWith('<?', pos)) {
      const target = nameAt(pos + 2);
      if (target === undefined) return fail(pos, 'processing instruction without a target');
      if (target.toLowerCase() === 'xml') return fail(pos, 'XML declaration not at the very start of the file');
      const after = pos + 2 + target.length;
      if (!src.startsWith('?>', after) && !/[ \t\r\n]/.test(src[after] ?? '')) return fail(after, 'malformed processing instruction');
      const end = src.indexOf('?>', after);
      if (end === -1) return fail(pos, 'unterminated processing instruction');
      pos = end + 2;
    } else if (src.startsWith('</', pos)) {
      const name = nameAt(pos + 2);
      if (name === undefined) return fail(pos, "malformed end tag");
      const close = skipWs(pos + 2 + name.length);
      if (src[close] !== '>') return fail(close, `malformed end tag </${name}>`);
      const open = stack.pop();
      if (open === undefined) return fail(pos, `end tag </${name}> without a start tag`);
      if (open.name !== name) return fail(pos, `end tag </${name}> does not match <${open.name}> (line ${position(src, open.offset).line})`);
      scopes.pop();
      pos = close + 1;
    } else {
      const name = nameAt(pos + 1);
      if (name === undefined) return fail(pos, "'<' not followed by a name (write &lt; for a literal '<')");
      if (stack.length === 0 && rootSeen) return fail(pos, `a second root element <${name}>`);
      const element: XmlElement = { name, offset: pos, attrs: [], parent: stack.length > 0 ? stack[stack.length - 1]!.index : -1, text: '' };
      let p = pos + 1 + name.length;
      let selfClosing = false;
      for (;;) {
        const before = p;
        p = skipWs(p);
        if (p >= src.length) return fail(pos, `unterminated start tag <${name}>`);
        if (src[p] === '>') {
          p += 1;
          break;
        }
        if (src.startsWith('/>', p)) {
          p += 2;
          selfClosing = true;
          break;
        }
        const attr = nameAt(p);
        if (attr === undefined) return fail(p, `malformed start tag <${name}>`);
        if (p === before) return fail(p, `whitespace needed before attribute ${attr}`);
        p = skipWs(p + attr.length);
        if (src[p] !== '=') return fail(p, `attribute ${attr} without '="value"'`);
        p = skipWs(p + 1);
        const quote = src[p];
        if (quote !== '"' && quote !== "'") return fail(p, `the value of attribute ${attr} is not quoted`);
        const end = src.indexOf(quote, p + 1);
        if (end === -1) return fail(p, `unterminated value of attribute ${attr}`);
        const raw = src.slice(p + 1, end);
        const lt2 = raw.indexOf('<');
        if (lt2 !== -1) return fail(p + 1 + lt2, `'<' in the value of attribute ${attr} (write &lt;)`);
        const d = decode(raw, p + 1);
        if ('message' in d) return fail(d.offset, d.message);
        if (element.attrs.some((a) => a.name === attr)) return fail(p, `attribute ${attr} given twice`);
        element.attrs.push({ name: attr, value: d.value, start: p + 1 });
        content.push([p + 1, end]);
        p = end + 1;
      }

      // namespaces: declarations first, then every prefix used must be declared
      const scope = new Set<string>();
      for (const a of element.attrs) {
        if (a.name.startsWith('xmlns:')) {
          if (a.value === '') return fail(a.start, `${a.name} cannot be empty`);
          scope.add(a.name.slice(6));
        }
      }
      scopes.push(scope);
      for (const qname of [name, ...element.attrs.map((a) => a.name)]) {
        const parts = qname.split(':');
        if (parts.length > 2 || parts.some((s) => s === '')) return fail(pos, `${qname} is not a valid namespaced name`);
        if (parts.length === 2 && parts[0] !== 'xmlns' && !declared(parts[0]!)) return fail(pos, `namespace prefix ${parts[0]!}: is not declared`);
      }

      elements.push(element);
      rootSeen = true;
      if (selfClosing) scopes.pop();
      else stack.push({ name, offset: pos, index: elements.length - 1 });
      pos = p;
    }
  }
  const open = stack.pop();
  if (open !== undefined) return fail(open.offset, `element <${open.name}> is not closed`);
  if (!rootSeen) return fail(src.length, 'no root element');
  return { content, elements };
}
