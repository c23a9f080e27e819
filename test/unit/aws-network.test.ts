// targets.aws.network (generator/profile/aws-network.ts) and what render makes of it: the rules as
// a table of profile fragments, the HCL each option becomes, the KMS key form per Packer flavor,
// the root device per OS, the README beside the HCL and `render --packer-version auto`.
// `packer validate` on these renders: test/real/aws-network.test.ts.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { RenderError, renderOutputs } from '../../generator/emit/output.js';
import { plan } from '../../generator/components/index.js';
import { packerHcl, type PackerFlavor } from '../../generator/emit/packer.js';
import { sshSource } from '../../generator/profile/aws-network.js';
import { runCli } from '../helpers/outputs.js';
import { checkFragment, expectFindings, tempTree, type Fragment, type Want } from './profile-helpers.js';

const E = 'error' as const;
const W = 'warning' as const;

/** A fragment under targets.aws of the clean base (region eu-west-1, trusted 198.51.100.0/24 and an IPv6 net); line 4 is `targets:`. */
const net = (lines: string) => `targets:\n  aws:\n    network:\n${lines.replace(/^/gm, '      ')}\n`;

interface Row extends Fragment {
  name: string;
  want: Want[];
}

const rules: Row[] = [
  { name: 'no network: fine', yaml: 'targets:\n  aws:\n    region: eu-west-1\n', want: [] },
  { name: 'a subnet and a VPC by id, reached over the private IP: fine', yaml: net('subnetId: subnet-0123456789abcdef0\nvpcId: vpc-0123abcd\nassociatePublicIp: false\nconnect: private-ip'), want: [] },
  {
    name: 'a subnet by id and by filter',
    yaml: net('subnetId: subnet-0123abcd\nsubnetFilter: {filters: {"tag:Name": build}}'),
    want: [[E, 'targets.aws.network.subnetFilter', 8, 21, 'subnetId and subnetFilter both pick the subnet']],
  },
  {
    name: 'security groups by id and by filter',
    yaml: net('securityGroupIds: [sg-0123abcd]\nsecurityGroupFilter: {filters: {"tag:Name": build}}'),
    want: [[E, 'targets.aws.network.securityGroupFilter', 8, 28, 'securityGroupIds and securityGroupFilter both pick the security groups']],
  },
  { name: 'mostFree and random together', yaml: net('subnetFilter: {filters: {"tag:Name": build}, mostFree: true, random: true}'), want: [[E, 'targets.aws.network.subnetFilter', 7, 21, 'mostFree and random both choose among the matching subnets']] },
  {
    name: 'session-manager without an instance profile',
    yaml: net('connect: session-manager'),
    want: [[E, 'targets.aws.network.connect', 7, 16, 'connect session-manager needs targets.aws.network.instanceProfile: the SSM agent on the build instance registers with its role']],
  },
  { name: 'session-manager with an instance profile and no public IP: fine', yaml: net('connect: session-manager\ninstanceProfile: cocca-build\nassociatePublicIp: false'), want: [] },
  {
    name: 'public-ip with no public IP',
    yaml: net('connect: public-ip\nassociatePublicIp: false'),
    want: [[E, 'targets.aws.network.associatePublicIp', 8, 26, 'Packer reaches the build instance over its public IP (connect public-ip), and associatePublicIp: false gives it none']],
  },
  { name: "no public IP and Packer's choice of address (the private one): fine", yaml: net('associatePublicIp: false'), want: [] },
  { name: 'explicit IPv4 sources: fine', yaml: net('sshSourceCidrs: [203.0.113.0/24, 192.0.2.7]'), want: [] },
  {
    name: 'an explicit 0.0.0.0/0 source (warning)',
    yaml: net('sshSourceCidrs: [0.0.0.0/0]'),
    want: [[W, 'targets.aws.network.sshSourceCidrs', 7, 23, 'port 22 of the build instance is open to every IPv4 address for the whole bake (0.0.0.0/0)']],
  },
  {
    name: 'every IPv4 address in two halves (warning)',
    yaml: net('sshSourceCidrs: [0.0.0.0/1, 128.0.0.0/1]'),
    want: [[W, 'targets.aws.network.sshSourceCidrs', 7, 23, 'port 22 of the build instance is open to every IPv4 address for the whole bake (0.0.0.0/1, 128.0.0.0/1)']],
  },
  {
    name: 'an IPv6 source, ::/0 among them',
    yaml: net('sshSourceCidrs: ["::/0", 2001:db8::/32]'),
    want: [
      [E, 'targets.aws.network.sshSourceCidrs[0]', 7, 24, '"::/0" is IPv6: Packer\'s temporary security group takes IPv4 sources only'],
      [E, 'targets.aws.network.sshSourceCidrs[1]', 7, 32, '"2001:db8::/32" is IPv6: Packer\'s temporary security group takes IPv4 sources only'],
    ],
  },
  {
    name: 'a source that is no network, and one with host bits',
    yaml: net('sshSourceCidrs: [office, 203.0.113.7/24]'),
    want: [
      [E, 'targets.aws.network.sshSourceCidrs[0]', 7, 24, '"office" is not an IPv4 address or network'],
      [E, 'targets.aws.network.sshSourceCidrs[1]', 7, 32, '"203.0.113.7/24" has bits set beyond its /24 prefix'],
    ],
  },
  {
    name: 'sources beside the profile\'s own security groups (warning: unused)',
    yaml: net('securityGroupIds: [sg-0123abcd]\nsshSourceCidrs: [203.0.113.0/24]'),
    want: [[W, 'targets.aws.network.sshSourceCidrs', 8, 23, 'sshSourceCidrs is not used: Packer makes no temporary security group when it is given security groups']],
  },
  {
    name: 'sources with session-manager (warning: unused)',
    yaml: net('connect: session-manager\ninstanceProfile: cocca-build\nsshSourceCidrs: [203.0.113.0/24]'),
    want: [[W, 'targets.aws.network.sshSourceCidrs', 9, 23, 'sshSourceCidrs is not used: with connect session-manager Packer opens no inbound port']],
  },
  {
    name: "the Packer host's address (warning: modern Packer only)",
    yaml: net('sshSourceMyIp: true'),
    want: [[W, 'targets.aws.network.sshSourceMyIp', 7, 22, 'sshSourceMyIp needs Packer 1.7 or later with the Amazon plugin: a render for Packer 1.6.6 refuses it']],
  },
  {
    name: "the Packer host's address and CIDRs",
    yaml: net('sshSourceCidrs: [203.0.113.0/24]\nsshSourceMyIp: true'),
    want: [
      [E, 'targets.aws.network.sshSourceMyIp', 8, 22, 'sshSourceMyIp and sshSourceCidrs both set the ssh source (Packer would ignore sshSourceMyIp)'],
      [W, 'targets.aws.network.sshSourceMyIp', 8, 22, 'sshSourceMyIp needs Packer 1.7 or later with the Amazon plugin: a render for Packer 1.6.6 refuses it'],
    ],
  },
  {
    name: 'IPv6-only trusted networks leave the temporary group without a source',
    yaml: 'firewall:\n  trusted: [2001:db8:cc::/48]\n',
    want: [[E, 'targets.aws', 20, 5, "the build instance's temporary security group has no IPv4 source: Packer would open port 22 to 0.0.0.0/0 for the whole bake (firewall.trusted lists IPv6 networks only)", 'base.yaml']],
  },
  { name: 'IPv6-only trusted networks with explicit IPv4 sources: fine', yaml: `firewall:\n  trusted: [2001:db8:cc::/48]\n${net('sshSourceCidrs: [203.0.113.0/24]')}`, want: [] },
  { name: 'IPv6-only trusted networks with session-manager: fine', yaml: `firewall:\n  trusted: [2001:db8:cc::/48]\n${net('connect: session-manager\ninstanceProfile: cocca-build')}`, want: [] },
  {
    name: 'a multi-Region KMS key (warning: modern Packer only)',
    yaml: 'targets:\n  aws:\n    kmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd\n',
    want: [[W, 'targets.aws.kmsKeyId', 6, 15, 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd is a multi-Region key: Packer 1.6.6 refuses it ("not a valid KMS Key Id"), so it needs Packer 1.7 or later with the Amazon plugin']],
  },
  { name: 'a KMS alias: fine', yaml: 'targets:\n  aws:\n    kmsKeyId: alias/cocca\n', want: [] },
];

describe('targets.aws.network rules through checkProfile', () => {
  it.each(rules)('$name', (row) => {
    const r = checkFragment(row);
    expectFindings(r.findings, r.dir, row.want);
  });

  it('the schema refuses malformed ids and filters with unknown keys', () => {
    const r = checkFragment({ yaml: net('subnetId: subnet-XYZ\nvpcFilter: {filters: {}}\nsecurityGroupFilter: {tags: {a: b}}\nconnect: ssh') });
    expect(r.profile).toBeUndefined();
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.path)).toEqual([
      'targets.aws.network.subnetId',
      'targets.aws.network.vpcFilter.filters',
      'targets.aws.network.securityGroupFilter.filters',
      'targets.aws.network.securityGroupFilter.tags',
      'targets.aws.network.connect',
    ]);
  });
});

