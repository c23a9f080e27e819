// Files and YAML (issue 10): what a profile can make cocca-bake read (extends, resin.template,
// the profile itself), what it can make it print, and YAML that tries the parser's limits.
// See docs/security.md for the rules these cases hold the CLI to.
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { CANARY_FILE, LEAF_HEADER, type HostileCase } from '../harness.js';

/** A leaf extending `ext` instead of base.yaml; `more` from line 4 on. */
const leafExtending = (ext: string, more = 'name: t\n') => ({ 'profiles/p.yaml': `apiVersion: cocca-bake/v1\nextends: ${ext}\n${more}` });

/** A secret a file inside the repository holds (CI credentials): never printed. */
const SECRET = 'AKIAcanarysecret0000';

const ROOT_HINT = 'hint: a profile may only name files inside its repository root';

/** Beside the repository (root/..), like the harness's outside.txt, with the canary. */
const outside = (root: string, name: string, text = `secret: ${CANARY_FILE}\n`) => writeFileSync(path.join(root, '..', name), text);

/** A resin.xml template that passes every check (as in test/unit/rules.test.ts). */
const TEMPLATE =
  '<resin>\n  <server address="@@PRIVATE_IPV4@@">\n    <jvm-arg>-Xmx@@RESIN_HEAP_MB@@m</jvm-arg>\n    <http port="80"/>\n    <http port="443"/>\n  </server>\n' +
  '  <database><password>@@DB_PASSWORD@@</password><max-connections>@@DB_MAX_CONNECTIONS@@</max-connections></database>\n</resin>\n';

const template = (name: string) => `resin:\n  template: ${name}\n`;
/** Where `resin.template`'s value sits in a leaf of LEAF_HEADER + template(...). */
const AT_TEMPLATE = 'profiles/p.yaml:5:13: error: resin.template: resin.xml template';

/** 9 levels of 10 aliases each: 10^9 values once expanded. */
const BILLION_LAUGHS = ['x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]']
  .concat(Array.from({ length: 8 }, (_, i) => {
    const [me, prev] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)];
    return `x-${me}: &${me} [${Array(10).fill(`*${prev}`).join(', ')}]`;
  }))
  .join('\n');

