// Where the AMI's build instance runs and who may reach it (targets.aws.network): what the
// profile means for Packer's amazon-ebs networking, and the rules that keep it private.
//
// Packer makes a temporary security group unless it is given one, and opens the ssh port in it
// to 0.0.0.0/0 unless told a source: cocca-bake always tells it one (the profile's
// sshSourceCidrs, else firewall.trusted's IPv4 networks, or the Packer host's own address), or
// refuses the profile. Packer puts each source in an IPv4 rule (EC2's CidrIp), so only IPv4
// networks can be sources.
import type { OsModule } from '../os/types.js';
import type { PathSegment } from './findings.js';
import { coversEveryAddress, hasHostBits, networkOf, parseCidr, type Cidr } from './net.js';
import type { Report, Rule } from './rules.js';
import type { AwsConnect, AwsTarget, Profile } from './types.js';

const AT: PathSegment[] = ['targets', 'aws', 'network'];

/** Absent: Packer's own choice, the public IP when the instance has one, else the private IP. */
export const connectOf = (aws: AwsTarget): AwsConnect | undefined => aws.network?.connect;

/** Whether Packer is given security groups, so makes no temporary one. */
export const hasOwnSecurityGroups = (aws: AwsTarget): boolean => Boolean(aws.network?.securityGroupIds || aws.network?.securityGroupFilter);

/** Who may reach the build instance's ssh port through Packer's temporary security group. */
export type SshSource =
  /** No inbound rule is made: the profile's own groups decide, or Session Manager needs none. */
  | { kind: 'none'; because: 'security-groups' | 'session-manager' }
  | { kind: 'cidrs'; cidrs: string[]; from: 'sshSourceCidrs' | 'firewall.trusted' }
  /** The public address of the machine running Packer, as checkip.amazonaws.com sees it. */
  | { kind: 'packer-host' }
  /** Nothing to restrict it to: Packer would open the port to 0.0.0.0/0, so the rules refuse it. */
  | { kind: 'unrestricted' };

const ipv4Networks = (texts: readonly string[]): Cidr[] =>
  texts.map(parseCidr).filter((c): c is Cidr => c !== undefined && c.family === 4 && !hasHostBits(c));

export function sshSource(p: Profile): SshSource | undefined {
  const aws = p.targets.aws;
  if (!aws) return undefined;
  const net = aws.network ?? {};
  if (hasOwnSecurityGroups(aws)) return { kind: 'none', because: 'security-groups' };
  if (connectOf(aws) === 'session-manager') return { kind: 'none', because: 'session-manager' };
  if (net.sshSourceCidrs) return { kind: 'cidrs', cidrs: ipv4Networks(net.sshSourceCidrs).map(networkOf), from: 'sshSourceCidrs' };
  if (net.sshSourceMyIp) return { kind: 'packer-host' };
  const trusted = ipv4Networks(p.firewall.trusted).map(networkOf);
  return trusted.length > 0 ? { kind: 'cidrs', cidrs: [...new Set(trusted)], from: 'firewall.trusted' } : { kind: 'unrestricted' };
}

function checkOneOf(p: Profile, _os: OsModule, report: Report): void {
  const net = p.targets.aws?.network;
  if (!net) return;
  for (const [id, filter] of [['subnetId', 'subnetFilter'], ['vpcId', 'vpcFilter'], ['securityGroupIds', 'securityGroupFilter']] as const) {
    if (net[id] !== undefined && net[filter] !== undefined) report([...AT, filter], 'error', `${id} and ${filter} both pick the ${id.replace(/Ids?$/, '').replace('securityGroup', 'security groups')}`, `keep one of them (Packer takes ${id} and ignores the filter)`);
  }
  if (net.subnetFilter?.mostFree && net.subnetFilter.random) report([...AT, 'subnetFilter'], 'error', 'mostFree and random both choose among the matching subnets', 'keep one of them');
}

function checkConnect(p: Profile, _os: OsModule, report: Report): void {
  const aws = p.targets.aws;
  const net = aws?.network;
  if (!aws || !net) return;
  const connect = connectOf(aws);
  if (connect === 'session-manager' && !net.instanceProfile) {
    report([...AT, 'connect'], 'error', 'connect session-manager needs targets.aws.network.instanceProfile: the SSM agent on the build instance registers with its role', 'name an instance profile whose role has the AmazonSSMManagedInstanceCore policy (docs/aws.md, "Network placement")');
  }
  if (connect === 'public-ip' && net.associatePublicIp === false) {
    report([...AT, 'associatePublicIp'], 'error', 'Packer reaches the build instance over its public IP (connect public-ip), and associatePublicIp: false gives it none', 'set connect: private-ip or session-manager, or remove associatePublicIp');
  }
}

