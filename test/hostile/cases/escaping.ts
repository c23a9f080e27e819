// Values aimed at the escaping layer: line breaks and control characters in single-line fields,
// what Resin evaluates in resin.xml, what Packer evaluates in HCL, text HCL would change; and
// values that look dangerous but every output carries as written (validate accepts, render
// writes). A case's YAML starts on line 4 of profiles/p.yaml.
import type { HostileCase } from '../harness.js';

const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const at = (line: number, column: number, rest: string) => `profiles/p.yaml:${line}:${column}: error: ${rest}`;
const jvm = (value: string) => `resin:\n  jvmArgs: ${value}\n`;
const kms = (value: string) => `targets:\n  aws:\n    region: eu-west-1\n    kmsKeyId: ${value}\n`;
const qemu = (url: string, args = '') => `targets:\n  qemu:\n    baseImage: {url: ${url}, sha256: ${PIN}}\n${args}`;
const aptSource = (value: string) => `postgres:\n  source: apt\napt:\n  sources:\n    - ${value}\n`;

export const cases: HostileCase[] = [
  // resin.jvmArgs reaches resin.xml, where Resin evaluates EL and first boot fills @@NAME@@
  {
    name: 'resin.jvmArgs with a newline',
    yaml: jvm('"-Da=1\\n-Db=2"'),
    exit: 1,
    stderr: [at(5, 12, 'resin.jvmArgs: "-Da=1\\n-Db=2" holds a line break (U+000A) at character 6')],
  },
  {
    name: 'resin.jvmArgs with EL ${...}',
    yaml: jvm('"-Dcocca.home=${resin.home}"'),
    exit: 1,
    stderr: [at(5, 12, 'resin.jvmArgs: "-Dcocca.home=${resin.home}" must not contain "${" or "#{" (Resin would evaluate it as an EL expression)')],
  },
  {
    name: 'resin.jvmArgs with deferred EL #{...}',
    yaml: jvm('"-Dx=#{java.lang.Runtime}"'),
    exit: 1,
    stderr: [at(5, 12, 'resin.jvmArgs: "-Dx=#{java.lang.Runtime}" must not contain "${" or "#{"')],
  },
  {
    name: 'resin.jvmArgs with a first-boot placeholder (would receive the database password)',
    yaml: jvm('"-Dleak=@@DB_PASSWORD@@"'),
    exit: 1,
    stderr: [at(5, 12, 'resin.jvmArgs: "-Dleak=@@DB_PASSWORD@@" must not contain "@@" (the first-boot placeholder marker)')],
  },
  {
    name: 'resin.jvmArgs with a line separator (U+2028)',
    yaml: jvm('"-Da=1\\L-Db=2"'),
    exit: 1,
    stderr: [at(5, 12, 'resin.jvmArgs: "-Da=1\\u2028-Db=2" holds a line separator (U+2028) at character 6, a line break to some readers')],
  },
  {
    name: 'resin.jvmArgs with an unpaired low surrogate',
    yaml: jvm('"-Dx=\\udc00"'),
    exit: 1,
    stderr: [at(5, 12, 'resin.jvmArgs: "-Dx=\\udc00" holds an unpaired surrogate (U+DC00) at character 5, which no UTF-8 file can hold')],
  },
  {
    name: 'resin.jvmArgs with quotes, <, & and a lone $ renders as text',
    yaml: jvm('"-Dq=\'x\\"y\' -Dm=a<b&c -Dd=$HOME -Dh=#1"'),
    exit: 0,
  },

  // apt.sources reach a root bake script as a quoted word
  {
    name: 'an apt.sources option with a newline, the next line a # comment holding the closing quote',
    yaml: aptSource('"deb [arch=amd64\\n# signed-by=/x] https://m.example/ubuntu jammy main\'; touch /tmp/pwned; \'"'),
    exit: 1,
    stderr: [at(8, 7, 'apt.sources[0]: "deb [arch=amd64\\n# signed-by=/x] https://m.example/ubuntu jam"… holds a line break (U+000A) at character 16')],
  },
  {
    name: 'an apt.sources line with quotes and a command substitution stays one word',
    yaml: aptSource('"deb [arch=amd64] https://m.example/ubuntu\'$(touch${IFS}/tmp/pwned)\' jammy main"'),
    exit: 0,
  },

  // values that reach the Packer HCL
  {
    name: 'a KMS key id not in NFC (the HCL writer crashed)',
    yaml: kms('"alias/caf\\u0065\\u0301"'),
    exit: 1,
    stderr: [at(7, 15, 'targets.aws.kmsKeyId: "alias/cafe\\u0301" is not in Unicode NFC: Packer\'s HCL would change it to "alias/caf\\u00e9"')],
  },
  {
    name: 'a KMS key id holding a lone surrogate escape "\\ud800" (the HCL writer crashed)',
    yaml: kms('"alias/x\\ud800"'),
    exit: 1,
    stderr: [at(7, 15, 'targets.aws.kmsKeyId: "alias/x\\ud800" holds an unpaired surrogate (U+D800) at character 8, which no UTF-8 file can hold')],
  },
  {
    name: 'a KMS key id calling a Packer template function on the build machine',
    yaml: kms('"alias/{{ env `AWS_SECRET_ACCESS_KEY` }}"'),
    exit: 1,
    stderr: [at(7, 15, 'targets.aws.kmsKeyId: "alias/{{ env `AWS_SECRET_ACCESS_KEY` }}" holds "{{", which Packer evaluates as a Go template')],
  },
  {
    name: 'a KMS key id with a C1 control character (CSI)',
    yaml: kms('"alias/cocca\\x9b2J"'),
    exit: 1,
    stderr: [at(7, 15, 'targets.aws.kmsKeyId: "alias/cocca\\u009b2J" holds the control character U+009B at character 12')],
  },
  {
    name: '{{ in the base image URL, which Packer 1.6.6 evaluates as iso_url',
    yaml: qemu('"https://m.example/{{uuid}}.img"'),
    exit: 1,
    stderr: [at(6, 22, 'targets.qemu.baseImage.url: "https://m.example/{{uuid}}.img" holds "{{", which Packer evaluates as a Go template')],
  },
  {
    name: 'qemuArgs reading a Vault secret through a Packer template',
    yaml: qemu('"https://m.example/base.img"', '    qemuArgs:\n      - ["-name", "{{ vault `secret/cocca` `key` }}"]\n'),
    exit: 1,
    stderr: [at(8, 19, 'targets.qemu.qemuArgs[0][1]: "{{ vault `secret/cocca` `key` }}" holds "{{" that does not open a reference like {{ .SSHHostPort }}: Packer evaluates it as a Go template')],
  },
  {
    name: "qemuArgs naming a value the qemu builder does not give",
    yaml: qemu('"https://m.example/base.img"', '    qemuArgs:\n      - ["-name", "{{ .Nope }}"]\n'),
    exit: 1,
    stderr: [at(8, 19, "targets.qemu.qemuArgs[0][1]: \"{{ .Nope }}\" holds {{ .Nope }}, which is none of Packer's values here")],
  },
  {
    name: 'qemuArgs with the forwarded ssh port (a deliberate template) renders',
    yaml: qemu('"https://m.example/base.img"', '    qemuArgs:\n      - ["-netdev", "user,id=user.0,restrict=on,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"]\n'),
    exit: 0,
  },
  {
    name: 'qemuArgs not in NFC',
    yaml: qemu('"https://m.example/base.img"', '    qemuArgs:\n      - ["-name", "n\\u0303"]\n'),
    exit: 1,
    stderr: [at(8, 19, 'targets.qemu.qemuArgs[0][1]: "n\\u0303" is not in Unicode NFC: Packer\'s HCL would change it to "\\u00f1"')],
  },
  {
    name: 'HCL sequences ${ and %{ and a lone }} in the base image URL render as text',
    yaml: qemu('"https://m.example/${x}-%{y}-}}.img"'),
    exit: 0,
  },
  {
    name: 'a KMS key id in no form Packer takes',
    yaml: kms('"my key"'),
    exit: 1,
    stderr: [at(7, 15, 'targets.aws.kmsKeyId: "my key" is not a valid value here')],
  },

  // other fields: one line of printable text everywhere
  {
    name: 'host.fqdn with a newline and a second NAME=value line for first boot',
    yaml: 'host:\n  fqdn: "registry.nic.example\\nSECRETS_SOURCE=user-data"\n',
    exit: 1,
    stderr: [at(5, 9, 'host.fqdn: "registry.nic.example\\nSECRETS_SOURCE=user-data" holds a line break (U+000A) at character 21')],
  },
  {
    name: 'an escape sequence in an ssh key comment',
    yaml: 'ssh:\n  authorizedKeys:\n    - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops \\e]0;owned\\a"\n',
    exit: 1,
    stderr: [at(6, 7, 'ssh.authorizedKeys[0]: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops \\u001b]0;owned\\u0007" holds the control character U+001B at character 38')],
  },
  {
    name: "a carriage return at the end of the Let's Encrypt e-mail",
    yaml: 'tls:\n  mode: letsencrypt\n  email: "ops@nic.example\\r"\n',
    exit: 1,
    stderr: [at(6, 10, 'tls.email: "ops@nic.example\\r" holds a line break (U+000D) at character 16')],
  },
  {
    name: 'DEL in an artifact URL',
    yaml: `artifacts:\n  war: {url: "https://m.example/ROOT\\x7f.war", sha256: ${PIN}}\n`,
    exit: 1,
    stderr: [at(5, 14, 'artifacts.war.url: "https://m.example/ROOT\\u007f.war" holds the control character U+007F at character 23')],
  },
  {
    name: 'terminal escapes in a comment on the line of an error are not echoed raw',
    yaml: 'ssh:\n  port: 0 # \x1b[2J\x1b]0;owned\x07\n',
    exit: 1,
    stderr: [at(5, 9, 'ssh.port: 0 is out of range'), ' 5 |   port: 0 # \\u001b[2J\\u001b]0;owned\\u0007\n   |         ^\n'],
    never: ['\x1b', '\x07'],
  },
  {
    name: 'a NUL in a firewall source',
    yaml: 'firewall:\n  trusted: ["198.51.100.0/24\\0"]\n',
    exit: 1,
    stderr: [at(5, 13, 'firewall.trusted[0]: "198.51.100.0/24\\u0000" holds the control character U+0000 at character 16')],
  },
  {
    name: 'a backup URL with backticks and $( ) stays one quoted word',
    yaml: `postgres:\n  backup: {url: "https://m.example/\`reboot\`$(reboot).sql.gz", sha256: ${PIN}}\n`,
    exit: 0,
  },
  {
    name: 'a description over several lines, with tabs and an emoji, renders (it lands in no output)',
    yaml: 'description: |\n  Cape Town\tregistry 🦀\n  second line: ${x} {{ y }} @@Z@@\n',
    exit: 0,
  },
  {
    name: 'ssh keys that push the first-boot user-data over 16 KiB',
    yaml:
      'secrets:\n  source: aws-ssm\n  parameterPath: /cocca/t/\nssh:\n  authorizedKeys:\n' +
      Array.from({ length: 24 }, (_, i) => `    - ssh-rsa ${'A'.repeat(700)}${i} k${i}\n`).join(''),
    exit: 1,
    stderr: [/profiles\/p\.yaml:9:5: error: ssh\.authorizedKeys: the first-boot user-data would be 1\d{4} bytes: over EC2's 16384-byte limit/],
  },
];
