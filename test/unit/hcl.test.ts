import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { afterAll, describe, expect, it } from 'vitest';
import { attr, block, expr, goTemplate, goTemplateProblem, quote, renderHcl, type HclBody } from '../../generator/emit/hcl.js';

/** Strings a profile could plausibly (or maliciously) contain. */
const HOSTILE: string[] = [
  '',
  'say "hi"',
  'back\\slash and C:\\path\\',
  'line1\nline2\r\nline3\r',
  'tab\there',
  '${env("HOME")}',
  '%{ if true }yes%{ endif }',
  '$${already escaped} %%{ also }',
  '$$${triple}',
  '$', '%', '$$', 'ends with $', '${', '%{', '~}',
  // Go-template delimiters: quote() refuses `{{` (see its tests); a lone `}}` or spaced
  // braces are plain text to Go's text/template too.
  '}} { { }',
  '# not a comment // nor this /* nor */',
  '<<EOF\nnot a heredoc\nEOF',
  'unicode: é ü ß 中文 Ω ﬁ',
  'emoji: 🦀🔥👩‍👩‍👧',
  'controls: \u0000\u0001\u0007\b\f\v\u001b[31mred\u007f\u0085',
  'separators: \u2028\u2029 bom:\ufeff',
];

/**
 * @cdktf/hcl2json reports strings in Terraform-JSON form, where every string is a
 * template: a literal `${` / `%{` comes back as `$${` / `%%{`, while a real
 * interpolation comes back as `${...}`. So this is the exact text a correct
 * round trip must return (and an unescaped `${` would be visibly different).
 */
// (Function replacers: in a replacement *string*, `$$` would mean a single `$`.)
const asJsonTemplate = (s: string) => s.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');

function which(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  return r.error === undefined && r.status === 0;
}
const HAVE_PACKER = which('packer', ['version']);
const HAVE_NETNS = HAVE_PACKER && which('unshare', ['-n', 'true']);
const NO_PACKER = 'packer binary not found on PATH (needed to check output against Packer itself)';
const NO_NETNS = 'cannot run `unshare -n` here (needed so packer runs without network access)';

const tmpDirs: string[] = [];
function tmpFile(name: string, text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hcl-test-'));
  tmpDirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function packer(args: string[], cwd: string, input?: string) {
  const env = { ...process.env, CHECKPOINT_DISABLE: '1' };
  return spawnSync('unshare', ['-n', 'packer', ...args], { cwd, env, input, encoding: 'utf8' });
}

describe('quote', () => {
  it('escapes exactly the characters HCL needs', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quote('\n\r\t')).toBe('"\\n\\r\\t"');
    expect(quote('\u0000\u001b\u007f\u0085')).toBe('"\\u0000\\u001b\\u007f\\u0085"');
    expect(quote('é🦀')).toBe('"é🦀"');
  });

  it('neutralizes template sequences and only those', () => {
    expect(quote('${var.x}')).toBe('"$${var.x}"');
    expect(quote('%{ if x }')).toBe('"%%{ if x }"');
    expect(quote('$${x}')).toBe('"$$${x}"');
    expect(quote('$ $$ % %% {}')).toBe('"$ $$ % %% {}"');
  });

  it('refuses strings HCL cannot reproduce exactly', () => {
    expect(() => quote('e\u0301')).toThrow(/NFC/); // HCL would turn it into "é"
    expect(() => quote('\uD800x')).toThrow(/surrogate/);
  });

  it('refuses "{{", which Packer would evaluate as a Go template, and nothing else of the braces', () => {
    for (const s of ['{{', 'https://m.example/{{ env "HOME" }}.img', 'a{{b', '{{{', '}}{{']) expect(() => quote(s), s).toThrow(/Go template/);
    for (const s of ['}}', '{ {', '{', '}', '{}{}', 'a}}b{', '$${x}']) expect(() => quote(s), s).not.toThrow();
  });
});

