// parseYamlSource: the value, and the line/column where each path's key and value were written.
import { describe, expect, it } from 'vitest';
import { parseYamlSource, YamlSyntaxError } from '../../generator/profile/yaml-source.js';

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
