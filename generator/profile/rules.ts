// Semantic rules: what the schema cannot say. Each rule reads the defaulted profile and
// reports at the path whose value is wrong.
import { SERVICE_PORTS } from '../ports.js';
import { AWS_NETWORK_RULES } from './aws-network.js';
import { copyKmsKeys } from './kms.js';
import { LOCK_FILE } from '../lock/file.js';
import { coccaDownloads, lookup, UNPINNED, type CatalogKind } from '../catalog.js';
import { OS_MODULES } from '../os/index.js';
import type { OsModule } from '../os/types.js';
import type { PathSegment } from './findings.js';
import type { Report, Rule } from './rule.js';
import { loginUsers } from './resolve.js';
import type { Artifact, ArtifactName, Profile } from './types.js';
import { hasCredentials, parseAptSource, redactUrl, unsignedBy } from './urls.js';

export type { ReadNamed, Report, Rule } from './rule.js';

/** The seed's minimum host: 12 GB RAM, 150 GB disk (CoCCA, November 2022). */
export const SEED_MEMORY_GIB = 12;
export const SEED_DISK_GIB = 150;

/**
 * Memory of an EC2 instance type, from its family letter and size (m/t: 4 GiB per vCPU,
 * r: 8, c: 2). Covers the general-purpose, memory and compute families; others are unknown.
 */
export function ec2MemoryGiB(type: string): number | undefined {
  const m = /^([a-z]+)(\d+)([a-z-]*)\.(\d*)(nano|micro|small|medium|large|xlarge)$/.exec(type);
  if (!m) return undefined;
  const perXlarge: Record<string, number> = { t: 16, m: 16, r: 32, c: 8 };
  const base = perXlarge[m[1]!];
  if (base === undefined) return undefined;
  const size: Record<string, number> = { nano: 1 / 32, micro: 1 / 16, small: 1 / 8, medium: 1 / 4, large: 1 / 2, xlarge: 1 };
  return base * size[m[5]!]! * (m[4] ? Number(m[4]) : 1);
}


function checkSshPort(p: Profile, _os: OsModule, report: Report): void {
  const service = Object.entries(SERVICE_PORTS).find(([, port]) => port === p.ssh.port)?.[0];
  if (service || p.firewall.publicPorts.includes(p.ssh.port) || p.firewall.trustedPorts.includes(p.ssh.port)) {
    report(
      ['ssh', 'port'],
      'error',
      `ssh port ${p.ssh.port} clashes with ${service ? `the ${service} service` : 'a port the firewall opens for a service'}`,
      `the stack binds ${Object.values(SERVICE_PORTS).join(', ')}, and the firewall opens ${[...p.firewall.publicPorts, ...p.firewall.trustedPorts].join(', ')}; pick another port, e.g. 2222`,
    );
  }
}

function checkAptSources(p: Profile, _os: OsModule, report: Report): void {
  p.apt.sources?.forEach((line, i) => {
    const src = parseAptSource(line);
    if (!src) return;
    if (hasCredentials(src.uri)) {
      report(['apt', 'sources', i], 'error', `the source ${redactUrl(src.uri)} carries credentials: they would stay in the image's apt sources and in the user-data`, 'give apt its credentials on the build network instead (a mirror that needs none there, or /etc/apt/auth.conf.d put in place by your own tooling)');
    }
    const unsigned = unsignedBy(src);
    if (unsigned && /^http:/i.test(src.uri)) {
      report(['apt', 'sources', i], 'error', `${unsigned} over plain http: apt would install, as root, whatever anyone on the network path serves`, 'use an https mirror, or a signed one: signed-by=/usr/share/keyrings/KEY.gpg in place of ' + unsigned);
    } else if (unsigned) {
      report(['apt', 'sources', i], 'warning', `${unsigned} turns off apt's signature checks for this source`, `use signed-by=/path/to/key for a signed mirror; ${unsigned} only suits a local, read-only repository`);
    }
    if (p.targets.aws && /^file:/i.test(src.uri)) {
      report(['apt', 'sources', i], 'error', `a file: source cannot serve an AMI's bake: Packer bakes on a fresh EC2 instance, where ${src.uri} does not exist`, 'serve the mirror over https (or http with signed-by) from a host the builder reaches');
    }
  });
}

/**
 * A download URL of the profile: no credentials (they would sit in the image and the user-data),
 * and, for an AMI, no file:// path for the bake, which runs where that path does not exist.
 * `readBy`: the bake, first boot, or the machine that runs Packer (the qemu base image).
 */
