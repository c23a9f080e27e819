// Packer HCL, built as a model and written by the HCL writer. The build uploads the same
// instance files the full user-data writes, then runs the same bake and seal steps.
//   modern: Packer 1.10 and later (required_plugins, IMDSv2 options).
//   legacy: Packer 1.6.6 as Debian and Ubuntu ship it (no required_plugins, no metadata_options).
import type { OsModule } from '../os/types.js';
import type { ResolvedProfile } from '../profile/types.js';
import { UNPINNED } from '../catalog.js';
import { connectOf, isMultiRegionKey, sshSource } from '../profile/aws-network.js';
import type { AwsFilter } from '../profile/types.js';
import { RenderError } from './errors.js';
import { BUILD_USER } from '../build-user.js';
import { IMAGE_PACKAGES, runPhase } from '../instance/paths.js';
import { COCCA_BAKE_VERSION } from '../version.js';
import { attr, block, expr, goTemplate, renderHcl, type HclBlock, type HclBody } from './hcl.js';

export type PackerFlavor = 'modern' | 'legacy';
export const UPLOAD_DIR = '/tmp/cocca';
const SEAL = runPhase('seal');

/**
 * The profile values this emitter writes into HCL strings (`[]`: each item of a list). HCL
 * hands Packer every string in NFC, and Packer evaluates them as Go templates: validate holds
 * these values to both (generator/check/strings.ts), so each arrives as written.
 */
export const HCL_FIELDS: readonly string[] = [
  'name',
  'role',
  'os',
  'ssh.loginUser',
  'java.version',
  'java.package',
  'resin.version',
  'openssl.version',
  'jdbc.version',
  'targets.aws.region',
  'targets.aws.instanceType',
  'targets.aws.kmsKeyId',
  'targets.aws.shareWith[]',
  'targets.aws.copyTo[]',
  'targets.aws.network.subnetId',
  'targets.aws.network.vpcId',
  'targets.aws.network.securityGroupIds[]',
  'targets.aws.network.instanceProfile',
  'targets.aws.network.sshSourceCidrs[]',
  'targets.qemu.baseImage.url',
  'targets.qemu.baseImage.sha256',
  'targets.qemu.qemuArgs[][]',
];

/** Maps whose every value goes into HCL strings (their keys are plain ASCII by the schema). */
export const HCL_MAP_FIELDS: readonly string[] = [
  'targets.aws.network.subnetFilter.filters',
  'targets.aws.network.vpcFilter.filters',
  'targets.aws.network.securityGroupFilter.filters',
];

/**
 * What a qemuArgs item may reference: the values Packer's qemu builder gives qemuargs when it
 * starts the VM (builder/qemu step_run.go), e.g. the forwarded ssh port for -netdev hostfwd.
 */
export const QEMU_ARGS_FIELDS = ['SSHHostPort', 'Name', 'OutputDir', 'HTTPIP', 'HTTPPort', 'HTTPDir'] as const;

/** The version `packer version` prints ("Packer v1.6.6"), or undefined. */
export const packerVersionOf = (stdout: string): string | undefined => /Packer v?(\d+\.\d+\.\d+)/.exec(stdout)?.[1];

/** Packer before 1.7 has no `packer init`/required_plugins: it needs the legacy flavor. */
export function flavorFor(packerVersion: string): PackerFlavor {
  const m = /^v?(\d+)\.(\d+)/.exec(packerVersion.trim());
  if (!m) throw new Error(`not a Packer version: ${JSON.stringify(packerVersion)}`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && minor >= 7) ? 'modern' : 'legacy';
}

export function imageTags(p: ResolvedProfile): Record<string, string> {
  return {
    'cocca-bake:profile': p.name,
    'cocca-bake:role': p.role,
    'cocca-bake:version': COCCA_BAKE_VERSION,
    'cocca-bake:profile-digest': p.digest,
    'cocca-bake:os': p.os,
    'cocca-bake:postgres': String(p.postgres.version),
    // The java rules refuse java.source apt without a package.
    'cocca-bake:java': p.java.source === 'tarball' ? p.java.version : p.java.package!,
    'cocca-bake:resin': p.resin.version,
    'cocca-bake:openssl': p.openssl.enabled ? p.openssl.version : 'none',
    'cocca-bake:jdbc': p.jdbc.version,
  };
}

