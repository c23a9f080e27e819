// loadProfile: the extends chain, the merge, where each value came from, and chain errors.
import { realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_VERSION, loadProfile, MAX_EXTENDS_CHAIN, originOf, type LoadResult } from '../../generator/profile/load.js';
import { FIXTURES, tempTree } from './profile-helpers.js';

/** A temp tree whose paths are real (as the loader reports them in cycle messages). */
const tree = (files: Record<string, string>) => realpathSync(tempTree(files));

function loaded(r: LoadResult) {
  expect(r.findings).toEqual([]);
  expect(r.loaded).toBeDefined();
  return r.loaded!;
}

describe('extends chains and merging', () => {
  // profiles/regions/eu.yaml → ../base/mid.yaml → core/root.yaml (relative to base/)
  const dir = tree({
    'profiles/base/core/root.yaml': [
      'apiVersion: cocca-bake/v1', // 1
      'role: registry', // 2
      'ssh:', // 3
      '  port: 22', // 4
      '  loginGraceTime: 30', // 5
      'firewall:', // 6
      '  trusted:', // 7
      '    - 10.0.0.0/8', // 8
      '    - 192.0.2.0/24', // 9
      '  publicPorts: [80, 443]', // 10
      'postgres:', // 11
      '  tune:', // 12
      '    dbType: web', // 13
      '    storage: ssd', // 14
      '',
    ].join('\n'),
    'profiles/base/mid.yaml': [
      'apiVersion: cocca-bake/v1', // 1
      'extends: core/root.yaml', // 2
      'ssh:', // 3
      '  port: 2222', // 4
      'postgres:', // 5
      '  tune:', // 6
      '    dbType: oltp', // 7
      '',
    ].join('\n'),
    'profiles/regions/eu.yaml': [
      'apiVersion: cocca-bake/v1', // 1
      'extends: ../base/mid.yaml', // 2
      'name: eu', // 3
      'firewall:', // 4
      '  trusted: [203.0.113.0/24]', // 5
      '',
    ].join('\n'),
  });
  const leaf = path.join(dir, 'profiles/regions/eu.yaml');
  const mid = path.join(dir, 'profiles/base/mid.yaml');
  const root = path.join(dir, 'profiles/base/core/root.yaml');
  const r = loadProfile(leaf);
  const l = loaded(r);

  it('follows a three-file chain, each path relative to the file that names it', () => {
    expect(l.chain.map((d) => d.file)).toEqual([leaf, mid, root]);
    expect([...r.sources.keys()]).toEqual([leaf, mid, root]);
    expect(r.sources.get(mid)).toContain('extends: core/root.yaml');
  });

  it('merges maps deeply, the most derived file winning, and drops extends', () => {
    expect(l.merged).toEqual({
      apiVersion: API_VERSION,
      role: 'registry',
      name: 'eu',
      ssh: { port: 2222, loginGraceTime: 30 },
      firewall: { trusted: ['203.0.113.0/24'], publicPorts: [80, 443] },
      postgres: { tune: { dbType: 'oltp', storage: 'ssd' } },
    });
  });

  it('replaces lists whole instead of merging them item by item', () => {
    expect(l.merged.firewall).toEqual({ trusted: ['203.0.113.0/24'], publicPorts: [80, 443] });
  });

  it('gives the origin of a value as the file and line that set it', () => {
    const table: Array<[at: Array<string | number>, file: string, line: number, column: number]> = [
      [['name'], leaf, 3, 7],
      [['ssh', 'port'], mid, 4, 9], // overridden in mid
      [['ssh', 'loginGraceTime'], root, 5, 19], // only in root
      [['postgres', 'tune', 'dbType'], mid, 7, 13],
      [['postgres', 'tune', 'storage'], root, 14, 14],
      [['role'], root, 2, 7],
      [['firewall', 'trusted'], leaf, 5, 12],
      [['firewall', 'trusted', 0], leaf, 5, 13], // the item of the list that won
      [['firewall', 'publicPorts', 1], root, 10, 21],
      // Written nowhere: the nearest written ancestor, most derived file first.
      [['ssh', 'maxAuthTries'], mid, 4, 3],
      [['postgres', 'tune', 'connections'], mid, 7, 5],
      [['tls', 'mode'], leaf, 1, 1],
    ];
    for (const [at, file, line, column] of table) expect({ at, ...originOf(l, at) }).toEqual({ at, file, line, column });
  });

  it("gives the key's position with prefer 'key', and the value's otherwise", () => {
    expect(originOf(l, ['ssh', 'port'], 'key')).toEqual({ file: mid, line: 4, column: 3 });
    expect(originOf(l, ['ssh', 'port'], 'value')).toEqual({ file: mid, line: 4, column: 9 });
    // A list item has no key: its value position either way.
    expect(originOf(l, ['firewall', 'trusted', 0], 'key')).toEqual({ file: leaf, line: 5, column: 13 });
    // A missing path falls back to the ancestor's value, not its key.
    expect(originOf(l, ['ssh', 'nope'], 'key')).toEqual({ file: mid, line: 4, column: 3 });
  });

  it('names base files relative to the working directory when they are under it', () => {
    const rel = path.relative(process.cwd(), FIXTURES);
    const r2 = loadProfile(path.join(rel, 'inherits-bad-base.yaml'));
    expect(loaded(r2).chain.map((d) => d.file)).toEqual([
      path.join(rel, 'inherits-bad-base.yaml'),
      path.join(rel, 'base/bad-trusted.yaml'),
      path.join(rel, 'base/clean.yaml'),
    ]);
    expect(originOf(r2.loaded!, ['firewall', 'trusted', 1])).toEqual({ file: path.join(rel, 'base/bad-trusted.yaml'), line: 7, column: 7 });
    expect(originOf(r2.loaded!, ['host', 'fqdn'])).toEqual({ file: path.join(rel, 'base/clean.yaml'), line: 5, column: 9 });
  });

  it('loads a profile without extends as a chain of one', () => {
    const d = tree({ 'p.yaml': 'apiVersion: cocca-bake/v1\nname: solo\n' });
    const l1 = loaded(loadProfile(path.join(d, 'p.yaml')));
    expect(l1.chain).toHaveLength(1);
    expect(l1.merged).toEqual({ apiVersion: API_VERSION, name: 'solo' });
  });

  it('lets a derived file replace a map with a scalar, and a scalar with a map', () => {
    const d = tree({
      'base.yaml': 'apiVersion: cocca-bake/v1\nssh: {port: 22}\ntls: lab\n',
      'leaf.yaml': 'apiVersion: cocca-bake/v1\nextends: base.yaml\nssh: off\ntls: {mode: lab}\n',
    });
    expect(loaded(loadProfile(path.join(d, 'leaf.yaml'))).merged).toEqual({ apiVersion: API_VERSION, ssh: 'off', tls: { mode: 'lab' } });
  });
});