function downloadUrlRule(at: PathSegment[], what: string, readBy: 'bake' | 'boot' | 'packer', used: (p: Profile) => boolean = () => true): Rule {
  return (p, _os, report) => {
    const url = at.reduce<unknown>((node, seg) => (node as Record<string | number, unknown> | undefined)?.[seg], p);
    if (typeof url !== 'string') return;
    if (hasCredentials(url)) {
      report(at, 'error', `${what} ${redactUrl(url)} carries credentials: they would be written into the image's scripts and the user-data`, 'serve the file without credentials, from a mirror only your build network reaches');
    }
    if (readBy === 'bake' && p.targets.aws && /^file:/i.test(url) && used(p)) {
      report(at, 'error', `${what} ${url} cannot serve an AMI's bake: Packer bakes on a fresh EC2 instance, where that file does not exist`, 'serve it over https from a host the builder reaches (e.g. a private S3 bucket behind a VPC endpoint)');
    }
    // First boot may find it: a volume in the image's fstab, a file the user-data writes.
    if (readBy === 'boot' && p.targets.aws && /^file:/i.test(url)) {
      report(at, 'warning', `${what} ${url} is read at first boot on each instance made from the AMI: nothing cocca-bake does puts it there`, 'serve it over https, or make sure each instance has it before first boot (a volume, a file your user-data writes)');
    }
  };
}

function checkAwsSize(p: Profile, _os: OsModule, report: Report): void {
  const aws = p.targets.aws;
  if (!aws) return;
  const mem = ec2MemoryGiB(aws.instanceType);
  if (mem === undefined) report(['targets', 'aws', 'instanceType'], 'warning', `cannot tell the memory of ${aws.instanceType}: the ${SEED_MEMORY_GIB} GiB minimum is not checked`, 'the check knows the t, m, r and c families; make sure the type has 12 GiB or more');
  else if (mem < SEED_MEMORY_GIB) report(['targets', 'aws', 'instanceType'], 'warning', `${aws.instanceType} has ${mem} GiB of memory, below the seed's ${SEED_MEMORY_GIB} GiB`, 'CoCCA asks 12 GiB (16 GiB in its 2023 guides): e.g. t3.xlarge or m6i.xlarge');
}

function checkAwsVolume(p: Profile, _os: OsModule, report: Report): void {
  const aws = p.targets.aws;
  if (aws && aws.volumeSizeGiB < SEED_DISK_GIB) report(['targets', 'aws', 'volumeSizeGiB'], 'warning', `${aws.volumeSizeGiB} GiB is below the seed's ${SEED_DISK_GIB} GiB disk`, 'the registry database and its backups grow; CoCCA asks 150 GiB (200 GiB in later guides)');
}

function checkAwsCopies(p: Profile, _os: OsModule, report: Report): void {
  const aws = p.targets.aws;
  if (!aws) return;
  if (aws.copyTo.includes(aws.region)) report(['targets', 'aws', 'copyTo', aws.copyTo.indexOf(aws.region)], 'error', `copyTo names the build region ${aws.region}`, 'list only the other regions');
  for (const region of Object.keys(aws.copyKmsKeyIds ?? {})) {
    if (!aws.copyTo.includes(region)) report(['targets', 'aws', 'copyKmsKeyIds', region], 'error', `${region} is not a copyTo region`, `add ${region} to targets.aws.copyTo, or remove this key`);
  }
}

function checkAwsSharing(p: Profile, _os: OsModule, report: Report): void {
  const aws = p.targets.aws;
  if (!aws) return;
  if (aws.public) {
    report(['targets', 'aws', 'public'], 'warning', 'the AMI will be public and unencrypted (AWS refuses to publish encrypted snapshots): anyone can launch your registry image', 'share with accounts instead: targets.aws.shareWith');
  } else if (aws.shareWith.length > 0 && !aws.kmsKeyId) {
    report(['targets', 'aws', 'shareWith'], 'error', "an encrypted AMI cannot be shared when it is encrypted with the account's default EBS key", 'set targets.aws.kmsKeyId to a customer-managed KMS key whose policy lets those accounts use it');
  } else if (aws.shareWith.length > 0) {
    // Found now rather than after an hour of building: each shared copy needs a key in its region.
    const keys = copyKmsKeys(aws);
    aws.copyTo.forEach((region, i) => {
      if (!keys[region]) report(['targets', 'aws', 'copyTo', i], 'error', `the copy in ${region} is shared but has no KMS key there (${aws.kmsKeyId} is not a multi-Region key)`, `set targets.aws.copyKmsKeyIds.${region} to a key in ${region}, or use a multi-Region key (mrk-...) with a replica there`);
    });
  }
}

function checkQemu(p: Profile, _os: OsModule, report: Report): void {
  const qemu = p.targets.qemu;
  if (!qemu) return;
  if (qemu.diskSizeGiB < SEED_DISK_GIB) report(['targets', 'qemu', 'diskSizeGiB'], 'warning', `${qemu.diskSizeGiB} GiB is below the seed's ${SEED_DISK_GIB} GiB disk`, 'CoCCA asks 150 GiB; a qcow2 only takes the space it uses');
}