/** The amazon-ebs source of a fragment's render, as HashiCorp's parser reads it. */
async function awsSource(fragment: string, flavor: PackerFlavor): Promise<Record<string, unknown>> {
  const r = checkFragment({ yaml: fragment });
  expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  const json = (await parse('cocca.pkr.hcl', packerHcl(r.profile!, r.os!, flavor)!)) as { source: Record<string, Record<string, Array<Record<string, unknown>>>> };
  return json.source['amazon-ebs']!.cocca![0]!;
}

const NETWORK_KEYS = ['subnet_id', 'subnet_filter', 'vpc_id', 'vpc_filter', 'security_group_ids', 'security_group_filter', 'associate_public_ip_address', 'ssh_interface', 'iam_instance_profile', 'temporary_security_group_source_cidrs', 'temporary_security_group_source_public_ip'];
const networkOf = (src: Record<string, unknown>) => Object.fromEntries(Object.entries(src).filter(([k]) => NETWORK_KEYS.includes(k)));

describe('what render writes for each networking option', () => {
  it.each(['modern', 'legacy'] as const)("%s: by default Packer picks the address, port 22 open to the trusted IPv4 networks only", async (flavor) => {
    expect(networkOf(await awsSource('description: x\n', flavor))).toEqual({ temporary_security_group_source_cidrs: ['198.51.100.0/24'] });
  });

  it('a single trusted address becomes a /32, duplicates go', async () => {
    const src = await awsSource('firewall:\n  trusted: [203.0.113.9, 203.0.113.9/32, 192.0.2.0/24, "2001:db8::/32"]\n', 'legacy');
    expect(src.temporary_security_group_source_cidrs).toEqual(['203.0.113.9/32', '192.0.2.0/24']);
  });

  it('ids, a public address and explicit sources', async () => {
    const src = await awsSource(net('subnetId: subnet-0123abcd\nvpcId: vpc-0123abcd\nassociatePublicIp: true\nsshSourceCidrs: [203.0.113.7]'), 'legacy');
    expect(networkOf(src)).toEqual({ subnet_id: 'subnet-0123abcd', vpc_id: 'vpc-0123abcd', associate_public_ip_address: true, temporary_security_group_source_cidrs: ['203.0.113.7/32'] });
    const explicit = await awsSource(net('connect: public-ip\nsshSourceCidrs: [203.0.113.7]'), 'modern');
    expect(networkOf(explicit)).toEqual({ ssh_interface: 'public_ip', temporary_security_group_source_cidrs: ['203.0.113.7/32'] });
  });

  it('filters become Packer filter blocks; own security groups need no source', async () => {
    const src = await awsSource(net('subnetFilter: {filters: {"tag:Name": "build-*"}, mostFree: true}\nvpcFilter: {filters: {"tag:Env": prod, isDefault: "false"}}\nsecurityGroupFilter: {filters: {group-name: cocca-build}}\nconnect: private-ip'), 'modern');
    expect(networkOf(src)).toEqual({
      subnet_filter: [{ filters: { 'tag:Name': 'build-*' }, most_free: true }],
      vpc_filter: [{ filters: { 'tag:Env': 'prod', isDefault: 'false' } }],
      security_group_filter: [{ filters: { 'group-name': 'cocca-build' } }],
      ssh_interface: 'private_ip',
    });
  });

  it('session-manager: the instance profile, no inbound source at all', async () => {
    const src = await awsSource(net('connect: session-manager\ninstanceProfile: cocca-build\nassociatePublicIp: false'), 'legacy');
    expect(networkOf(src)).toEqual({ associate_public_ip_address: false, ssh_interface: 'session_manager', iam_instance_profile: 'cocca-build' });
  });

  it("the Packer host's address: modern only; the legacy render refuses it with a RenderError", async () => {
    expect(networkOf(await awsSource(net('sshSourceMyIp: true'), 'modern'))).toEqual({ temporary_security_group_source_public_ip: true });
    const r = checkFragment({ yaml: net('sshSourceMyIp: true') });
    expect(() => packerHcl(r.profile!, r.os!, 'legacy')).toThrow(RenderError);
    expect(() => packerHcl(r.profile!, r.os!, 'legacy')).toThrow(/sshSourceMyIp needs Packer 1\.7 or later/);
  });

  it('the default source never is 0.0.0.0/0, and a profile without one never reaches render', () => {
    const r = checkFragment({ yaml: 'firewall:\n  trusted: [2001:db8:cc::/48]\n' });
    expect(r.profile).toBeUndefined();
    const ok = checkFragment({ yaml: 'description: x\n' });
    expect(sshSource(ok.profile!)).toEqual({ kind: 'cidrs', cidrs: ['198.51.100.0/24'], from: 'firewall.trusted' });
  });
});

