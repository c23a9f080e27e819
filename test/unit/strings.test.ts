// The check every profile string gets (generator/check/strings.ts), through checkProfile: one
// row per class of character or field, each with its neighbour that passes. Leaves extend
// test/fixtures/profiles/base/clean.yaml; a fragment starts on line 4 of the leaf.
import { describe, expect, it } from 'vitest';
import { lineProblem } from '../../generator/profile/characters.js';
import { checkFragment, expectFindings, PIN, type Fragment, type Want } from './profile-helpers.js';

const E = 'error' as const;

interface Row extends Fragment {
  name: string;
  want: Want[];
}

/** apt.sources without the pgdg warning: the fragment's own source is all there is to see. */
const aptSource = (line: string) => `postgres:\n  source: apt\napt:\n  sources:\n    - ${line}\n`;
const qemu = (lines: string) => `targets:\n  qemu:\n    baseImage: {url: "https://m.example/base.img", sha256: ${PIN}}\n${lines}`;
const kms = (id: string) => `targets:\n  aws:\n    region: eu-west-1\n    kmsKeyId: ${id}\n`;
const ONE_LINE = /one line of printable text/;

const table: Row[] = [
  // one line, printable
  {
    name: 'a newline in an apt.sources option, the next line starting with #',
    yaml: aptSource('"deb [arch=amd64\\n#] https://m.example/ubuntu jammy main"'),
    want: [[E, 'apt.sources[0]', 8, 7, '"deb [arch=amd64\\n#] https://m.example/ubuntu jammy main" holds a line break (U+000A) at character 16']],
  },
  { name: 'the same source on one line', yaml: aptSource('"deb [arch=amd64] https://m.example/ubuntu jammy main"'), want: [] },
  {
    name: 'a carriage return in tls.email',
    yaml: 'host: {fqdn: registry.nic.tld}\ntls:\n  mode: letsencrypt\n  email: "ops@nic.tld\\r"\n',
    want: [
      [E, 'tls.email', 7, 10, '"ops@nic.tld\\r" holds a line break (U+000D) at character 12'],
      [E, 'tls.email', 7, 10, '"ops@nic.tld\\r" is not a valid value here'],
    ],
  },
  {
    name: 'an escape sequence (ESC, C0) in an ssh key comment',
    yaml: 'ssh:\n  authorizedKeys:\n    - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops \\e[31mred"\n',
    want: [[E, 'ssh.authorizedKeys[0]', 6, 7, '"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops \\u001b[31mred" holds the control character U+001B at character 38']],
  },
  {
    name: 'a tab in an ssh key comment',
    yaml: 'ssh:\n  authorizedKeys:\n    - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops\\tlaptop"\n',
    want: [[E, 'ssh.authorizedKeys[0]', 6, 7, '"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops\\tlaptop" holds the control character U+0009 at character 37']],
  },
  { name: 'spaces in an ssh key comment', yaml: 'ssh:\n  authorizedKeys:\n    - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops on laptop"\n', want: [] },
  {
    name: 'DEL in an artifact URL',
    yaml: `artifacts:\n  war: {url: "https://m.example/ROOT\\x7f.war", sha256: ${PIN}}\n`,
    want: [[E, 'artifacts.war.url', 5, 14, '"https://m.example/ROOT\\u007f.war" holds the control character U+007F at character 23']],
  },
  {
    name: 'a C1 control (CSI) in a base image URL',
    yaml: qemu('').replace('base.img', 'a\\x9b2J.img'),
    want: [[E, 'targets.qemu.baseImage.url', 6, 22, '"https://m.example/a\\u009b2J.img" holds the control character U+009B at character 20']],
  },
  {
    name: 'NEL (U+0085), a line break to YAML 1.1, in resin.jvmArgs',
    yaml: 'resin:\n  jvmArgs: "-Da=1\\N-Db=2"\n',
    want: [[E, 'resin.jvmArgs', 5, 12, '"-Da=1\\u0085-Db=2" holds a line break (U+0085) at character 6']],
  },
  {
    name: 'a line separator (U+2028) in the description',
    yaml: 'description: "one\\Ltwo"\n',
    want: [[E, 'description', 4, 14, '"one\\u2028two" holds a line separator (U+2028) at character 4, a line break to some readers']],
  },
  { name: 'the description alone may span lines and hold tabs (it lands in no output)', yaml: 'description: |\n  one\n  \ttwo\n', want: [] },
  {
    name: 'the description holds no other control character',
    yaml: 'description: "bell\\a"\n',
    want: [[E, 'description', 4, 14, '"bell\\u0007" holds the control character U+0007 at character 5']],
  },
  {
    name: 'a lone surrogate in a KMS key id',
    yaml: kms('"\\ud800"'),
    want: [
      [E, 'targets.aws.kmsKeyId', 7, 15, '"\\ud800" holds an unpaired surrogate (U+D800) at character 1, which no UTF-8 file can hold'],
      [E, 'targets.aws.kmsKeyId', 7, 15, '"\\ud800" is not a valid value here'],
    ],
  },
  {
    name: 'a lone surrogate in a qemu argument',
    yaml: qemu('    qemuArgs:\n      - ["-name", "x\\udbff"]\n'),
    want: [[E, 'targets.qemu.qemuArgs[0][1]', 8, 19, '"x\\udbff" holds an unpaired surrogate (U+DBFF) at character 2, which no UTF-8 file can hold']],
  },
  { name: 'an astral character (a surrogate pair) is one character, and fine', yaml: 'description: "crab \\U0001F980"\n', want: [] },

  // values that reach HCL
  {
    name: 'a KMS key id not in NFC (e + combining acute)',
    yaml: kms('"alias/caf\\u0065\\u0301"'),
    want: [
      [E, 'targets.aws.kmsKeyId', 7, 15, /is not a valid value here$/],
      [E, 'targets.aws.kmsKeyId', 7, 15, '"alias/cafe\\u0301" is not in Unicode NFC: Packer\'s HCL would change it to "alias/caf\\u00e9"'],
    ],
  },
  { name: 'a KMS key id in one of the forms Packer takes', yaml: kms('arn:aws:kms:eu-west-1:123456789012:alias/cocca-ami'), want: [] },
  { name: 'NFC is only asked where HCL normalizes: the description', yaml: 'description: "caf\\u0065\\u0301"\n', want: [] },
  { name: 'a base image URL in NFC', yaml: qemu('').replace('base.img', '\\u00e1.img'), want: [] },
  {
    name: 'a base image URL not in NFC',
    yaml: qemu('').replace('base.img', 'a\\u0301.img'),
    want: [[E, 'targets.qemu.baseImage.url', 6, 22, '"https://m.example/a\\u0301.img" is not in Unicode NFC: Packer\'s HCL would change it to "https://m.example/\\u00e1.img"']],
  },
  {
    name: '{{ in a base image URL, which Packer evaluates as iso_url',
    yaml: qemu('').replace('base.img', '{{uuid}}.img'),
    want: [[E, 'targets.qemu.baseImage.url', 6, 22, /^"https:\/\/m\.example\/\{\{uuid\}\}\.img" holds "\{\{", which Packer evaluates as a Go template/]],
  },
  {
    name: '{{ in a KMS key id',
    yaml: kms('"alias/{{ env `AWS_SECRET_ACCESS_KEY` }}"'),
    want: [
      [E, 'targets.aws.kmsKeyId', 7, 15, /holds "\{\{", which Packer evaluates as a Go template/],
      [E, 'targets.aws.kmsKeyId', 7, 15, /is not a valid value here$/],
    ],
  },
  { name: 'a lone }} is plain text to Go templates', yaml: qemu('').replace('base.img', 'a}}b.img'), want: [] },
  { name: '{{ where nothing evaluates it: the description', yaml: 'description: "{{ not a template here }}"\n', want: [] },
  {
    name: 'qemuArgs naming the forwarded ssh port',
    yaml: qemu('    qemuArgs:\n      - ["-netdev", "user,id=user.0,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"]\n'),
    want: [],
  },
  {
    name: 'qemuArgs calling a Packer template function',
    yaml: qemu('    qemuArgs:\n      - ["-name", "{{ vault \\"secret/x\\" \\"k\\" }}"]\n'),
    want: [[E, 'targets.qemu.qemuArgs[0][1]', 8, 19, /holds "\{\{" that does not open a reference like \{\{ \.SSHHostPort \}\}/]],
  },
  {
    name: 'qemuArgs naming a value Packer does not give qemuargs',
    yaml: qemu('    qemuArgs:\n      - ["-name", "{{ .BuildName }}"]\n'),
    want: [[E, 'targets.qemu.qemuArgs[0][1]', 8, 19, /holds \{\{ \.BuildName \}\}, which is none of Packer's values here/]],
  },

  // resin.jvmArgs
  { name: 'resin.jvmArgs with EL ${...}', yaml: 'resin:\n  jvmArgs: "-Dx=${resin.home}"\n', want: [[E, 'resin.jvmArgs', 5, 12, /must not contain "\$\{" or "#\{" \(Resin would evaluate it as an EL expression\)/]] },
  { name: 'resin.jvmArgs with EL #{...}', yaml: 'resin:\n  jvmArgs: "-Dx=#{1+1}"\n', want: [[E, 'resin.jvmArgs', 5, 12, /must not contain "\$\{" or "#\{"/]] },
  { name: 'resin.jvmArgs with a placeholder', yaml: 'resin:\n  jvmArgs: "-Dx=@@DB_PASSWORD@@"\n', want: [[E, 'resin.jvmArgs', 5, 12, /must not contain "@@" \(the first-boot placeholder marker\)/]] },
  { name: 'resin.jvmArgs with U+FFFE', yaml: 'resin:\n  jvmArgs: "-Dx=\\uFFFE"\n', want: [[E, 'resin.jvmArgs', 5, 12, /contains characters XML cannot hold/]] },
  { name: 'resin.jvmArgs with $, #, braces, quotes and <&> apart', yaml: 'resin:\n  jvmArgs: "-Dx=$HOME -Dy=#z -Dz={a} -Dq=\'\\"<&>\' -Da=@"\n', want: [] },
];

describe('profile strings through checkProfile', () => {
  it.each(table)('$name', (row) => {
    const r = checkFragment(row);
    expectFindings(r.findings, r.dir, row.want);
    expect(r.profile === undefined).toBe(row.want.length > 0);
  });

  it('gives the one-line hint', () => {
    const r = checkFragment({ yaml: 'description: "bell\\a"\n' });
    expect(r.findings[0]?.hint).toMatch(ONE_LINE);
  });

  it('does not stop the schema or the rules: each problem is reported', () => {
    const r = checkFragment({ yaml: 'host:\n  fqdn: registry\nresin:\n  jvmArgs: "a\\nb"\n' });
    expectFindings(r.findings, r.dir, [
      [E, 'host.fqdn', 5, 9, '"registry" is not fully qualified: it needs a domain, e.g. registry.nic.example'],
      [E, 'resin.jvmArgs', 7, 12, '"a\\nb" holds a line break (U+000A) at character 2'],
    ]);
    const s = checkFragment({ yaml: 'ssh:\n  port: 70000\nresin:\n  jvmArgs: "a\\nb"\n' });
    expect(s.findings.map((f) => f.path)).toEqual(['ssh.port', 'resin.jvmArgs']);
  });
});

describe('the first-boot user-data fits EC2 (what render refuses, validate refuses)', () => {
  const keys = (n: number) => `ssh:\n  authorizedKeys:\n${Array.from({ length: n }, (_, i) => `    - ssh-rsa ${'A'.repeat(700)}${i} k${i}\n`).join('')}`;
  const ssm = 'secrets:\n  source: aws-ssm\n  parameterPath: /cocca/t/\n';

  it('refuses keys that push it over 16 KiB, at ssh.authorizedKeys', () => {
    const r = checkFragment({ yaml: ssm + keys(24) });
    expectFindings(r.findings, r.dir, [[E, 'ssh.authorizedKeys', 9, 5, /^the first-boot user-data would be 1[67]\d{3} bytes: over EC2's 16384-byte limit$/]]);
    expect(r.profile).toBeUndefined();
  });
  it('takes the same keys when they fit', () => {
    const r = checkFragment({ yaml: ssm + keys(18) });
    expectFindings(r.findings, r.dir, []);
  });
  it('takes them when render writes no user-data (secrets from user-data: made per instance)', () => {
    const r = checkFragment({ yaml: keys(24) });
    expectFindings(r.findings, r.dir, []);
  });
});

describe('lineProblem', () => {
  it.each([
    ['plain text, é, 中文, 🦀', undefined],
    ['', undefined],
    ['a\nb', 'holds a line break (U+000A) at character 2'],
    ['a\r', 'holds a line break (U+000D) at character 2'],
    ['\u0000', 'holds the control character U+0000 at character 1'],
    ['🦀\u0001', 'holds the control character U+0001 at character 2'],
    ['\u2029', 'holds a paragraph separator (U+2029) at character 1, a line break to some readers'],
    ['x\udc00', 'holds an unpaired surrogate (U+DC00) at character 2, which no UTF-8 file can hold'],
  ])('%j: %s', (value, want) => {
    expect(lineProblem(value)).toBe(want);
  });
  it('lets multi-line text hold LF and TAB, nothing else', () => {
    expect(lineProblem('a\n\tb', true)).toBeUndefined();
    expect(lineProblem('a\r\nb', true)).toBe('holds a line break (U+000D) at character 2');
  });
});