function checkQemuBaseImage(p: Profile, _os: OsModule, report: Report): void {
  const qemu = p.targets.qemu;
  if (qemu?.baseImage.sha256 === UNPINNED) report(['targets', 'qemu'], 'warning', `the qemu base image ${redactUrl(qemu.baseImage.url)} is not pinned: Packer will read the publisher's checksum file at build time`, 'set targets.qemu.baseImage: {url, sha256}');
}

function checkAnyTarget(p: Profile, _os: OsModule, report: Report): void {
  if (!p.targets.aws && !p.targets.qemu) report(['targets'], 'warning', 'no build target: render writes user-data only, and no Packer source', 'add targets.aws or targets.qemu');
}

const ARTIFACT_NAMES: readonly ArtifactName[] = ['openssl', 'jdk', 'resin', 'jdbc', 'war', 'keystore'];

/**
 * The profile's own rules, each judging on its own (see Rule): the ones that weigh sections
 * against each other, the targets or the OS. The components' rules (generator/components/NAME/
 * rules.ts) join them in generator/check/rules.ts.
 */
export const PROFILE_RULES: readonly Rule[] = [
  checkSshPort,
  checkLoginUsers,
  checkAllowedUsers,
  checkAptSources,
  checkAwsSize,
  checkAwsVolume,
  checkAwsCopies,
  checkAwsSharing,
  ...AWS_NETWORK_RULES,
  checkQemu,
  checkQemuBaseImage,
  checkAnyTarget,
  ...ARTIFACT_NAMES.map((name) => (p: Profile, _os: OsModule, report: Report) => checkArtifact(p, name, report)),
  checkCoccaDownloads,
  ...ARTIFACT_NAMES.map((name) => downloadUrlRule(['artifacts', name, 'url'], `the ${name} download`, 'bake', (p) => artifactSource(p, name).used)),
  downloadUrlRule(['postgres', 'backup', 'url'], 'the backup', 'boot'),
  downloadUrlRule(['targets', 'qemu', 'baseImage', 'url'], 'the qemu base image', 'packer'),
];

interface ArtifactSource {
  name: ArtifactName;
  kind?: CatalogKind;
  version?: string;
  versionAt?: PathSegment[];
  used: boolean;
}

/** Where one artifact the stack downloads comes from: the profile's artifacts map, else the catalog. */
export function artifactSource(p: Profile, name: ArtifactName): ArtifactSource {
  switch (name) {
    case 'openssl':
      return { name, kind: 'openssl', version: p.openssl.version, versionAt: ['openssl', 'version'], used: p.openssl.enabled };
    case 'jdk':
      return { name, kind: 'jdk', version: p.java.version, versionAt: ['java', 'version'], used: p.java.source === 'tarball' };
    case 'resin':
      return { name, kind: 'resin', version: p.resin.version, versionAt: ['resin', 'version'], used: true };
    case 'jdbc':
      return { name, kind: 'jdbc', version: p.jdbc.version, versionAt: ['jdbc', 'version'], used: true };
    case 'war':
    case 'keystore':
      return { name, used: true };
  }
}

/**
 * The download a profile names for one artifact before any lock: its own artifacts entry, else
 * the catalog's for its version, else CoCCA's (war, keystore); undefined for a version the
 * catalog does not know (a rule says so).
 */
export function declaredArtifact(p: Profile, src: ArtifactSource): Artifact | undefined {
  const own = p.artifacts[src.name];
  if (own) return own;
  if (src.kind) return lookup(src.kind, src.version!);
  return src.name === 'war' ? coccaDownloads.war[p.role] : coccaDownloads.keystore;
}

/** Each artifact the stack downloads. */
export function artifactSources(p: Profile): ArtifactSource[] {
  return ARTIFACT_NAMES.map((name) => artifactSource(p, name));
}

function checkArtifact(p: Profile, name: ArtifactName, report: Report): void {
  const src = artifactSource(p, name);
  const own = p.artifacts[src.name];
  if (own && !src.used) {
    report(['artifacts', src.name], 'warning', `artifacts.${src.name} is not used by this profile`, src.name === 'jdk' ? 'java.source is apt: remove artifacts.jdk, or set java.source: tarball' : 'openssl.enabled is false: remove artifacts.openssl');
    return;
  }
  if (!src.used) return;
  let art: Artifact | undefined = own;
  let at: PathSegment[] = ['artifacts', src.name, 'sha256'];
  if (!art && src.kind) {
    art = lookup(src.kind, src.version!);
    at = src.versionAt!;
    if (!art) {
      report(src.versionAt!, 'error', `the catalog has no ${src.name} ${src.version}`, `give its download as artifacts.${src.name}: {url: ..., sha256: ...}`);
      return;
    }
  }
  if (!art) return; // war and keystore default to CoCCA's downloads, which are unpinned
  if (art.sha256 === UNPINNED) {
    report(at, 'warning', `${src.name} download ${redactUrl(art.url)} is not pinned to a SHA-256`, `"cocca-bake lock" pins it in ${LOCK_FILE} (docs/lock.md); or download it once, check it, and set artifacts.${src.name}.sha256`);
  }
}

