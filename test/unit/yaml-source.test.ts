// parseYamlSource: the value, and the line/column where each path's key and value were written.
import { describe, expect, it } from 'vitest';
import { parseYamlSource, YAML_LIMITS, YamlSyntaxError } from '../../generator/profile/yaml-source.js';

type Pos = [line: number, column: number];

/** path → [value position, key position or undefined] */
function positions(text: string): Record<string, [Pos, Pos | undefined]> {
  const src = parseYamlSource('p.yaml', text);
  const out: Record<string, [Pos, Pos | undefined]> = {};
  for (const [k, v] of src.positions) {
    expect(v.value.file).toBe('p.yaml');
    out[k] = [[v.value.line, v.value.column], v.key ? [v.key.line, v.key.column] : undefined];
  }
  return out;
}

function syntaxError(text: string): YamlSyntaxError {
  try {
    parseYamlSource('bad.yaml', text);
  } catch (err) {
    expect(err).toBeInstanceOf(YamlSyntaxError);
    return err as YamlSyntaxError;
  }
  throw new Error('expected a YamlSyntaxError');
}

describe('parseYamlSource positions', () => {
  it('records block mapping keys and values (1-based line and column)', () => {
    const text = ['# a comment', '', 'apiVersion: cocca-bake/v1', 'ssh:', '  port: 2222', '  loginUser:   admin', ''].join('\n');
    const src = parseYamlSource('p.yaml', text);
    expect(src.value).toEqual({ apiVersion: 'cocca-bake/v1', ssh: { port: 2222, loginUser: 'admin' } });
    expect(src.text).toBe(text);
    expect(src.file).toBe('p.yaml');
    expect(positions(text)).toEqual({
      '': [[3, 1], undefined],
      apiVersion: [[3, 13], [3, 1]],
      ssh: [[5, 3], [4, 1]], // a block mapping starts at its first key
      'ssh.port': [[5, 9], [5, 3]],
      'ssh.loginUser': [[6, 16], [6, 3]],
    });
  });

  it('records flow sequences and flow mappings, item by item', () => {
    expect(positions('e: [x, "y", {k: v}]\nports: [80,  443]\n')).toEqual({
      '': [[1, 1], undefined],
      e: [[1, 4], [1, 1]],
      'e[0]': [[1, 5], undefined],
      'e[1]': [[1, 8], undefined], // a quoted scalar: its opening quote
      'e[2]': [[1, 13], undefined],
      'e[2].k': [[1, 17], [1, 14]],
      ports: [[2, 8], [2, 1]],
      'ports[0]': [[2, 9], undefined],
      'ports[1]': [[2, 14], undefined],
    });
  });

  it('points quoted scalars (keys and values) at their opening quote', () => {
    expect(positions(`"ssh": {"port": 22, 'x': ~}\nc: "quoted"\nd: 'single'\nlast: ""\n`)).toEqual({
      '': [[1, 1], undefined],
      ssh: [[1, 8], [1, 1]],
      'ssh.port': [[1, 17], [1, 9]],
      'ssh.x': [[1, 26], [1, 21]],
      c: [[2, 4], [2, 1]],
      d: [[3, 4], [3, 1]],
      last: [[4, 7], [4, 1]],
    });
  });

  it('points an empty value (`key:`) at its key', () => {
    const text = 'a:\nssh:\n  port:\n  x: 1\n';
    expect(parseYamlSource('p.yaml', text).value).toEqual({ a: null, ssh: { port: null, x: 1 } });
    expect(positions(text)).toEqual({
      '': [[1, 1], undefined],
      a: [[1, 1], [1, 1]],
      ssh: [[3, 3], [2, 1]],
      'ssh.port': [[3, 3], [3, 3]],
      'ssh.x': [[4, 6], [4, 3]],
    });
  });

  it('records empty collections at their bracket', () => {
    expect(positions('j: {}\nk:   []\n')).toEqual({
      '': [[1, 1], undefined],
      j: [[1, 4], [1, 1]],
      k: [[2, 6], [2, 1]],
    });
  });

  it('records nested lists of maps with indices in the path', () => {
    const text = ['f:', '  - name: n1', '    val: 2', '  -   name: n2', 'g:', '  - [1,', '     2]', '  - {a: [b, {c: d}]}', ''].join('\n');
    expect(parseYamlSource('p.yaml', text).value).toEqual({
      f: [{ name: 'n1', val: 2 }, { name: 'n2' }],
      g: [[1, 2], { a: ['b', { c: 'd' }] }],
    });
    expect(positions(text)).toEqual({
      '': [[1, 1], undefined],
      f: [[2, 3], [1, 1]], // a block sequence starts at its first dash
      'f[0]': [[2, 5], undefined],
      'f[0].name': [[2, 11], [2, 5]],
      'f[0].val': [[3, 10], [3, 5]],
      'f[1]': [[4, 7], undefined],
      'f[1].name': [[4, 13], [4, 7]],
      g: [[6, 3], [5, 1]],
      'g[0]': [[6, 5], undefined],
      'g[0][0]': [[6, 6], undefined],
      'g[0][1]': [[7, 6], undefined],
      'g[1]': [[8, 5], undefined],
      'g[1].a': [[8, 9], [8, 6]],
      'g[1].a[0]': [[8, 10], undefined],
      'g[1].a[1]': [[8, 13], undefined],
      'g[1].a[1].c': [[8, 17], [8, 14]],
    });
  });

  it('counts columns the same with CRLF line ends', () => {
    expect(positions('a: 1\r\nbb:\r\n  - x\r\n')).toEqual({
      '': [[1, 1], undefined],
      a: [[1, 4], [1, 1]],
      bb: [[3, 3], [2, 1]],
      'bb[0]': [[3, 5], undefined],
    });
  });

  it('uses the YAML core schema: no YAML 1.1 booleans, no merge keys', () => {
    expect(parseYamlSource('p.yaml', 'a: yes\nb: on\nc: true\nd: 0x10\ne: 1.1.1s\n').value).toEqual({ a: 'yes', b: 'on', c: true, d: 16, e: '1.1.1s' });
    expect(parseYamlSource('p.yaml', 'x: &x {a: 1}\ny:\n  <<: *x\n').value).toEqual({ x: { a: 1 }, y: { '<<': { a: 1 } } });
  });

  it('returns null for an empty file and a comment-only file', () => {
    expect(parseYamlSource('p.yaml', '').value).toBeNull();
    expect(parseYamlSource('p.yaml', '# nothing\n').value).toBeNull();
  });
});