const SSH_INTERFACE = { 'public-ip': 'public_ip', 'private-ip': 'private_ip', 'session-manager': 'session_manager' } as const;

const filterBlock = (name: string, f: AwsFilter | undefined, extra: HclBody = []): HclBody => (f ? [block(name, [], [attr('filters', f.filters), ...extra])] : []);

/**
 * Where the build instance runs and how Packer reaches it (profile/aws-network.ts). Packer's own
 * default would open the ssh port to 0.0.0.0/0: a source is always written, or none is needed.
 */
function awsNetwork(p: ResolvedProfile, flavor: PackerFlavor): HclBody {
  const aws = p.targets.aws!;
  const net = aws.network ?? {};
  const source = sshSource(p)!;
  if (source.kind === 'unrestricted') throw new RenderError(`${p.name}: the build's temporary security group has no IPv4 source (validate refuses this profile)`);
  if (source.kind === 'packer-host' && flavor === 'legacy') {
    throw new RenderError(`${p.name}: targets.aws.network.sshSourceMyIp needs Packer 1.7 or later (Packer 1.6.6 has no temporary_security_group_source_public_ip); list the build machine's network in sshSourceCidrs, or render for a newer Packer`);
  }
  return [
    ...(net.subnetId ? [attr('subnet_id', net.subnetId)] : []),
    ...filterBlock('subnet_filter', net.subnetFilter, [
      ...(net.subnetFilter?.mostFree !== undefined ? [attr('most_free', net.subnetFilter.mostFree)] : []),
      ...(net.subnetFilter?.random !== undefined ? [attr('random', net.subnetFilter.random)] : []),
    ]),
    ...(net.vpcId ? [attr('vpc_id', net.vpcId)] : []),
    ...filterBlock('vpc_filter', net.vpcFilter),
    ...(net.securityGroupIds ? [attr('security_group_ids', net.securityGroupIds)] : []),
    ...filterBlock('security_group_filter', net.securityGroupFilter),
    ...(net.associatePublicIp !== undefined ? [attr('associate_public_ip_address', net.associatePublicIp)] : []),
    ...(connectOf(aws) ? [attr('ssh_interface', SSH_INTERFACE[connectOf(aws)!])] : []),
    ...(net.instanceProfile ? [attr('iam_instance_profile', net.instanceProfile)] : []),
    ...(source.kind === 'cidrs' ? [attr('temporary_security_group_source_cidrs', source.cidrs)] : []),
    ...(source.kind === 'packer-host' ? [attr('temporary_security_group_source_public_ip', true)] : []),
  ];
}