describe('KMS key forms per Packer flavor', () => {
  const mrk = 'targets:\n  aws:\n    kmsKeyId: mrk-1234abcd5678\n';
  it('modern writes a multi-Region key as given', async () => {
    expect((await awsSource(mrk, 'modern')).kms_key_id).toBe('mrk-1234abcd5678');
  });
  it('legacy refuses it with a RenderError that says what to do, before anything is written', () => {
    const r = checkFragment({ yaml: mrk });
    expect(() => renderOutputs(r.profile!, r.os!, plan(r.profile!, r.os!), { packerFlavor: 'legacy' })).toThrow(RenderError);
    expect(() => renderOutputs(r.profile!, r.os!, plan(r.profile!, r.os!), { packerFlavor: 'legacy' })).toThrow(/mrk-1234abcd5678 is a multi-Region key, which Packer 1\.6\.6 refuses .*alias\/NAME/);
  });
  it('legacy takes an alias', async () => {
    expect((await awsSource('targets:\n  aws:\n    kmsKeyId: alias/cocca\n', 'legacy')).kms_key_id).toBe('alias/cocca');
  });
  it('the CLI refuses the legacy render with exit 1, one line, nothing written', async () => {
    const dir = tempTree({ 'base.yaml': readFileSync(path.join(path.dirname(checkFragment({ yaml: 'description: x\n' }).base), 'base.yaml'), 'utf8'), 'p.yaml': `apiVersion: cocca-bake/v1\nextends: base.yaml\nname: t\n${mrk}` });
    const out = path.join(dir, 'out');
    const r = await runCli(['render', path.join(dir, 'p.yaml'), '--out', out, '--packer-version', '1.6.6']);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/^cocca-bake: t: targets\.aws\.kmsKeyId mrk-1234abcd5678 is a multi-Region key/m);
    expect(String(r.stderr)).not.toMatch(/at .*\.js|internal error/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('root device per OS image', () => {
  it.each([
    ['ubuntu-22.04', '/dev/sda1'],
    ['debian-12', '/dev/xvda'],
  ])('%s: the root volume is mapped on %s', async (os, device) => {
    const src = await awsSource(`os: ${os}\n`, 'legacy');
    expect((src.launch_block_device_mappings as Array<Record<string, unknown>>).map((m) => m.device_name)).toEqual([device]);
  });
});

describe('packer/README.md beside the HCL', () => {
  it('says how to run plain packer build for each target, and holds no password', () => {
    const r = checkFragment({ yaml: 'targets:\n  qemu:\n    baseImage: {url: "https://mirror.example/base.img", sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n' });
    for (const flavor of ['modern', 'legacy'] as const) {
      const files = new Map(renderOutputs(r.profile!, r.os!, plan(r.profile!, r.os!), { packerFlavor: flavor }).files.map((f) => [f.path, f.data.toString('utf8')]));
      const readme = files.get('packer/README.md')!;
      expect(readme).toContain("PKR_VAR_ami_regions='[]' packer build -only=cocca-t.amazon-ebs.cocca .");
      expect(readme).toContain('packer build -only=cocca-t.qemu.cocca .');
      expect(readme).toContain('export PKR_VAR_build_password=');
      expect(readme.includes('packer init .')).toBe(flavor === 'modern');
      // The manifest lists it like every other file.
      expect(JSON.parse(files.get('manifest.json')!).files.map((f: { path: string }) => f.path)).toContain('packer/README.md');
    }
  });

  it("the README's qemu recipe turns the rendered seed into one whose user logs in with the password", async () => {
    const r = checkFragment({ yaml: 'targets:\n  qemu:\n    baseImage: {url: "https://mirror.example/base.img", sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n' });
    const files = renderOutputs(r.profile!, r.os!, plan(r.profile!, r.os!), { packerFlavor: 'legacy' }).files;
    const dir = tempTree({});
    writeFileSync(path.join(dir, 'user-data'), files.find((f) => f.path === 'packer/seed/user-data')!.data);
    const readme = files.find((f) => f.path === 'packer/README.md')!.data.toString('utf8');
    const recipe = /```sh\n(export PKR_VAR_build_password[\s\S]*?)\npacker build/.exec(readme)![1]!.replace('seed/user-data', 'user-data');
    const { execa } = await import('execa');
    const run = await execa('bash', ['-euc', `${recipe}\nprintf %s "$PKR_VAR_build_password"`], { cwd: dir });
    const password = run.stdout;
    const { load } = await import('js-yaml');
    const seed = load(readFileSync(path.join(dir, 'user-data'), 'utf8')) as { users: Array<{ lock_passwd: boolean; passwd: string }> };
    expect(seed.users[0]!.lock_passwd).toBe(false);
    const salt = seed.users[0]!.passwd.split('$')[2]!;
    const again = await execa('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: password });
    expect(again.stdout.trim()).toBe(seed.users[0]!.passwd);
  });
});

describe('render --packer-version auto (the default)', () => {
  const fakePacker = (version: string) => {
    const dir = tempTree({});
    const file = path.join(dir, 'packer');
    writeFileSync(file, `#!/bin/sh\n[ "$1" = version ] && echo "Packer v${version}"\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const flavorOf = (out: string) => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).packerFlavor as string;

  it.each([
    ['1.6.6', 'legacy'],
    ['1.11.2', 'modern'],
  ])('follows the Packer found (%s: %s), and says so', async (version, flavor) => {
    const out = path.join(tempTree({}), 'out');
    const r = await runCli(['render', 'profiles/af-south-1.yaml', '--out', out], { env: { COCCA_PACKER: fakePacker(version) } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(flavorOf(out)).toBe(flavor);
    expect(String(r.stderr)).toContain(`note: Packer ${version} found`);
  });

  it("renders the modern flavor with a one-line note where there is no Packer (the README's first command)", async () => {
    const out = path.join(tempTree({}), 'out');
    const r = await runCli(['render', 'profiles/af-south-1.yaml', '--out', out], { env: { COCCA_PACKER: path.join(tempTree({}), 'no-packer-here') } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(flavorOf(out)).toBe('modern');
    expect(String(r.stderr).split('\n').filter((l) => l.startsWith('note: no Packer found'))).toHaveLength(1);
  });

  it('an explicit version still decides, whatever Packer is found', async () => {
    const out = path.join(tempTree({}), 'out');
    const r = await runCli(['render', 'profiles/af-south-1.yaml', '--out', out, '--packer-version', '1.6.6'], { env: { COCCA_PACKER: fakePacker('1.11.2') } });
    expect(r.exitCode).toBe(0);
    expect(flavorOf(out)).toBe('legacy');
    expect(String(r.stderr)).not.toContain('found');
  });

  it('a bad version is a usage error (exit 2) naming auto', async () => {
    const r = await runCli(['render', 'profiles/af-south-1.yaml', '--out', path.join(tempTree({}), 'out'), '--packer-version', 'newest']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/--packer-version: not a Packer version: "newest" \(auto, or a version such as 1\.6\.6 or 1\.10\.0\)/);
  });

  it('--help names auto as the default', async () => {
    const r = await runCli(['render', '--help']);
    expect(String(r.stdout).replace(/\s+/g, ' ')).toMatch(/--packer-version <version> the Packer that will run the HCL: auto .* \(default: "auto"\)/);
  });
});