describe('parseYamlSource syntax errors', () => {
  const table: Array<[name: string, text: string, line: number, column: number, reason: string]> = [
    ['duplicated key, at the second one', 'a: 1\nb: 2\na: 3\n', 3, 1, 'YAML syntax: duplicated mapping key'],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n', 3, 2, 'YAML syntax: bad indentation of a mapping entry'],
    ['a second colon on one line', 'a: b: c\n', 1, 5, 'YAML syntax: bad indentation of a mapping entry'],
    ['a tab in the indentation', 'a:\n\tb: 1\n', 2, 1, 'YAML syntax: tab characters must not be used in indentation'],
    ['an unclosed flow sequence', 'a: 1\nb: [1, 2\nc: 3\n', 3, 1, 'YAML syntax: deficient indentation'],
    // An alias is at its `*`. Names from the file (an alias, a tag) are not repeated: the file
    // is not yet known to be a profile.
    ['an alias to no anchor', 'a: 1\nb: *nope\n', 2, 4, 'YAML syntax: an alias to an anchor that is not defined before it'],
    ['an unknown tag', 'a: !!binary zz\n', 1, 4, 'YAML syntax: unknown scalar tag'],
  ];
  it.each(table)('%s → line %i, column %i', (_name, text, line, column, reason) => {
    const err = syntaxError(text);
    expect(err.origin).toEqual({ file: 'bad.yaml', line, column });
    expect(err.reason).toBe(reason);
    expect(err.message).toBe(reason);
  });

  it('refuses several documents in one file, at the start of the second', () => {
    for (const [text, line] of [['a: 1\n---\nb: 2\n', 2], ['---\na: 1\n---\nb: 2\n', 3]] as const) {
      const err = syntaxError(text);
      expect(err.reason).toBe('a profile is one YAML document, this file holds several');
      expect(err.origin).toEqual({ file: 'bad.yaml', line, column: 1 });
    }
  });

  it('accepts one document with an explicit start marker', () => {
    const src = parseYamlSource('p.yaml', '---\na: 1\n');
    expect(src.value).toEqual({ a: 1 });
    expect(src.positions.get('a')?.value).toEqual({ file: 'p.yaml', line: 2, column: 4 });
  });
});