function awsSource(p: ResolvedProfile, os: OsModule, flavor: PackerFlavor): HclBlock | undefined {
  const aws = p.targets.aws;
  if (!aws) return undefined;
  if (flavor === 'legacy' && aws.kmsKeyId && !aws.public && isMultiRegionKey(aws.kmsKeyId)) {
    throw new RenderError(`${p.name}: targets.aws.kmsKeyId ${aws.kmsKeyId} is a multi-Region key, which Packer 1.6.6 refuses ("not a valid KMS Key Id"); name it by an alias (alias/NAME) with copyKmsKeyIds for the copies, or render for Packer 1.7 or later`);
  }
  const tags = imageTags(p);
  const body: HclBody = [
    attr('region', aws.region),
    attr('instance_type', aws.instanceType),
    attr('ssh_username', p.ssh.loginUser ?? os.users.aws),
    attr('ami_name', expr(`"cocca-${p.name}-\${local.stamp}"`)),
    attr('ami_description', `CoCCA registry (${p.role}) from cocca-bake profile ${p.name}`),
    // AWS cannot publish encrypted snapshots: a public image (warned about) is the one exception.
    attr('encrypt_boot', !aws.public),
    ...(aws.kmsKeyId && !aws.public ? [attr('kms_key_id', aws.kmsKeyId)] : []),
    attr('ami_users', aws.shareWith),
    attr('ami_groups', aws.public ? ['all'] : []),
    // `cocca-bake build` copies with the EC2 API instead (per-region outcomes) and sets this to [].
    attr('ami_regions', expr('var.ami_regions')),
    ...(flavor === 'modern' ? [attr('imds_support', 'v2.0')] : []),
    attr('tags', tags),
    attr('snapshot_tags', tags),
    attr('run_tags', { Name: `cocca-bake build ${p.name}` }),
    ...awsNetwork(p, flavor),
    block('source_ami_filter', [], [
      attr('filters', { name: os.awsBaseImage.namePattern, 'root-device-type': 'ebs', 'virtualization-type': 'hvm' }),
      attr('owners', [os.awsBaseImage.owner]),
      attr('most_recent', true),
    ]),
    block('launch_block_device_mappings', [], [
      attr('device_name', os.awsRootDevice),
      attr('volume_size', aws.volumeSizeGiB),
      attr('volume_type', aws.volumeType),
      // gp3's baseline; Packer 1.6.6 insists on both for gp3.
      ...(aws.volumeType === 'gp3' ? [attr('throughput', 125), attr('iops', 3000)] : []),
      attr('delete_on_termination', true),
    ]),
    // IMDSv2 only, during the build too (Packer 1.6.6 does not know these options).
    ...(flavor === 'modern'
      ? [block('metadata_options', [], [attr('http_endpoint', 'enabled'), attr('http_tokens', 'required'), attr('http_put_response_hop_limit', 1)])]
      : []),
  ];
  return block('source', ['amazon-ebs', 'cocca'], body);
}

function qemuSource(p: ResolvedProfile, os: OsModule): HclBlock | undefined {
  const q = p.targets.qemu;
  if (!q) return undefined;
  const checksum = q.baseImage.sha256 !== UNPINNED ? `sha256:${q.baseImage.sha256}` : q.baseImage.url === os.cloudImage.url ? `file:${os.cloudImage.checksumFile}` : `file:${q.baseImage.url.replace(/[^/]*$/, os.cloudImage.checksumFile.replace(/.*\//, ''))}`;
  return block('source', ['qemu', 'cocca'], [
    attr('iso_url', q.baseImage.url),
    attr('iso_checksum', checksum),
    attr('disk_image', true),
    attr('disk_size', `${q.diskSizeGiB}G`),
    attr('format', 'qcow2'),
    attr('disk_compression', true),
    attr('accelerator', q.accelerator),
    attr('headless', true),
    attr('memory', q.memoryMiB),
    attr('cpus', q.cpus),
    attr('output_directory', expr('var.qemu_output_dir')),
    attr('vm_name', `cocca-${p.name}.qcow2`),
    // A NoCloud seed creates the throwaway build user; generalize deletes it.
    attr('cd_files', ['seed/user-data', 'seed/meta-data']),
    attr('cd_label', 'cidata'),
    ...(q.qemuArgs.length > 0 ? [attr('qemuargs', q.qemuArgs.map((args) => args.map((a) => goTemplate(a, QEMU_ARGS_FIELDS))))] : []),
    attr('communicator', 'ssh'),
    attr('ssh_username', BUILD_USER),
    attr('ssh_password', expr('var.build_password')),
    attr('ssh_timeout', '30m'),
    // The seal runs last, as root, and removes the build user we are logged in as: so it is the
    // shutdown command itself. A failed seal leaves the VM up and the build fails on the timeout.
    attr('shutdown_command', `sudo bash -c '${SEAL} && poweroff'`),
    attr('shutdown_timeout', '15m'),
  ]);
}

