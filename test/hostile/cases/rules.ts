// Every problem at once, and profiles the schema accepts that would lock operators out or break
// at boot (issue 10): each expected finding with its position and message. The leaf's `yaml`
// starts on line 4; the clean base builds an AMI (targets.aws) and trusts 198.51.100.0/24.
import type { HostileCase } from '../harness.js';

const P = 'profiles/p.yaml';
/** An operator resin.xml template with what first boot fills, serving 80 and 443. */
const TEMPLATE =
  '<resin>\n  <server address="@@PRIVATE_IPV4@@" port="7800">\n    <jvm-arg>-Xmx@@RESIN_HEAP_MB@@m</jvm-arg>\n    <http port="80"/>\n    <http port="443"/>\n  </server>\n' +
  '  <database><password>@@DB_PASSWORD@@</password><max-connections>@@DB_MAX_CONNECTIONS@@</max-connections></database>\n</resin>\n';
const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
/** A name Let's Encrypt can certify, in two lines. */
const PUBLIC = 'host:\n  fqdn: srs.coccaregistry.org\n';

export const cases: HostileCase[] = [
  // Every problem at once
  {
    name: "all at once: the issue's bad ssh.port, bad host.fqdn and CIDR with host bits",
    yaml: 'host:\n  fqdn: registry\nfirewall:\n  trusted: [10.0.0.5/24]\nssh:\n  port: 70000\n',
    exit: 1,
    stderr: [
      `${P}:5:9: error: host.fqdn: "registry" is not fully qualified: it needs a domain, e.g. registry.nic.example`,
      `${P}:7:13: error: firewall.trusted[0]: "10.0.0.5/24" has bits set beyond its /24 prefix`,
      `${P}:9:9: error: ssh.port: 70000 is out of range: must be <= 65535`,
      '1 profile: 0 valid, 1 invalid (3 errors, 0 warnings)',
    ],
  },
  {
    name: 'all at once: schema errors in a list keep the other items at their own index',
    yaml: 'firewall:\n  trusted: [10.0.0.5/24, 42, 10.1.0.0/16, 10.2.0.1/16]\nsssh: {}\n',
    exit: 1,
    stderr: [
      `${P}:5:13: error: firewall.trusted[0]: "10.0.0.5/24" has bits set beyond its /24 prefix`,
      `${P}:5:26: error: firewall.trusted[1]: must be a string, not 42`,
      `${P}:5:43: error: firewall.trusted[3]: "10.2.0.1/16" has bits set beyond its /16 prefix`,
      `${P}:6:1: error: sssh: unknown key "sssh"`,
    ],
  },
  {
    name: 'all at once: one problem of every kind in one profile',
    yaml: [
      'os: debian-12', // 4
      'ssh:', // 5
      '  loginUser: admin', // 6
      '  maxAuthTries: 99', // 7
      'firewall:', // 8
      '  publicPorts: [80, 443, 6800]', // 9
      'postgres:', // 10
      '  database: user', // 11
      'java:', // 12
      '  home: ..', // 13
      'fail2ban:', // 14
      '  banTime: 0h', // 15
      'targets:', // 16
      '  qemu: {}', // 17
      '',
    ].join('\n'),
    exit: 1,
    stderr: [
      `${P}:6:14: error: ssh.loginUser: "admin" is the user of debian-12's AMI, not of its qcow2: nothing creates it there, and the profile's ssh keys go to debian`,
      `${P}:7:17: error: ssh.maxAuthTries: 99 is out of range: must be <= 10`,
      `${P}:9:26: error: firewall.publicPorts[2]: port 6800 carries Resin's own traffic`,
      `${P}:11:13: error: postgres.database: "user" is an SQL reserved word`,
      `${P}:13:9: error: java.home: ".." is not a directory name inside /usr/lib/jvm`,
      `${P}:15:12: error: fail2ban.banTime: a banTime of "0h" lifts each ban as it is made`,
      '(6 errors, 1 warning)',
    ],
  },
  {
    name: "all at once: a refused value is not judged by the rules (no \"needs tls.email\")",
    yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n  email: nobody\n`,
    exit: 1,
    stderr: [`${P}:8:10: error: tls.email: "nobody" is not a valid value here`, '(1 error, 0 warnings)'],
    never: ['needs tls.email'],
  },
  {
    name: 'all at once: a refused os is not replaced by the default in the user rules',
    yaml: 'os: windows-2022\nssh:\n  allowUsers: [admin]\nfail2ban:\n  findTime: "0"\n',
    exit: 1,
    stderr: [`${P}:4:5: error: os: "windows-2022" is not one of "ubuntu-22.04", "debian-12", "ubuntu-24.04", "debian-13"`, `${P}:8:13: error: fail2ban.findTime: a findTime of "0" counts failures over no time at all`],
    never: ['AllowUsers leaves out', 'nothing creates'],
  },
  {
    name: 'all at once: a refused URL with credentials is shown without them',
    yaml: `artifacts:\n  war: {url: "http://ci:hunter2@mirror.example/ROOT.war", sha256: ${PIN}}\n`,
    exit: 1,
    stderr: [`${P}:5:14: error: artifacts.war.url: "http://***@mirror.example/ROOT.war" is not a valid value here`, ' 5 |   war: {url: "http://***@mirror.example/ROOT.war"'],
    never: ['hunter2'],
  },

  {
    // (__proto__ itself the parser refuses before anything is merged: see cases/files.ts.)
    name: "all at once: keys named like Object's own properties are refused, not dropped or crashed on",
    yaml: 'constructor: 1\nssh:\n  toString: x\n  port: 2222\n',
    exit: 1,
    stderr: [`${P}:4:1: error: constructor: unknown key "constructor"`, `${P}:6:3: error: ssh.toString: unknown key "toString"`, '(2 errors, 0 warnings)'],
  },

  // Locked out: users
  {
    name: "lockout: AllowUsers without the image's user, and a user nothing creates",
    yaml: 'ssh:\n  allowUsers: [alice]\n',
    exit: 1,
    stderr: [
      `${P}:5:15: error: ssh.allowUsers: AllowUsers leaves out "ubuntu", the user the AMI (ubuntu-22.04) is provisioned and reached with`,
      `${P}:5:16: warning: ssh.allowUsers[0]: nothing creates "alice" on ubuntu-22.04 images: AllowUsers lets it in only once something else does`,
    ],
  },
  {
    name: "lockout: the login user of another OS's image",
    yaml: 'ssh:\n  loginUser: debian\n',
    exit: 1,
    stderr: [`${P}:5:14: error: ssh.loginUser: nothing creates "debian" on ubuntu-22.04 images: the profile's ssh keys go to the image's default user (ubuntu)`],
  },
  {
    name: "AllowUsers with another OS's image user beside the right one (warning)",
    yaml: 'ssh:\n  allowUsers: [ubuntu, admin]\n',
    exit: 0,
    stderr: [`${P}:5:24: warning: ssh.allowUsers[1]: "admin" is the user of debian-12's and debian-13's AMI, not of the images this profile makes: nothing creates it here`],
  },

  // Broken at boot: ports and networks
  {
    name: "Resin's watchdog port made public",
    yaml: 'firewall:\n  publicPorts: [80, 443, 6600]\n',
    exit: 1,
    stderr: [`${P}:5:26: error: firewall.publicPorts[2]: port 6600 carries Resin's own traffic (a <server> cluster port or the watchdog's, in the built-in resin.xml)`],
  },
  {
    name: "an operator template's cluster port made public",
    yaml: 'firewall:\n  publicPorts: [80, 443, 7800]\nresin:\n  template: t.xml\n',
    files: { 'profiles/t.xml': TEMPLATE },
    exit: 1,
    stderr: [`${P}:5:26: error: firewall.publicPorts[2]: port 7800 carries Resin's own traffic (a <server> cluster port or the watchdog's, in resin.template "t.xml")`],
  },
  {
    name: 'trusted networks that hold the whole IPv4 Internet in two halves (warning)',
    yaml: 'firewall:\n  trusted: [0.0.0.0/1, 128.0.0.0/1]\n',
    exit: 0,
    stderr: [`${P}:5:12: warning: firewall.trusted: together these networks hold every IPv4 address (0.0.0.0/1, 128.0.0.0/1): ssh and DNS are open to the whole Internet`],
  },
  {
    name: 'trusted networks that hold the whole IPv6 Internet in pieces (warning)',
    yaml: 'firewall:\n  trusted: ["::/2", "4000::/2", "8000::/1", 198.51.100.0/24]\n',
    exit: 0,
    stderr: [`${P}:5:12: warning: firewall.trusted: together these networks hold every IPv6 address (::/2, 4000::/2, 8000::/1)`],
  },

  // Broken at boot: downloads
  {
    name: 'an unsigned apt source over plain http',
    yaml: 'apt:\n  sources:\n    - deb [trusted=yes] http://mirror.example/ubuntu jammy main\npostgres:\n  source: apt\n',
    exit: 1,
    stderr: [`${P}:6:7: error: apt.sources[0]: trusted=yes over plain http: apt would install, as root, whatever anyone on the network path serves`],
  },
  {
    name: 'an apt source with credentials, never printed',
    yaml: 'apt:\n  sources: ["deb [signed-by=/usr/share/keyrings/m.gpg] https://ops:hunter2@mirror.example/ubuntu jammy main"]\npostgres:\n  source: apt\n',
    exit: 1,
    stderr: [`${P}:5:13: error: apt.sources[0]: the source https://***@mirror.example/ubuntu carries credentials`],
    never: ['hunter2'],
  },
  {
    name: 'an artifact URL with credentials, never printed (nor in the unpinned warning)',
    yaml: 'artifacts:\n  war: {url: "https://ci:s3cr3t-token@mirror.example/ROOT.war", sha256: unpinned}\n',
    exit: 1,
    stderr: [
      `${P}:5:14: error: artifacts.war.url: the war download https://***@mirror.example/ROOT.war carries credentials: they would be written into the image's scripts and the user-data`,
      `${P}:5:73: warning: artifacts.war.sha256: war download https://***@mirror.example/ROOT.war is not pinned to a SHA-256`,
    ],
    never: ['s3cr3t-token'],
  },
  {
    name: 'a file:// artifact for an AMI',
    yaml: `artifacts:\n  resin: {url: "file:///srv/mirror/resin-4.0.66.tar.gz", sha256: ${PIN}}\n`,
    exit: 1,
    stderr: [`${P}:5:16: error: artifacts.resin.url: the resin download file:///srv/mirror/resin-4.0.66.tar.gz cannot serve an AMI's bake: Packer bakes on a fresh EC2 instance, where that file does not exist`],
  },
  {
    name: 'a file: apt source for an AMI',
    yaml: 'apt:\n  sources: ["deb [signed-by=/srv/m.gpg] file:/srv/mirror ./"]\npostgres:\n  source: apt\n',
    exit: 1,
    stderr: [`${P}:5:13: error: apt.sources[0]: a file: source cannot serve an AMI's bake`],
  },
  {
    name: 'a file:// backup for an AMI (warning: first boot may find it)',
    yaml: `postgres:\n  backup: {url: "file:///srv/registry.sql.gz", sha256: ${PIN}}\n`,
    exit: 0,
    stderr: [`${P}:5:17: warning: postgres.backup.url: the backup file:///srv/registry.sql.gz is read at first boot on each instance made from the AMI`],
  },

  // Broken at boot: names and paths
  {
    name: 'the registry database named template0',
    yaml: 'postgres:\n  database: template0\n',
    exit: 1,
    stderr: [`${P}:5:13: error: postgres.database: "template0" is the pristine template: it accepts no connections`],
  },
  {
    name: 'the registry database named postgres',
    yaml: 'postgres:\n  database: postgres\n',
    exit: 1,
    stderr: [`${P}:5:13: error: postgres.database: "postgres" is the cluster's maintenance database`],
  },
  {
    name: 'the registry database named select, an SQL reserved word',
    yaml: 'postgres: {database: select}\n',
    exit: 1,
    stderr: [`${P}:4:22: error: postgres.database: "select" is an SQL reserved word`],
  },
  {
    name: 'java.home that leaves /usr/lib/jvm',
    yaml: 'java:\n  home: "."\n',
    exit: 1,
    stderr: [`${P}:5:9: error: java.home: "." is not a directory name inside /usr/lib/jvm: JAVA_HOME would leave it`],
  },
  {
    name: "a Let's Encrypt e-mail certbot would read as an option",
    yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n  email: --register-unsafely-without-email@x.org\n`,
    exit: 1,
    stderr: [`${P}:8:10: error: tls.email: "--register-unsafely-without-email@x.org" begins with "-": certbot would read it as an option, not as the address`],
  },
  {
    name: "a Let's Encrypt e-mail at a domain that cannot be public",
    yaml: `${PUBLIC}tls:\n  mode: letsencrypt\n  email: hostmaster@nic.example\n`,
    exit: 1,
    stderr: [`${P}:8:10: error: tls.email: "hostmaster@nic.example" has a domain Let's Encrypt refuses`],
  },
  {
    name: "Let's Encrypt for a name under .internal",
    yaml: 'host:\n  fqdn: srs.corp.internal\ntls:\n  mode: letsencrypt\n  email: hostmaster@coccaregistry.org\n',
    exit: 1,
    stderr: [`${P}:5:9: error: host.fqdn: "srs.corp.internal" ends in .internal, which is never public (ICANN keeps .internal for private networks): Let's Encrypt (tls.mode letsencrypt) cannot certify it`],
  },
  {
    name: "Let's Encrypt for the clean base's .example name",
    yaml: 'tls:\n  mode: letsencrypt\n  email: hostmaster@coccaregistry.org\n',
    exit: 1,
    stderr: [`profiles/base.yaml:5:9: error: host.fqdn: "registry.nic.example" ends in .example, which is never public`],
  },
  {
    name: 'a fail2ban findTime of zero',
    yaml: 'fail2ban:\n  findTime: 0m\n',
    exit: 1,
    stderr: [`${P}:5:13: error: fail2ban.findTime: a findTime of "0m" counts failures over no time at all: fail2ban would never ban`],
  },
  {
    name: 'a host name with the root dot validates and renders',
    yaml: 'host:\n  fqdn: srs.nic.example.\n',
    exit: 0,
  },
  {
    name: "a placeholder inside Resin's EL in an operator template",
    yaml: 'resin:\n  template: t.xml\n',
    files: { 'profiles/t.xml': TEMPLATE.replace('port="7800"', '').replace('<password>@@DB_PASSWORD@@</password>', '<password>${"@@DB_PASSWORD@@"}</password>') },
    exit: 1,
    stderr: [`${P}:5:13: error: resin.template: resin.xml template "t.xml": line 7: placeholder @@DB_PASSWORD@@ is inside the EL expression`],
  },
];