describe('parseYamlSource keys, anchors and aliases', () => {
  it('records a value reached through an alias where the anchor wrote it, and the alias itself at its *', () => {
    const text = ['d: &d', '  port: 1', '  x: [1, 2]', 'ssh: *d', 'p: &p 5', 'q:   *p', ''].join('\n');
    expect(parseYamlSource('p.yaml', text).value).toEqual({ d: { port: 1, x: [1, 2] }, ssh: { port: 1, x: [1, 2] }, p: 5, q: 5 });
    expect(positions(text)).toEqual({
      '': [[1, 1], undefined],
      d: [[2, 3], [1, 1]],
      'd.port': [[2, 9], [2, 3]],
      'd.x': [[3, 6], [3, 3]],
      'd.x[0]': [[3, 7], undefined],
      'd.x[1]': [[3, 10], undefined],
      ssh: [[4, 6], [4, 1]], // the alias
      'ssh.port': [[2, 9], [2, 3]], // the text the anchor wrote
      'ssh.x': [[3, 6], [3, 3]],
      'ssh.x[0]': [[3, 7], undefined],
      'ssh.x[1]': [[3, 10], undefined],
      p: [[5, 7], [5, 1]],
      q: [[6, 6], [6, 1]],
    });
  });

  it('carries positions through nested anchors', () => {
    const text = 'a: &a {k: 1}\nb: &b [*a]\nc: *b\n';
    const pos = positions(text);
    expect(pos['c[0].k']).toEqual([[1, 11], [1, 8]]);
    expect(pos['c[0]']).toEqual([[2, 8], undefined]); // the alias inside b
    expect(pos.c).toEqual([[3, 4], [3, 1]]);
  });

  it('gives a tree: an aliased value is a copy, not the same object', () => {
    const v = parseYamlSource('p.yaml', 'a: &a {k: [1]}\nb: *a\n').value as Record<string, { k: number[] }>;
    expect(v.b).toEqual(v.a);
    expect(v.b).not.toBe(v.a);
    expect(v.b!.k).not.toBe(v.a!.k);
  });

  it('takes an alias to a scalar as a mapping key, under its value', () => {
    const text = 'k: &k name\nm:\n  *k : 1\n';
    expect(parseYamlSource('p.yaml', text).value).toEqual({ k: 'name', m: { name: 1 } });
    expect(positions(text)['m.name']).toEqual([[3, 8], [3, 3]]);
  });
});

describe('parseYamlSource refusals, at their line and column', () => {
  const table: Array<[name: string, text: string, line: number, column: number, reason: string, hint?: string]> = [
    ['a complex key in block style (at the key, not 1:1)', 'a: 1\n? [a, b]\n: c\n', 2, 3, 'a mapping key must be a plain name, not a list or a mapping (a complex key)'],
    ['a complex key in a flow mapping', 'a: 1\nb: {[x]: 1}\n', 2, 5, 'a mapping key must be a plain name, not a list or a mapping (a complex key)'],
    ['an anchored complex key, at its anchor', 'a: 1\nb: {&k [x]: 2}\n', 2, 5, 'a mapping key must be a plain name, not a list or a mapping (a complex key)'],
    ['an alias to a mapping used as a key', 'a: &m {x: 1}\nb:\n  *m : 2\n', 3, 3, 'a mapping key must be a plain name, not a list or a mapping (a complex key)'],
    ['a duplicated key, quoted the second time', 'a:\n  c: 1\n  "c": 2\n', 3, 3, 'YAML syntax: duplicated mapping key', 'the same key is first written on line 2; a key may appear once in a mapping'],
    ['a duplicated key in a flow mapping', 'a: {x: 1, y: 2, x: 3}\n', 1, 17, 'YAML syntax: duplicated mapping key', 'the same key is first written on line 1; a key may appear once in a mapping'],
    ['a duplicated key spelled by an alias', 'k: &k x\nm:\n  x: 1\n  *k : 2\n', 4, 3, 'YAML syntax: duplicated mapping key'],
    ['__proto__ at the top', '__proto__: {a: 1}\n', 1, 1, 'the key __proto__ is not allowed'],
    ['__proto__ nested, quoted', 'a:\n  b:\n    "__proto__": 1\n', 3, 5, 'the key __proto__ is not allowed'],
    ['__proto__ spelled by an alias', 'k: &k __proto__\nm: {*k : 1}\n', 2, 5, 'the key __proto__ is not allowed'],
    ['an alias inside its own anchor (a cycle)', 'a: &x {b: *x}\n', 1, 11, 'YAML syntax: an alias inside the node its anchor names (a cycle)'],
    ['a cycle through a list', 'a: &x [1, [*x]]\n', 1, 12, 'YAML syntax: an alias inside the node its anchor names (a cycle)'],
    ['a second document after ---', 'a: 1\nb: |\n  text\n---\nc: 3\n', 4, 1, 'a profile is one YAML document, this file holds several'],
    ['a second empty document', '---\na: 1\n---\n', 3, 1, 'a profile is one YAML document, this file holds several'],
    ['a second document after ... without ---', 'a: 1\n...\nb: 2\n', 3, 1, 'a profile is one YAML document, this file holds several'],
    ['a NUL byte', 'a: 1\nb: x\u0000y\n', 2, 5, 'YAML syntax: null byte is not allowed in input'],
    ['a byte order mark inside the file', 'a: 1\n\uFEFFb: 2\n', 2, 1, 'a byte order mark (U+FEFF) inside the file'],
    ['a control character', 'a: 1\nb: x\u0007\n', 2, 5, 'YAML syntax: the stream contains non-printable characters'],
    ['a tab indenting a nested key after CRLF lines', 'a: 1\r\nb:\r\n\tc: 1\r\n', 3, 1, 'YAML syntax: tab characters must not be used in indentation'],
    ['an error after lone CR line ends', 'a: 1\rb:\r  c: 1\r d: 2\r', 4, 2, 'YAML syntax: bad indentation of a mapping entry'],
  ];
  it.each(table)('%s → %i:%i', (_name, text, line, column, reason, hint) => {
    const err = syntaxError(text);
    expect({ ...err.origin, reason: err.reason }).toEqual({ file: 'bad.yaml', line, column, reason });
    if (hint) expect(err.hint).toBe(hint);
  });
});