function checkSourceSettings(p: Profile, _os: OsModule, report: Report): void {
  const aws = p.targets.aws;
  const net = aws?.network;
  if (!aws || !net) return;
  const given = (['sshSourceCidrs', 'sshSourceMyIp'] as const).filter((k) => net[k] !== undefined && net[k] !== false);
  for (const key of given) {
    if (hasOwnSecurityGroups(aws)) report([...AT, key], 'warning', `${key} is not used: Packer makes no temporary security group when it is given security groups`, 'remove it; the groups you name decide who reaches the build instance');
    else if (connectOf(aws) === 'session-manager') report([...AT, key], 'warning', `${key} is not used: with connect session-manager Packer opens no inbound port`, 'remove it');
  }
  if (net.sshSourceCidrs && net.sshSourceMyIp) report([...AT, 'sshSourceMyIp'], 'error', 'sshSourceMyIp and sshSourceCidrs both set the ssh source (Packer would ignore sshSourceMyIp)', 'keep one of them');
  if (net.sshSourceMyIp) {
    report([...AT, 'sshSourceMyIp'], 'warning', 'sshSourceMyIp needs Packer 1.7 or later with the Amazon plugin: a render for Packer 1.6.6 refuses it', 'with Packer 1.6.6 list the build machine\'s network in sshSourceCidrs instead');
  }
}

function checkSourceCidrs(p: Profile, _os: OsModule, report: Report): void {
  const cidrs = p.targets.aws?.network?.sshSourceCidrs;
  if (!cidrs) return;
  const at = [...AT, 'sshSourceCidrs'];
  cidrs.forEach((text, i) => {
    const c = parseCidr(text);
    if (!c) report([...at, i], 'error', `${JSON.stringify(text)} is not an IPv4 address or network`, 'write a network like 203.0.113.0/24, or one address');
    else if (c.family === 6) report([...at, i], 'error', `${JSON.stringify(text)} is IPv6: Packer's temporary security group takes IPv4 sources only`, 'list the IPv4 networks the build machine comes from, or use connect: session-manager');
    else if (hasHostBits(c)) report([...at, i], 'error', `${JSON.stringify(text)} has bits set beyond its /${c.prefix} prefix`, `did you mean ${networkOf(c)}, or the single address /32?`);
  });
}

/** The one thing the network settings must never do: open the build's ssh port to everybody. */
function checkOpenToTheWorld(p: Profile, _os: OsModule, report: Report): void {
  const source = sshSource(p);
  if (!source) return;
  if (source.kind === 'unrestricted') {
    // An empty or unreadable trusted list has its own errors (rules.ts); this is for IPv6 only.
    const trusted = p.firewall.trusted.map(parseCidr);
    if (trusted.length === 0 || trusted.some((c) => !c || hasHostBits(c))) return;
    report(['targets', 'aws'], 'error', 'the build instance\'s temporary security group has no IPv4 source: Packer would open port 22 to 0.0.0.0/0 for the whole bake (firewall.trusted lists IPv6 networks only)', 'set targets.aws.network.sshSourceCidrs to the build machine\'s IPv4 network, or connect: session-manager');
    return;
  }
  // firewall.trusted has its own warning for the whole Internet (rules.ts): said once is enough.
  if (source.kind !== 'cidrs' || source.from !== 'sshSourceCidrs') return;
  const nets = source.cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const world = nets.some((c) => c.prefix === 0) || coversEveryAddress(nets, 4);
  if (!world) return;
  report([...AT, 'sshSourceCidrs'], 'warning', `port 22 of the build instance is open to every IPv4 address for the whole bake (${source.cidrs.join(', ')})`, 'list the build machine\'s network in targets.aws.network.sshSourceCidrs, or use connect: session-manager (no inbound port)');
}

/** A multi-Region KMS key id is refused by Packer 1.6.6's amazon-ebs (a key ARN or an alias is not). */
export const isMultiRegionKey = (keyId: string): boolean => /(^|key\/)mrk-/.test(keyId);

function checkKmsKeyForm(p: Profile, _os: OsModule, report: Report): void {
  const key = p.targets.aws?.kmsKeyId;
  if (key && !p.targets.aws!.public && isMultiRegionKey(key)) {
    report(['targets', 'aws', 'kmsKeyId'], 'warning', `${key} is a multi-Region key: Packer 1.6.6 refuses it ("not a valid KMS Key Id"), so it needs Packer 1.7 or later with the Amazon plugin`, 'with Packer 1.6.6 name the key by an alias (alias/NAME), and each copy\'s key in copyKmsKeyIds');
  }
}

export const AWS_NETWORK_RULES: readonly Rule[] = [checkOneOf, checkConnect, checkSourceSettings, checkSourceCidrs, checkOpenToTheWorld, checkKmsKeyForm];