describe('goTemplate: the deliberate Go templates', () => {
  const FIELDS = ['Name', 'SSHHostPort', 'HTTPIP', 'HTTPPort'];
  it.each([
    '{{ .SSHHostPort }}',
    '{{.Name}}',
    'user,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22',
    'http://{{ .HTTPIP }}:{{ .HTTPPort }}/',
    '}}{{ .Name }}}}',
    'no template at all',
  ])('takes %j', (t) => {
    expect(goTemplateProblem(t, FIELDS)).toBeUndefined();
    expect(renderHcl([attr('a', goTemplate(t, FIELDS))])).toBe(`a = ${JSON.stringify(t)}\n`);
  });
  it.each([
    ['{{ env "HOME" }}', /does not open a reference/],
    ['{{ vault "secret/x" "key" }}', /does not open a reference/],
    ['{{ aws_secretsmanager "prod" }}', /does not open a reference/],
    ['{{ .Name | upper }}', /does not open a reference/],
    ['{{- .Name }}', /does not open a reference/],
    ['{{/* a comment */}}', /does not open a reference/],
    ['{{{ .Name }}', /does not open a reference/],
    ['{{ .Name }}{{', /does not open a reference/],
    ['{{ .Nope }}', /none of Packer's values here/],
    ['{{ .OutputDir }}', /none of Packer's values here/],
  ] as const)('refuses %j', (t, why) => {
    expect(goTemplateProblem(t, FIELDS)).toMatch(why);
    expect(() => goTemplate(t, FIELDS)).toThrow(why);
  });
  it('keeps the HCL escaping: ${ and %{ stay literal around a template', async () => {
    const t = '${x} %{y} {{ .Name }} "q" \\';
    const json = await parse('x.pkr.hcl', renderHcl([attr('a', goTemplate(t, FIELDS))]));
    expect(json.a).toBe(asJsonTemplate(t));
  });
});

describe('renderHcl layout', () => {
  it('aligns = within runs of single-line attributes', () => {
    const text = renderHcl([
      block('variable', ['region'], [attr('type', expr('string')), attr('sensitive', true), attr('default', 'eu')]),
    ]);
    expect(text).toBe(
      'variable "region" {\n' +
        '  type      = string\n' +
        '  sensitive = true\n' +
        '  default   = "eu"\n' +
        '}\n',
    );
  });

  it('breaks runs at multi-line values and comments; separates blocks with blank lines', () => {
    const text = renderHcl([
      block('source', ['qemu', 'x'], [
        attr('a', 1),
        attr('bbb', -2.5),
        attr('qemuargs', [['-m', '1024'], ['-smp', '2']]),
        attr('cc', { k: 'v', 'not ident': false, true: 0, empty: {}, none: [] }),
        { comment: 'why\nbecause' },
        attr('dddd', 'x'),
        attr('e', 'y'),
        block('nested', [], [attr('k', 1)]),
        attr('after', expr('var.x')),
      ]),
      { comment: 'tail' },
      block('build', [], []),
    ]);
    expect(text).toBe(
      [
        'source "qemu" "x" {',
        '  a   = 1',
        '  bbb = -2.5',
        '  qemuargs = [',
        '    ["-m", "1024"],',
        '    ["-smp", "2"],',
        '  ]',
        '  cc = {',
        '    k           = "v"',
        '    "not ident" = false',
        '    "true"      = 0',
        '    empty       = {}',
        '    none        = []',
        '  }',
        '  # why',
        '  # because',
        '  dddd = "x"',
        '  e    = "y"',
        '',
        '  nested {',
        '    k = 1',
        '  }',
        '',
        '  after = var.x',
        '}',
        '',
        '# tail',
        'build {',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('puts long or non-scalar lists one item per line with trailing commas', () => {
    const long = Array.from({ length: 10 }, (_, i) => `item-number-${i}`);
    expect(renderHcl([attr('l', long)])).toBe(`l = [\n${long.map((s) => `  "${s}",\n`).join('')}]\n`);
    expect(renderHcl([attr('l', [{ a: 1 }])])).toBe('l = [\n  {\n    a = 1\n  },\n]\n');
  });

  it('keeps a map with an `expr` key a map; only expr() emits raw HCL', () => {
    expect(renderHcl([attr('m', { expr: 'var.x' }), attr('e', expr('var.x'))])).toBe(
      'm = {\n  expr = "var.x"\n}\ne = var.x\n',
    );
  });

  it('is deterministic and ends with exactly one newline', () => {
    const body: HclBody = [block('a', ['b'], [attr('x', [1, 'two', true])])];
    expect(renderHcl(body)).toBe(renderHcl(body));
    expect(renderHcl(body)).toMatch(/[^\n]\n$/);
  });

  it('rejects names that are not identifiers and unrepresentable numbers', () => {
    expect(() => renderHcl([attr('bad name', 1)])).toThrow(/attribute/);
    expect(() => renderHcl([block('bad"type', [], [])])).toThrow(/block type/);
    expect(() => renderHcl([attr('n', Number.NaN)])).toThrow(/number/);
    expect(() => expr('a\nb')).toThrow(/single line/);
  });
});

describe('round trip through HashiCorp HCL parser (@cdktf/hcl2json)', () => {
  it('returns hostile strings byte-identical as values, list items, keys and labels', async () => {
    const keys = Object.fromEntries(HOSTILE.map((s, i) => [s, i]));
    const text = renderHcl([
      ...HOSTILE.map((s, i) => attr(`s${i}`, s)),
      attr('list', HOSTILE),
      attr('keys', keys),
      ...HOSTILE.filter((s) => s !== '').map((s) => block('labelled', [s], [attr('v', 1)])),
    ]);
    const json = await parse('x.pkr.hcl', text);
    HOSTILE.forEach((s, i) => expect(json[`s${i}`]).toBe(asJsonTemplate(s)));
    expect(json.list).toEqual(HOSTILE.map(asJsonTemplate));
    expect(json.keys).toEqual(Object.fromEntries(HOSTILE.map((s, i) => [asJsonTemplate(s), i])));
    // Block labels are plain literals (no templates), so they come back unescaped
    // (as JSON object keys, which Go re-sorts; hence the sort).
    expect(Object.keys(json.labelled).sort()).toEqual(HOSTILE.filter((s) => s !== '').sort());
  });

  it('keeps structure: nested objects, lists, labelled blocks, expressions', async () => {
    const text = renderHcl([
      block('source', ['amazon-ebs', 'x'], [
        attr('region', expr('var.region')),
        attr('tags', { Name: 'n', 'a.b': [1, 2.5, false], deep: { list: [[1], []] } }),
        block('source_ami_filter', [], [attr('filters', { 'root-device-type': 'ebs' })]),
      ]),
    ]);
    expect(await parse('x.pkr.hcl', text)).toEqual({
      source: {
        'amazon-ebs': {
          x: [
            {
              region: '${var.region}',
              tags: { Name: 'n', 'a.b': [1, 2.5, false], deep: { list: [[1], []] } },
              source_ami_filter: [{ filters: { 'root-device-type': 'ebs' } }],
            },
          ],
        },
      },
    });
  });
});

/** A file shaped like what the Packer emitter will produce. */
function representativeFile(): string {
  return renderHcl([
    { comment: 'Generated by cocca-bake. Do not edit.' },
    block('variable', ['region'], [attr('type', expr('string')), attr('default', 'eu-west-1')]),
    block('variable', ['db_password'], [attr('type', expr('string')), attr('sensitive', true)]),
    block('source', ['qemu', 'x'], [
      attr('iso_url', 'https://example.invalid/ubuntu.iso'),
      attr('iso_checksum', 'none'),
      attr('memory', 2048),
      attr('headless', true),
      attr('qemuargs', [['-m', '2048M'], ['-smp', 'cpus=2'], ['-device', 'virtio-net,netdev=user.0']]),
      attr('boot_command', ['<esc><wait>', goTemplate('linux ds=nocloud;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/<enter>', ['HTTPIP', 'HTTPPort'])]),
    ]),
    block('source', ['amazon-ebs', 'x'], [
      attr('region', expr('var.region')),
      attr('instance_type', 't3.small'),
      attr('ssh_username', 'ubuntu'),
      attr('ami_name', expr('"cocca-${formatdate("YYYYMMDD", timestamp())}"')),
      block('source_ami_filter', [], [
        attr('filters', {
          name: 'ubuntu/images/*ubuntu-jammy-22.04-amd64-server-*',
          'root-device-type': 'ebs',
          'virtualization-type': 'hvm',
        }),
        attr('owners', ['099720109477']),
        attr('most_recent', true),
      ]),
      attr('tags', { Name: 'cocca', 'cocca:profile': 'x' }),
    ]),
    block('build', [], [
      attr('sources', ['source.qemu.x', 'source.amazon-ebs.x']),
      block('provisioner', ['shell'], [
        attr('environment_vars', [expr('"DB_PASSWORD=${var.db_password}"')]),
        attr('inline', HOSTILE),
      ]),
    ]),
  ]);
}

describe('Packer accepts the output', () => {
  it('`packer fmt -check` finds nothing to change', (ctx) => {
    ctx.skip(!HAVE_PACKER, NO_PACKER);
    const { dir, file } = tmpFile('x.pkr.hcl', representativeFile());
    const r = spawnSync('packer', ['fmt', '-check', '-diff', file], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // A null source needs no plugins or network; validate proves Packer's own
  // parser and decoder take every hostile string as a plain list element.
  const validatable = (): string =>
    renderHcl([
      block('source', ['null', 'n'], [attr('communicator', 'none')]),
      block('locals', [], [attr('hostile', HOSTILE)]),
      block('build', [], [
        attr('sources', ['source.null.n']),
        block('provisioner', ['shell-local'], [attr('inline', HOSTILE)]),
      ]),
    ]);

  it('`packer validate` (offline) accepts hostile strings in shell-local inline', (ctx) => {
    ctx.skip(!HAVE_PACKER, NO_PACKER);
    ctx.skip(!HAVE_NETNS, NO_NETNS);
    const { dir } = tmpFile('build.pkr.hcl', validatable());
    const r = packer(['validate', '.'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // Why quote() refuses "{{": Packer runs its builders' strings through Go templates. The
  // same qemu source validates with a plain iso_url and fails with a template in it.
  it('Packer 1.6 evaluates "{{" in a builder string such as iso_url', (ctx) => {
    ctx.skip(!HAVE_PACKER, NO_PACKER);
    ctx.skip(!HAVE_NETNS, NO_NETNS);
    const version = spawnSync('packer', ['version'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } }).stdout;
    ctx.skip(!/^Packer v1\.6\./.test(version), `the qemu builder is built into Packer 1.6 only (found ${version.trim()})`);
    const hcl = (url: string) =>
      renderHcl([
        block('source', ['qemu', 'q'], [attr('iso_url', url), attr('iso_checksum', `sha256:${'0'.repeat(64)}`), attr('disk_image', true), attr('communicator', 'none')]),
        block('build', [], [attr('sources', ['source.qemu.q'])]),
      ]);
    const plain = tmpFile('build.pkr.hcl', hcl('https://m.example/base.img'));
    const ok = packer(['validate', '.'], plain.dir);
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // Written past quote(), which refuses it.
    const templated = tmpFile('build.pkr.hcl', hcl('https://m.example/base.img').replace('base.img', '{{ nope }}.img'));
    const r = packer(['validate', '.'], templated.dir);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/iso_url.*template.*function "nope" not defined/s);
  });

  it('Packer evaluates each quoted string to exactly the input', (ctx) => {
    ctx.skip(!HAVE_PACKER, NO_PACKER);
    ctx.skip(!HAVE_NETNS, NO_NETNS);
    const { dir } = tmpFile('build.pkr.hcl', validatable());
    // packer console evaluates only the last line it reads, so ask once for all.
    const r = packer(['console', '.'], dir, 'jsonencode(local.hostile)\n');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(HOSTILE);
  });
});