describe('parseYamlSource limits', () => {
  const nest = (n: number) => `a: ${'['.repeat(n - 1)}${']'.repeat(n - 1)}\n`; // n collections, the root mapping included
  it(`takes ${YAML_LIMITS.maxDepth} levels of nesting and refuses one more, where it starts`, () => {
    expect(() => parseYamlSource('p.yaml', nest(YAML_LIMITS.maxDepth))).not.toThrow();
    const err = syntaxError(nest(YAML_LIMITS.maxDepth + 1));
    expect([err.origin.line, err.origin.column, err.reason]).toEqual([1, 3 + YAML_LIMITS.maxDepth, 'nested more than 32 levels deep']);
  });

  it('counts the levels an alias brings along', () => {
    // x's innermost list is 19 levels below x; y puts x 13 levels down (32 in all), y2 14 (33).
    const text = `x: &x ${'['.repeat(20)}${']'.repeat(20)}\ny: ${'['.repeat(12)}*x${']'.repeat(12)}\ny2: ${'['.repeat(13)}*x${']'.repeat(13)}\n`;
    const err = syntaxError(text);
    expect([err.origin.line, err.origin.column, err.reason]).toEqual([3, 18, 'nested more than 32 levels deep once aliases are expanded']);
  });

  it(`takes ${YAML_LIMITS.maxAliases} aliases and refuses the next one, at its *`, () => {
    const aliases = (n: number) => `a: &a 1\nb: [${Array(n).fill('*a').join(', ')}]\n`;
    expect(() => parseYamlSource('p.yaml', aliases(YAML_LIMITS.maxAliases))).not.toThrow();
    const err = syntaxError(aliases(YAML_LIMITS.maxAliases + 1));
    expect([err.origin.line, err.origin.column, err.reason]).toEqual([2, 5 + 4 * YAML_LIMITS.maxAliases, 'more than 100 aliases']);
  });

  it(`takes ${YAML_LIMITS.maxNodes} values and refuses one more`, () => {
    // The root mapping and the list are two values; the rest are items.
    const list = (items: number) => `a: [${Array(items).fill('0').join(',')}]\n`;
    expect(() => parseYamlSource('p.yaml', list(YAML_LIMITS.maxNodes - 2))).not.toThrow();
    const err = syntaxError(list(YAML_LIMITS.maxNodes - 1));
    expect([err.origin.line, err.origin.column, err.reason]).toEqual([1, 5 + 2 * (YAML_LIMITS.maxNodes - 2), 'the document holds more than 10000 values']);
  });

  it('ends an alias bomb at the alias that crosses the limit, in well under a second', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const started = Date.now();
    const err = syntaxError(`${lines.join('\n')}\n`);
    expect(Date.now() - started).toBeLessThan(1000);
    // d's 8th alias: 11 + 111 + 1111 values before d, then 1111 per alias.
    expect([err.origin.line, err.origin.column, err.reason]).toEqual([4, 36, 'aliases expand the document past 10000 values']);
  });
});