/**
 * The build block's name. Packer names each build BUILD.TYPE.SOURCE, and `-only` must match that
 * whole name (Packer 1.6.6 builds nothing, successfully, for `-only=qemu.cocca`).
 */
export const packerBuildName = (p: ResolvedProfile): string => `cocca-${p.name}`;

/** Where the build downloads the image's package list (IMAGE_PACKAGES), relative to the Packer folder. */
export const PACKAGE_LIST_FILE = 'image-packages.tsv';

/** Where Packer's qemu builder writes the qcow2, relative to the Packer folder. */
export const qemuOutputDir = (p: ResolvedProfile): string => `output-${p.name}`;

export function packerHcl(p: ResolvedProfile, os: OsModule, flavor: PackerFlavor): string | undefined {
  const sources = [awsSource(p, os, flavor), qemuSource(p, os)].filter((s): s is HclBlock => s !== undefined);
  if (sources.length === 0) return undefined;
  // Packer runs each inline list as one script: -e makes its first failing command fail the build.
  const sudo = goTemplate('sudo -E bash -euo pipefail {{ .Path }}', ['Path']);
  const body: HclBody = [
    { comment: `cocca-bake ${COCCA_BAKE_VERSION}: profile ${p.name} (digest ${p.digest}). Generated: edit the profile, not this file.` },
    flavor === 'modern'
      ? block('packer', [], [
          attr('required_version', '>= 1.10.0'),
          block('required_plugins', [], [
            ...(p.targets.aws ? [attr('amazon', { version: '>= 1.3.0', source: 'github.com/hashicorp/amazon' })] : []),
            ...(p.targets.qemu ? [attr('qemu', { version: '>= 1.1.0', source: 'github.com/hashicorp/qemu' })] : []),
          ]),
        ])
      : block('packer', [], [attr('required_version', '>= 1.6.6')]),
    ...(p.targets.aws ? [block('variable', ['ami_regions'], [attr('type', expr('list(string)')), attr('default', p.targets.aws.copyTo)])] : []),
    ...(p.targets.qemu
      ? [
          block('variable', ['build_password'], [
            attr('type', expr('string')),
            attr('sensitive', true),
            attr('description', 'The throwaway build user\'s password: random per build, given by `cocca-bake build`.'),
            attr('default', ''),
          ]),
          block('variable', ['qemu_output_dir'], [attr('type', expr('string')), attr('default', qemuOutputDir(p))]),
        ]
      : []),
    block('locals', [], [attr('stamp', expr('formatdate("YYYYMMDD-hhmmss", timestamp())'))]),
    ...sources,
    block('build', [], [
      attr('name', packerBuildName(p)),
      attr('sources', sources.map((s) => `source.${s.labels![0]}.${s.labels![1]}`)),
      block('provisioner', ['shell'], [
        // The base image's own first boot must finish before apt is ours.
        attr('inline', ['cloud-init status --wait || [ $? -eq 2 ]', `mkdir -p ${UPLOAD_DIR}`]),
      ]),
      block('provisioner', ['file'], [attr('source', 'files/'), attr('destination', UPLOAD_DIR)]),
      block('provisioner', ['shell'], [
        attr('execute_command', sudo),
        attr('inline', [`bash ${UPLOAD_DIR}/install.sh`, runPhase('bake')]),
      ]),
      // The package list the bake's last step wrote, for the SBOM (the seal installs nothing).
      block('provisioner', ['file'], [attr('direction', 'download'), attr('source', IMAGE_PACKAGES), attr('destination', PACKAGE_LIST_FILE)]),
      // amazon-ebs stops the instance itself; qemu seals in its shutdown command (see there).
      ...(p.targets.aws
        ? [block('provisioner', ['shell'], [...(p.targets.qemu ? [attr('only', ['amazon-ebs.cocca'])] : []), attr('execute_command', sudo), attr('inline', [SEAL])])]
        : []),
      block('post-processor', ['manifest'], [attr('output', 'packer-manifest.json'), attr('strip_path', true)]),
    ]),
  ];
  return renderHcl(body);
}