describe('extends errors', () => {
  // shown: whether the file the finding names is a profile, whose lines may be printed under it.
  type Row = [name: string, files: Record<string, string>, leaf: string, file: string, line: number, column: number, path: string, message: string, hint: string | undefined, shown?: boolean];
  const cycleHint = 'a profile may extend a chain of bases, but no file may appear twice in it';
  const relHint = '`extends` is a path relative to the file that names it';
  const apiHint = 'every profile file, bases too, starts with `apiVersion: cocca-bake/v1`';
  const table: Row[] = [
    [
      'a → b → a is a cycle, reported at the extends that closes it',
      { 'a.yaml': 'apiVersion: cocca-bake/v1\nextends: b.yaml\nname: a\n', 'b.yaml': '# b\napiVersion: cocca-bake/v1\nextends: a.yaml\n' },
      'a.yaml',
      'b.yaml',
      3,
      10,
      'extends',
      'extends makes a cycle: {}/a.yaml -> {}/b.yaml -> {}/a.yaml',
      cycleHint,
    ],
    [
      'a cycle through another directory',
      { 'a.yaml': 'apiVersion: cocca-bake/v1\nextends: sub/b.yaml\n', 'sub/b.yaml': 'apiVersion: cocca-bake/v1\nextends:   ../a.yaml\n' },
      'a.yaml',
      'sub/b.yaml',
      2,
      12,
      'extends',
      'extends makes a cycle: {}/a.yaml -> {}/sub/b.yaml -> {}/a.yaml',
      cycleHint,
    ],
    [
      'a file extending itself',
      { 'self.yaml': '# me\napiVersion: cocca-bake/v1\nextends: ./self.yaml\n' },
      'self.yaml',
      'self.yaml',
      3,
      10,
      'extends',
      'extends makes a cycle: {}/self.yaml -> {}/self.yaml',
      cycleHint,
    ],
    [
      'a missing extends file, at the extends line',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nname: p\nextends: base/nope.yaml\n' },
      'p.yaml',
      'p.yaml',
      3,
      10,
      'extends',
      'cannot read "{}/base/nope.yaml": no such file',
      relHint,
    ],
    [
      'a missing file further down the chain, at the base that names it',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: b/mid.yaml\n', 'b/mid.yaml': 'apiVersion: cocca-bake/v1\n\nextends: gone.yaml\n' },
      'p.yaml',
      'b/mid.yaml',
      3,
      10,
      'extends',
      'cannot read "{}/b/gone.yaml": no such file',
      relHint,
    ],
    [
      'an absolute extends',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: /etc/hostname\n' },
      'p.yaml',
      'p.yaml',
      2,
      10,
      'extends',
      'extends must be a relative path, so profiles can move together',
      'write it relative to {}/p.yaml',
    ],
    [
      'extends that is not a string',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: [a.yaml]\n' },
      'p.yaml',
      'p.yaml',
      2,
      10,
      'extends',
      'extends must be a relative file path',
      'e.g. extends: base/registry.yaml',
    ],
    [
      'an empty extends, at its key',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends:\n' },
      'p.yaml',
      'p.yaml',
      2,
      1,
      'extends',
      'extends must be a relative file path',
      'e.g. extends: base/registry.yaml',
    ],
    [
      'a base that is a list, not a mapping',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: seq.yaml\n', 'seq.yaml': '- a\n- b\n' },
      'p.yaml',
      'seq.yaml',
      1,
      1,
      '',
      'a profile is a YAML mapping (key: value lines)',
      'start from profiles/af-south-1.yaml',
      false,
    ],
    [
      'a YAML syntax error in a base, in the base file',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: syn.yaml\n', 'syn.yaml': 'apiVersion: cocca-bake/v1\nssh:\n  port: 22\n port: 23\n' },
      'p.yaml',
      'syn.yaml',
      4,
      2,
      '',
      'YAML syntax: bad indentation of a mapping entry',
      'fix the YAML syntax first; nothing else was checked in this file',
      false,
    ],
    [
      'several documents in a base',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: two.yaml\n', 'two.yaml': 'apiVersion: cocca-bake/v1\n---\nname: x\n' },
      'p.yaml',
      'two.yaml',
      2,
      1,
      '',
      'a profile is one YAML document, this file holds several',
      'this line starts a second document; remove it, or move the second document to a file of its own',
      false,
    ],
    [
      'apiVersion missing in a base',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: b.yaml\n', 'b.yaml': '# base\nname: x\n' },
      'p.yaml',
      'b.yaml',
      1,
      1,
      'apiVersion',
      'apiVersion is missing',
      apiHint,
      false,
    ],
    [
      'a wrong apiVersion in a base, at its value',
      { 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: b.yaml\n', 'b.yaml': '# base\napiVersion:  cocca-bake/v2\n' },
      'p.yaml',
      'b.yaml',
      2,
      14,
      'apiVersion',
      'unknown apiVersion "cocca-bake/v2"',
      apiHint,
      false,
    ],
    [
      'apiVersion missing in the leaf',
      { 'p.yaml': 'name: p\n' },
      'p.yaml',
      'p.yaml',
      1,
      1,
      'apiVersion',
      'apiVersion is missing',
      apiHint,
      false,
    ],
  ];

  it.each(table)('%s', (_name, files, leafRel, fileRel, line, column, at, message, hint, shown = true) => {
    const dir = tree(files);
    const r = loadProfile(path.join(dir, leafRel));
    const f = r.findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toEqual({
      file: path.join(dir, fileRel),
      line,
      column,
      severity: 'error',
      path: at,
      message: message.replaceAll('{}', dir),
      ...(hint === undefined ? {} : { hint: hint.replaceAll('{}', dir) }),
    });
    // A file is a source (its lines printed under findings) only once it is known to be a profile.
    expect(r.sources.has(path.join(dir, fileRel))).toBe(shown);
  });

  it('stops at a chain error without a merged profile', () => {
    const dir = tree({ 'a.yaml': 'apiVersion: cocca-bake/v1\nextends: a.yaml\n' });
    expect(loadProfile(path.join(dir, 'a.yaml')).loaded).toBeUndefined();
  });

  it('stops at a file that is not a profile: nothing of it is merged, shown or followed', () => {
    const dir = tree({
      'p.yaml': 'apiVersion: cocca-bake/v1\nextends: sub/noapi.yaml\n',
      'sub/noapi.yaml': 'name: x\nextends: deeper/wrong.yaml\n',
      'sub/deeper/wrong.yaml': 'apiVersion: cocca-bake/v2\n',
    });
    const r = loadProfile(path.join(dir, 'p.yaml'));
    expect(r.findings.map((f) => [path.relative(dir, f.file), f.line, f.column, f.path, f.message])).toEqual([['sub/noapi.yaml', 1, 1, 'apiVersion', 'apiVersion is missing']]);
    expect(r.loaded).toBeUndefined();
    expect([...r.sources.keys()]).toEqual([path.join(dir, 'p.yaml')]);
  });

  it('reports an unreadable leaf as the file named on the command line, at 1:1', () => {
    const r = loadProfile('no/such/profile.yaml');
    expect(r.loaded).toBeUndefined();
    expect(r.findings).toEqual([
      { file: 'no/such/profile.yaml', line: 1, column: 1, severity: 'error', path: '', message: 'cannot read profile: no such file', hint: 'give the path of a profile file, e.g. profiles/af-south-1.yaml' },
    ]);
  });

  it('reports a leaf that is a scalar, not a mapping', () => {
    const dir = tree({ 'p.yaml': 'just text\n' });
    expect(loadProfile(path.join(dir, 'p.yaml')).findings).toEqual([
      { file: path.join(dir, 'p.yaml'), line: 1, column: 1, severity: 'error', path: '', message: 'a profile is a YAML mapping (key: value lines)', hint: 'start from profiles/af-south-1.yaml' },
    ]);
  });
});

describe('what loadProfile reads, and what it keeps', () => {
  const chainOf = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}.yaml`, `apiVersion: cocca-bake/v1\n${i < n - 1 ? `extends: c${i + 1}.yaml\n` : ''}name: c${i}\n`]));

  it(`follows a chain of ${MAX_EXTENDS_CHAIN} files and refuses a longer one at the extends that would go past it`, () => {
    const ok = tree(chainOf(MAX_EXTENDS_CHAIN));
    expect(loaded(loadProfile(path.join(ok, 'c0.yaml'))).chain).toHaveLength(MAX_EXTENDS_CHAIN);
    const long = tree(chainOf(MAX_EXTENDS_CHAIN + 1));
    const r = loadProfile(path.join(long, 'c0.yaml'));
    expect(r.loaded).toBeUndefined();
    expect(r.findings).toEqual([
      { file: path.join(long, `c${MAX_EXTENDS_CHAIN - 1}.yaml`), line: 2, column: 10, severity: 'error', path: 'extends', message: 'the extends chain is longer than 8 files', hint: 'a base, a region and a role need three; merge some bases' },
    ]);
  });

  it('keeps the lines of profiles only: a base that is not one is named, not shown', () => {
    const dir = tree({ 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: ci/secrets.yaml\n', 'ci/secrets.yaml': 'token: s3cr3t\n' });
    const r = loadProfile(path.join(dir, 'p.yaml'));
    expect(r.findings.map((f) => [path.relative(dir, f.file), f.line, f.column, f.message])).toEqual([['ci/secrets.yaml', 1, 1, 'apiVersion is missing']]);
    expect([...r.sources.keys()]).toEqual([path.join(dir, 'p.yaml')]);
    expect([...r.sources.values()].join('')).not.toContain('s3cr3t');
  });

  it('does not repeat an apiVersion that is not plainly ours', () => {
    const dir = tree({ 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: k.yaml\n', 'k.yaml': 'apiVersion: v1\nkind: Config\n' });
    expect(loadProfile(path.join(dir, 'p.yaml')).findings.map((f) => f.message)).toEqual(['apiVersion is not cocca-bake/v1: this is not a cocca-bake profile (its content is not shown)']);
  });

  it('confines extends to --root when given, and the profile itself too', () => {
    const dir = tree({ 'shared/b.yaml': 'apiVersion: cocca-bake/v1\nname: b\n', 'profiles/p.yaml': 'apiVersion: cocca-bake/v1\nextends: ../shared/b.yaml\n' });
    const leaf = path.join(dir, 'profiles/p.yaml');
    expect(loaded(loadProfile(leaf)).root).toEqual({ dir, real: dir, how: 'marker' });
    const narrow = loadProfile(leaf, { root: path.join(dir, 'profiles') });
    expect(narrow.findings.map((f) => [path.relative(dir, f.file), f.line, f.column, f.message])).toEqual([
      ['profiles/p.yaml', 2, 10, `cannot read "${path.join(dir, 'shared/b.yaml')}": it is outside the repository root ${path.join(dir, 'profiles')} (--root)`],
    ]);
    const elsewhere = loadProfile(leaf, { root: path.join(dir, 'shared') });
    expect(elsewhere.findings.map((f) => [f.line, f.column, f.message])).toEqual([[1, 1, `cannot read profile: it is outside the repository root ${path.join(dir, 'shared')} (--root)`]]);
    expect(loadProfile(leaf, { root: path.join(dir, 'nope') }).findings.map((f) => f.message)).toEqual([`--root ${path.join(dir, 'nope')}: not a directory`]);
  });

  it('follows a symlinked base that stays inside the root, named as written', () => {
    const dir = tree({ 'real/b.yaml': 'apiVersion: cocca-bake/v1\nname: b\n', 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: link.yaml\n' });
    symlinkSync('real/b.yaml', path.join(dir, 'link.yaml'));
    const l = loaded(loadProfile(path.join(dir, 'p.yaml')));
    expect(l.merged.name).toBe('b');
    expect(originOf(l, ['name']).file).toBe(path.join(dir, 'link.yaml'));
  });

  it('reports bytes that are not UTF-8 at their line and column, as the file\'s problem', () => {
    const dir = tree({});
    writeFileSync(path.join(dir, 'p.yaml'), Buffer.concat([Buffer.from('apiVersion: cocca-bake/v1\nname: a'), Buffer.from([0xff]), Buffer.from('\n')]));
    expect(loadProfile(path.join(dir, 'p.yaml')).findings).toEqual([
      { file: path.join(dir, 'p.yaml'), line: 2, column: 8, severity: 'error', path: '', message: 'the file is not UTF-8 text: an invalid byte sequence starts here', hint: 'a profile is UTF-8 text' },
    ]);
  });

  it('merges keys named like Object.prototype members as own keys, and never through the prototype', () => {
    const dir = tree({
      'b.yaml': 'apiVersion: cocca-bake/v1\nconstructor: {a: 1}\nssh: {toString: x}\n',
      'p.yaml': 'apiVersion: cocca-bake/v1\nextends: b.yaml\nconstructor: {b: 2}\nhasOwnProperty: 3\n',
    });
    const m = loaded(loadProfile(path.join(dir, 'p.yaml'))).merged;
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(Object.keys(m)).toEqual(['apiVersion', 'constructor', 'ssh', 'hasOwnProperty']);
    expect(m.constructor).toEqual({ a: 1, b: 2 });
    expect(m.ssh).toEqual({ toString: 'x' });
    expect(({} as Record<string, unknown>).b).toBeUndefined(); // nothing reached Object.prototype
  });

  it('refuses __proto__ in a base at its position, before anything is merged', () => {
    const dir = tree({ 'b.yaml': 'apiVersion: cocca-bake/v1\nssh:\n  __proto__: {polluted: 1}\n', 'p.yaml': 'apiVersion: cocca-bake/v1\nextends: b.yaml\n' });
    const r = loadProfile(path.join(dir, 'p.yaml'));
    expect(r.findings.map((f) => [path.relative(dir, f.file), f.line, f.column, f.message])).toEqual([['b.yaml', 3, 3, 'the key __proto__ is not allowed']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