function checkCoccaDownloads(p: Profile, _os: OsModule, report: Report): void {
  for (const name of ['war', 'keystore'] as const) {
    if (!p.artifacts[name]) {
      report(['artifacts'], 'warning', `${name} comes from CoCCA's latest download, which is not pinned to a SHA-256`, `"cocca-bake lock" pins it in ${LOCK_FILE} (docs/lock.md); or set artifacts.${name}: {url, sha256} to a copy you checked`);
    }
  }
}

const TARGET_IMAGE = { aws: 'AMI', qemu: 'qcow2' } as const;

/** Every target's login user is allowed in, and is the one its image has. */
function checkLoginUsers(p: Profile, os: OsModule, report: Report): void {
  if (p.ssh.loginUser === 'root') report(['ssh', 'loginUser'], 'error', 'root cannot be the login user: PermitRootLogin is off', `use the image's default user (${describeUsers(os)})`);
  const seen = new Set<string>();
  for (const { target, user } of loginUsers(p, os)) {
    if (seen.has(user) || p.ssh.allowUsers.includes(user)) continue;
    seen.add(user);
    report(
      ['ssh', 'allowUsers'],
      'error',
      `AllowUsers leaves out ${JSON.stringify(user)}, the user the ${TARGET_IMAGE[target]} (${os.name}) is provisioned and reached with`,
      `add ${user} to ssh.allowUsers${p.ssh.loginUser ? '' : ', or set ssh.loginUser'}`,
    );
  }
  const user = p.ssh.loginUser;
  if (!user || user === 'root') return;
  const custom = p.targets.qemu && p.targets.qemu.baseImage.url !== os.cloudImage.url;
  if (!Object.values(os.users).includes(user)) {
    report(
      ['ssh', 'loginUser'],
      custom && !p.targets.aws ? 'warning' : 'error',
      `nothing creates ${JSON.stringify(user)} on ${os.name} images: the profile's ssh keys go to the image's default user (${describeUsers(os)})`,
      custom && !p.targets.aws ? 'make sure your base image creates this user' : 'remove ssh.loginUser to use the image\'s own user',
    );
    return;
  }
  // One image's user is not the other's: Debian's AMI has admin, its qcow2 debian.
  for (const target of (['aws', 'qemu'] as const).filter((t) => p.targets[t] && os.users[t] !== user)) {
    const mine = target === 'qemu' && custom;
    report(
      ['ssh', 'loginUser'],
      mine ? 'warning' : 'error',
      `${JSON.stringify(user)} is the user of ${os.name}'s ${TARGET_IMAGE[target === 'aws' ? 'qemu' : 'aws']}, not of its ${TARGET_IMAGE[target]}: nothing creates it there, and the profile's ssh keys go to ${os.users[target]}`,
      mine ? 'make sure your base image creates this user' : `remove ssh.loginUser: each image is then reached with its own user (${describeUsers(os)})`,
    );
  }
}

/** AllowUsers may name more users than the images have: someone else must create them (a warning). */
function checkAllowedUsers(p: Profile, os: OsModule, report: Report): void {
  const login = new Set(loginUsers(p, os).map((u) => u.user));
  p.ssh.allowUsers.forEach((user, i) => {
    if (user === 'root' || login.has(user)) return;
    // By image, one phrase for the OSes whose images share the user (debian-12's and debian-13's AMI).
    const owner = (['aws', 'qemu'] as const)
      .map((t) => ({ t, names: OS_MODULES.filter((m) => m.users[t] === user).map((m) => `${m.name}'s`) }))
      .filter((o) => o.names.length > 0)
      .map((o) => `${o.names.join(' and ')} ${TARGET_IMAGE[o.t]}`);
    report(
      ['ssh', 'allowUsers', i],
      'warning',
      owner.length > 0
        ? `${JSON.stringify(user)} is the user of ${owner.join(' and ')}, not of the images this profile makes: nothing creates it here`
        : `nothing creates ${JSON.stringify(user)} on ${os.name} images: AllowUsers lets it in only once something else does`,
      `remove it, or create the user yourself; the login user ${[...login].join(' and ')} gets the profile's ssh keys`,
    );
  });
}

const describeUsers = (os: OsModule): string => (os.users.aws === os.users.qemu ? os.users.aws : `${os.users.aws} for the AMI, ${os.users.qemu} for the qcow2`);