export const cases: HostileCase[] = [
  // --- extends: where it may lead -------------------------------------------------------------
  {
    name: 'extends /proc/self/environ (absolute) is refused before anything is read',
    files: leafExtending('/proc/self/environ'),
    exit: 1,
    stderr: ['profiles/p.yaml:2:10: error: extends: extends must be a relative path, so profiles can move together'],
  },
  {
    name: 'extends climbing to /proc/self/environ is refused by its name',
    files: leafExtending('../../../../../../../../../proc/self/environ'),
    exit: 1,
    stderr: ['profiles/p.yaml:2:10: error: extends: cannot read "/proc/self/environ": it does not end in .yaml or .yml, so it is not a profile'],
  },
  {
    name: 'extends through a symlink to /proc/self/environ is outside the root',
    files: leafExtending('env.yaml'),
    setup: (root) => symlinkSync('/proc/self/environ', path.join(root, 'profiles/env.yaml')),
    exit: 1,
    stderr: [/^profiles\/p\.yaml:2:10: error: extends: cannot read "profiles\/env\.yaml": it is outside the repository root \/.*\/repo$/m, ROOT_HINT],
  },
  {
    name: 'extends through a symlink to /dev/zero is outside the root (no read, no memory blow-up)',
    files: leafExtending('zero.yaml'),
    setup: (root) => symlinkSync('/dev/zero', path.join(root, 'profiles/zero.yaml')),
    exit: 1,
    stderr: [/^profiles\/p\.yaml:2:10: error: extends: cannot read "profiles\/zero\.yaml": it is outside the repository root /m],
  },
  {
    name: 'extends a FIFO inside the repository: refused without waiting for a writer',
    files: leafExtending('fifo.yaml'),
    setup: (root) => execFileSync('mkfifo', [path.join(root, 'profiles/fifo.yaml')]),
    exit: 1,
    stderr: ['profiles/p.yaml:2:10: error: extends: cannot read "profiles/fifo.yaml": it is a FIFO, not a regular file'],
  },
  {
    name: 'extends a directory',
    files: leafExtending('dir.yaml'),
    setup: (root) => mkdirSync(path.join(root, 'profiles/dir.yaml')),
    exit: 1,
    stderr: ['profiles/p.yaml:2:10: error: extends: cannot read "profiles/dir.yaml": it is a directory, not a regular file'],
  },
  {
    name: 'extends a huge (sparse, 4 GiB) file: refused by its size, unread',
    files: leafExtending('huge.yaml'),
    setup: (root) => {
      writeFileSync(path.join(root, 'profiles/huge.yaml'), '');
      truncateSync(path.join(root, 'profiles/huge.yaml'), 4 * 1024 ** 3);
    },
    exit: 1,
    stderr: ['profiles/p.yaml:2:10: error: extends: cannot read "profiles/huge.yaml": it is 4294967296 bytes, over the 256 KiB limit for a profile'],
  },
  {
    name: 'extends a symlink leading out of the repository to a .yaml',
    files: leafExtending('shared.yaml'),
    setup: (root) => {
      outside(root, 'outside.yaml');
      symlinkSync('../../outside.yaml', path.join(root, 'profiles/shared.yaml'));
    },
    exit: 1,
    stderr: [/^profiles\/p\.yaml:2:10: error: extends: cannot read "profiles\/shared\.yaml": it is outside the repository root /m, ROOT_HINT],
  },
  {
    name: 'extends ../../outside.txt (the canary beside the repository)',
    files: leafExtending('../../outside.txt'),
    exit: 1,
    stderr: [/^profiles\/p\.yaml:2:10: error: extends: cannot read "\/.*\/outside\.txt": it does not end in \.yaml or \.yml, so it is not a profile$/m, 'hint: a profile and its bases are .yaml or .yml files'],
  },
  {
    name: 'extends ../../outside.yaml: a profile-named file beside the repository',
    files: leafExtending('../../outside.yaml'),
    setup: (root) => outside(root, 'outside.yaml', `apiVersion: cocca-bake/v1\nname: ${CANARY_FILE}\n`),
    exit: 1,
    stderr: [/^profiles\/p\.yaml:2:10: error: extends: cannot read "\/.*\/outside\.yaml": it is outside the repository root \/.*\/repo$/m],
  },
  {
    name: 'extends a symlink inside the repository that leads to a file not named .yaml',
    files: { ...leafExtending('alias.yaml'), 'ci/token.txt': `token: ${SECRET}\n` },
    setup: (root) => symlinkSync('../ci/token.txt', path.join(root, 'profiles/alias.yaml')),
    exit: 1,
    stderr: ['profiles/p.yaml:2:10: error: extends: cannot read "profiles/alias.yaml": it leads to a file that does not end in .yaml or .yml, so it is not a profile'],
    never: [SECRET],
  },
  {
    name: 'extends a CI credentials .yaml inside the repository: named, never shown',
    files: { ...leafExtending('../ci/credentials.yaml'), 'ci/credentials.yaml': `aws_access_key_id: ${SECRET}\naws_secret_access_key: ${SECRET}\n` },
    exit: 1,
    stderr: ['ci/credentials.yaml:1:1: error: apiVersion: apiVersion is missing\n  hint: every profile file'],
    never: [SECRET, ' 1 | '],
  },
  {
    name: 'a credentials .yaml whose apiVersion is the secret: the value is not repeated',
    files: { ...leafExtending('../ci/creds.yaml'), 'ci/creds.yaml': `# ci\napiVersion: ${SECRET}\n` },
    exit: 1,
    stderr: ['ci/creds.yaml:2:13: error: apiVersion: apiVersion is not cocca-bake/v1: this is not a cocca-bake profile (its content is not shown)'],
    never: [SECRET],
  },
  {
    name: 'a credentials .yaml with a syntax error on the secret line: position only',
    files: { ...leafExtending('../ci/creds.yaml'), 'ci/creds.yaml': `user: ci\ntoken: x: ${SECRET}\n` },
    exit: 1,
    stderr: ['ci/creds.yaml:2:9: error: YAML syntax: bad indentation of a mapping entry\n  hint: fix the YAML syntax first'],
    never: [SECRET, ' 2 | '],
  },
  {
    name: 'an alias to nothing in a file that is not a profile: the alias name is not repeated',
    files: { ...leafExtending('../ci/a.yaml'), 'ci/a.yaml': `a: *${SECRET}\n` },
    exit: 1,
    stderr: ['ci/a.yaml:1:4: error: YAML syntax: an alias to an anchor that is not defined before it'],
    never: [SECRET],
  },
  {
    name: 'an unknown tag in a file that is not a profile: the tag is not repeated',
    files: { ...leafExtending('../ci/b.yaml'), 'ci/b.yaml': `b: !${SECRET} x\n` },
    exit: 1,
    stderr: ['ci/b.yaml:1:4: error: YAML syntax: unknown scalar tag\n'],
    never: [SECRET],
  },
  {
    name: 'an extends chain longer than 8 files',
    files: Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [`profiles/c${i}.yaml`, `apiVersion: cocca-bake/v1\nextends: ${i === 8 ? 'base.yaml' : `c${i + 1}.yaml`}\n`]).concat([['profiles/p.yaml', 'apiVersion: cocca-bake/v1\nextends: c0.yaml\nname: t\n']]),
    ),
    exit: 1,
    stderr: ['profiles/c6.yaml:2:10: error: extends: the extends chain is longer than 8 files'],
  },

  {
    name: 'a base named .yml is a profile too',
    files: { ...leafExtending('b.yml'), 'profiles/b.yml': 'apiVersion: cocca-bake/v1\nextends: base.yaml\n' },
    exit: 0,
  },
  {
    name: 'a symlinked base that stays inside the repository is followed',
    files: { ...leafExtending('current.yaml'), 'profiles/v2/base.yaml': 'apiVersion: cocca-bake/v1\nextends: ../base.yaml\nssh:\n  port: 70000\n' },
    setup: (root) => symlinkSync('v2/base.yaml', path.join(root, 'profiles/current.yaml')),
    exit: 1,
    stderr: ['profiles/current.yaml:4:9: error: ssh.port: 70000 is out of range'],
  },
  {
    name: 'a cycle closed through a symlink',
    files: { ...leafExtending('loop.yaml') },
    setup: (root) => symlinkSync('p.yaml', path.join(root, 'profiles/loop.yaml')),
    exit: 1,
    stderr: [/^profiles\/p\.yaml:2:10: error: extends: extends makes a cycle: profiles\/p\.yaml -> profiles\/p\.yaml$/m],
  },
  {
    name: 'the nearest marker is the root: a profile set with its own schema cannot reach the repository above',
    files: { 'ops/profiles/profile.schema.json': '{}', 'ops/profiles/p.yaml': 'apiVersion: cocca-bake/v1\nextends: ../../profiles/base.yaml\nname: t\n' },
    profile: 'ops/profiles/p.yaml',
    exit: 1,
    stderr: [/^ops\/profiles\/p\.yaml:2:10: error: extends: cannot read "profiles\/base\.yaml": it is outside the repository root \/.*\/repo\/ops$/m],
  },
  {
    name: 'an empty base',
    files: { ...leafExtending('empty.yaml'), 'profiles/empty.yaml': '' },
    exit: 1,
    stderr: ['profiles/empty.yaml:1:1: error: a profile is a YAML mapping (key: value lines)'],
  },
  {
    name: 'a duplicated key in a base, in the base',
    files: { ...leafExtending('dup.yaml'), 'profiles/dup.yaml': 'apiVersion: cocca-bake/v1\nextends: base.yaml\nssh:\n  port: 22\nssh:\n  port: 23\n' },
    exit: 1,
    stderr: ['profiles/dup.yaml:5:1: error: YAML syntax: duplicated mapping key\n  hint: the same key is first written on line 3'],
  },

  // --- the profile named on the command line --------------------------------------------------
  {
    name: 'a profile that is a symlink out of the repository',
    files: {},
    setup: (root) => {
      outside(root, 'outside.yaml', `apiVersion: cocca-bake/v1\nname: ${CANARY_FILE}\n`);
      symlinkSync('../../outside.yaml', path.join(root, 'profiles/link.yaml'));
    },
    profile: 'profiles/link.yaml',
    exit: 1,
    stderr: [/^profiles\/link\.yaml:1:1: error: cannot read profile: it is outside the repository root \/.*\/repo$/m],
  },
  {
    name: 'a profile not named .yaml',
    files: { 'profiles/p.txt': `${LEAF_HEADER}` },
    profile: 'profiles/p.txt',
    exit: 1,
    stderr: ['profiles/p.txt:1:1: error: cannot read profile: it does not end in .yaml or .yml, so it is not a profile'],
  },
  {
    name: 'an oversized profile (256 KiB and one byte)',
    files: { 'profiles/p.yaml': `${LEAF_HEADER}#${'x'.repeat(256 * 1024 - LEAF_HEADER.length - 1)}\n` },
    exit: 1,
    stderr: ['profiles/p.yaml:1:1: error: cannot read profile: it is 262145 bytes, over the 256 KiB limit for a profile'],
  },
  {
    name: '--root: extends above the given root is refused',
    files: { 'profiles/p.yaml': 'apiVersion: cocca-bake/v1\nextends: ../shared/base.yaml\nname: t\n', 'shared/base.yaml': 'apiVersion: cocca-bake/v1\n' },
    options: ['--root', 'profiles'],
    exit: 1,
    stderr: [/^profiles\/p\.yaml:2:10: error: extends: cannot read "shared\/base\.yaml": it is outside the repository root profiles \(--root\)$/m],
  },
  {
    name: '--root: the same layout is accepted with the repository as root',
    files: { 'profiles/p.yaml': 'apiVersion: cocca-bake/v1\nextends: ../shared/base.yaml\nname: t\n', 'shared/base.yaml': 'apiVersion: cocca-bake/v1\nextends: ../profiles/base.yaml\n' },
    options: ['--root', '.'],
    exit: 0,
  },
  {
    name: '--root: a profile outside the given root is refused',
    yaml: '',
    options: ['--root', 'sub'],
    setup: (root) => mkdirSync(path.join(root, 'sub')),
    exit: 1,
    stderr: ['profiles/p.yaml:1:1: error: cannot read profile: it is outside the repository root sub (--root)'],
  },

  // --- resin.template: the same tricks --------------------------------------------------------
  {
    name: 'resin.template through a symlink to /proc/self/environ',
    yaml: template('env.xml'),
    setup: (root) => symlinkSync('/proc/self/environ', path.join(root, 'profiles/env.xml')),
    exit: 1,
    stderr: [new RegExp(`^${AT_TEMPLATE} "env\\.xml" is outside the repository root /.*/repo$`, 'm'), 'hint: a profile may only name files inside its repository root (docs/security.md)'],
  },
  {
    name: 'resin.template ../../outside.xml beside the repository',
    yaml: template('../../outside.xml'),
    setup: (root) => outside(root, 'outside.xml', `<resin><!-- ${CANARY_FILE} --></resin>\n`),
    exit: 1,
    stderr: [new RegExp(`^${AT_TEMPLATE} "\\.\\./\\.\\./outside\\.xml" is outside the repository root `, 'm')],
  },
  {
    name: 'resin.template as an absolute path outside the repository',
    yaml: template('/etc/passwd'),
    exit: 1,
    stderr: [`${AT_TEMPLATE} "/etc/passwd" does not end in .xml, so it is not a resin.xml template`],
  },
  {
    name: 'resin.template a FIFO: refused without waiting for a writer',
    yaml: template('fifo.xml'),
    setup: (root) => execFileSync('mkfifo', [path.join(root, 'profiles/fifo.xml')]),
    exit: 1,
    stderr: [`${AT_TEMPLATE} "fifo.xml" is a FIFO, not a regular file`],
  },
  {
    name: 'resin.template a huge sparse file',
    yaml: template('big.xml'),
    setup: (root) => {
      writeFileSync(path.join(root, 'profiles/big.xml'), '');
      truncateSync(path.join(root, 'profiles/big.xml'), 2 * 1024 ** 3);
    },
    exit: 1,
    stderr: [`${AT_TEMPLATE} "big.xml" is 2147483648 bytes, over the 1 MiB limit for a resin.xml template`],
  },
  {
    name: 'resin.template a Maven settings.xml with a password: not a resin.xml, nothing quoted',
    yaml: template('../settings.xml'),
    files: { 'settings.xml': `<settings><servers><server address="10.1.2.3"><password>${SECRET}</password></server></servers></settings>\n` },
    exit: 1,
    stderr: [`${AT_TEMPLATE} "../settings.xml" is not a resin.xml: its root element is not <resin>`],
    never: [SECRET, '10.1.2.3', 'settings>'],
  },
  {
    name: 'resin.template a file that is not XML: where it breaks, not what it says',
    yaml: template('../ci/env.xml'),
    files: { 'ci/env.xml': `AWS_SECRET_ACCESS_KEY=${SECRET}\n` },
    exit: 1,
    stderr: [`${AT_TEMPLATE} "../ci/env.xml" is not a resin.xml: not well-formed XML before a root element (line 1, column 1)`],
    never: [SECRET],
  },
  {
    name: 'resin.template inside the repository, a real resin.xml: accepted and rendered',
    yaml: template('resin.xml'),
    files: { 'profiles/resin.xml': TEMPLATE },
    exit: 0,
  },

  // --- bytes ---------------------------------------------------------------------------------
  {
    name: 'invalid UTF-8 in a profile, at its line and column',
    files: { 'profiles/p.yaml': Buffer.concat([Buffer.from(`${LEAF_HEADER}host:\n  fqdn: ab`), Buffer.from([0xc3, 0x28]), Buffer.from('.example\n')]) },
    exit: 1,
    stderr: ['profiles/p.yaml:5:11: error: the file is not UTF-8 text: an invalid byte sequence starts here\n  hint: a profile is UTF-8 text'],
  },
  {
    name: 'a UTF-16 profile',
    files: { 'profiles/p.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(LEAF_HEADER, 'utf16le')]) },
    exit: 1,
    stderr: ['profiles/p.yaml:1:1: error: the file is UTF-16 text (a UTF-16 byte order mark): save it as UTF-8'],
  },
  {
    name: 'a UTF-8 byte order mark is accepted, columns unchanged',
    files: { 'profiles/p.yaml': `\uFEFF${LEAF_HEADER}ssh:\n  port: 70000\n` },
    exit: 1,
    stderr: ['profiles/p.yaml:5:9: error: ssh.port: 70000 is out of range'],
  },
  {
    name: 'a byte order mark inside a profile, where a key would hide it',
    yaml: 'ssh:\n  \uFEFFport: 22\n',
    exit: 1,
    stderr: ['profiles/p.yaml:5:3: error: a byte order mark (U+FEFF) inside the file'],
  },
  {
    name: 'a NUL byte in a profile',
    yaml: 'host:\n  fqdn: registry\u0000.nic.example\n',
    exit: 1,
    stderr: ['profiles/p.yaml:5:17: error: YAML syntax: null byte is not allowed in input'],
  },

  // --- YAML limits ---------------------------------------------------------------------------
  {
    name: 'an alias bomb (10^9 values) ends at the alias that crosses the limit',
    yaml: `${BILLION_LAUGHS}\n`,
    exit: 1,
    // x-d's 8th alias: 11 + 111 + 1111 values before it, 1111 more with each of its aliases.
    stderr: ['profiles/p.yaml:7:38: error: aliases expand the document past 10000 values\n  hint: a profile holds a few hundred values'],
  },
  {
    name: 'more than 100 aliases',
    yaml: `x-a: &a 1\nx-b: [${Array(101).fill('*a').join(', ')}]\n`,
    exit: 1,
    stderr: ['profiles/p.yaml:5:407: error: more than 100 aliases'], // the 101st
  },
  {
    name: 'an alias inside its own anchor (a cycle)',
    yaml: 'ssh: &s\n  loop: *s\n',
    exit: 1,
    stderr: ['profiles/p.yaml:5:9: error: YAML syntax: an alias inside the node its anchor names (a cycle)'],
  },
  {
    name: 'nesting 40 levels deep',
    yaml: `ssh: ${'['.repeat(40)}${']'.repeat(40)}\n`,
    exit: 1,
    stderr: ['profiles/p.yaml:4:37: error: nested more than 32 levels deep'],
  },
  {
    name: 'nesting past the limit only once aliases are expanded',
    yaml: `x-a: &a ${'['.repeat(20)}${']'.repeat(20)}\nx-b: ${'['.repeat(15)}*a${']'.repeat(15)}\n`,
    exit: 1,
    stderr: ['profiles/p.yaml:5:21: error: nested more than 32 levels deep once aliases are expanded'],
  },

  // --- keys ----------------------------------------------------------------------------------
  {
    name: 'a __proto__ key at the top',
    yaml: '__proto__:\n  polluted: true\n',
    exit: 1,
    stderr: ['profiles/p.yaml:4:1: error: the key __proto__ is not allowed'],
  },
  {
    name: 'a quoted __proto__ key in a flow mapping, nested',
    yaml: 'ssh: {port: 22, "__proto__": {port: 1}}\n',
    exit: 1,
    stderr: ['profiles/p.yaml:4:17: error: the key __proto__ is not allowed'],
  },
  {
    name: 'keys named like Object.prototype members are plain unknown keys',
    yaml: 'constructor: {x: 1}\nssh:\n  toString: 1\n',
    exit: 1,
    stderr: ['profiles/p.yaml:4:1: error: constructor: unknown key "constructor"', 'profiles/p.yaml:6:3: error: ssh.toString: unknown key "toString"'],
  },
  {
    name: 'a complex key (? [a, b]) is reported at its line, not 1:1',
    yaml: 'ssh:\n  port: 22\n? [a, b]\n: c\n',
    exit: 1,
    stderr: ['profiles/p.yaml:6:3: error: a mapping key must be a plain name, not a list or a mapping (a complex key)'],
  },
  {
    name: 'a flow mapping as a key',
    yaml: 'ssh: {{port: 22}: 1}\n',
    exit: 1,
    stderr: ['profiles/p.yaml:4:7: error: a mapping key must be a plain name, not a list or a mapping (a complex key)'],
  },
  {
    name: 'a duplicated key, at the second, naming the first line',
    yaml: 'ssh:\n  port: 22\n  maxAuthTries: 3\n  "port": 2222\n',
    exit: 1,
    stderr: ['profiles/p.yaml:7:3: error: YAML syntax: duplicated mapping key\n  hint: the same key is first written on line 5; a key may appear once in a mapping'],
  },
  {
    name: 'a duplicated key through an alias used as a key',
    yaml: 'x-k: &k port\nssh:\n  port: 22\n  *k : 2222\n',
    exit: 1,
    stderr: ['profiles/p.yaml:7:3: error: YAML syntax: duplicated mapping key'],
  },
  {
    name: 'several documents: at the start of the second',
    yaml: 'ssh:\n  port: 22\n---\nname: other\n',
    exit: 1,
    stderr: ['profiles/p.yaml:6:1: error: a profile is one YAML document, this file holds several'],
  },
  {
    name: 'a tab in the indentation',
    yaml: 'ssh:\n\tport: 22\n',
    exit: 1,
    stderr: ['profiles/p.yaml:5:1: error: YAML syntax: tab characters must not be used in indentation'],
  },
  {
    name: 'a bad value inside an aliased mapping is reported where the anchor wrote it, for each path',
    yaml: 'artifacts:\n  war: &a {url: "http://mirror.example/ROOT.war", sha256: unpinned}\n  keystore: *a\n',
    exit: 1,
    stderr: ['profiles/p.yaml:5:17: error: artifacts.keystore.url: "http://mirror.example/ROOT.war" is not a valid value here', 'profiles/p.yaml:5:17: error: artifacts.war.url:'],
  },
  {
    name: 'a bad scalar reached through an alias is reported at the alias',
    yaml: 'x-port: &p 70000\nssh:\n  port: *p\n',
    exit: 1,
    stderr: ['profiles/p.yaml:6:9: error: ssh.port: 70000 is out of range'],
  },
  {
    name: 'lone CR line ends count as lines',
    files: { 'profiles/p.yaml': `${LEAF_HEADER}ssh:\r  port: 70000\r`.replace(/\n/g, '\r') },
    exit: 1,
    stderr: ['profiles/p.yaml:5:9: error: ssh.port: 70000 is out of range'],
  },
];
