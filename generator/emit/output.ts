// One render as data: every output file with its bytes and mode, before anything touches disk.
import { gzipSync } from 'node:zlib';
import type { OsModule } from '../os/types.js';
import { sha256Hex } from '../profile/resolve.js';
import type { ResolvedProfile } from '../profile/types.js';
import { plan as makePlan, type Plan } from '../stack/index.js';
import { lines, shq } from '../stack/step.js';
import { COCCA_BAKE_VERSION } from '../version.js';
import { userData } from './cloud-init.js';
import { BUILD_USER } from '../stack/generalize.js';
import { packerHcl, type PackerFlavor } from './packer.js';

/** EC2 refuses user-data over 16 KiB (before base64). */
export const EC2_USER_DATA_LIMIT = 16 * 1024;

export interface OutputFile {
  path: string; // relative to the output directory, '/'-separated
  data: Buffer;
  mode: number;
}

export interface RenderOptions {
  packerFlavor: PackerFlavor;
}

export class RenderError extends Error {}

const file = (path: string, content: string | Buffer, mode = 0o644): OutputFile => ({
  path,
  data: typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
  mode,
});

/** gzip without a timestamp or file name, so the bytes depend on the content only. */
export const gzip = (data: Buffer): Buffer => gzipSync(data, { level: 9 });

function installScript(plan: Plan): string {
  return lines(
    '#!/bin/bash',
    '# Installs the uploaded instance files into place (run by Packer as root).',
    'set -euo pipefail',
    'cd "$(dirname "$0")/rootfs"',
    ...plan.files.map((f) => `install -D -o root -g root -m ${f.mode} ${shq(f.path.slice(1))} ${shq(f.path)}`),
    '',
  );
}

function qemuSeed(p: ResolvedProfile): OutputFile[] {
  return [
    file(
      'packer/seed/user-data',
      lines(
        '#cloud-config',
        `# The qemu build's throwaway user. \`cocca-bake build\` gives it a random password per build;`,
        '# as rendered it is locked. The seal phase deletes it from the image.',
        'ssh_pwauth: true',
        'users:',
        `  - name: ${BUILD_USER}`,
        '    shell: /bin/bash',
        "    sudo: 'ALL=(ALL) NOPASSWD:ALL'",
        '    lock_passwd: true',
        '',
      ),
    ),
    file('packer/seed/meta-data', `instance-id: cocca-build-${p.name}\nlocal-hostname: cocca-build\n`),
  ];
}

export function renderOutputs(profile: ResolvedProfile, os: OsModule, options: RenderOptions): { files: OutputFile[]; plan: Plan } {
  const plan = makePlan(profile, os);
  const files: OutputFile[] = [];

  const full = Buffer.from(userData(profile, plan, 'full'), 'utf8');
  files.push(file('cloud-init/full.yaml', full));
  if (full.length > EC2_USER_DATA_LIMIT) {
    const gz = gzip(full);
    if (gz.length > EC2_USER_DATA_LIMIT && profile.targets.aws) {
      throw new RenderError(
        `the full user-data is ${full.length} bytes, ${gz.length} gzip-compressed: over EC2's ${EC2_USER_DATA_LIMIT}-byte limit even compressed. Use the golden image (cocca-bake build) and its first-boot user-data instead.`,
      );
    }
    files.push(file('cloud-init/full.yaml.gz', gz));
  }
  files.push(file('cloud-init/firstboot.yaml', userData(profile, plan, 'firstboot')));

  const hcl = packerHcl(profile, os, options.packerFlavor);
  if (hcl) {
    files.push(file('packer/cocca.pkr.hcl', hcl));
    files.push(file('packer/files/install.sh', installScript(plan), 0o755));
    for (const f of plan.files) files.push(file(`packer/files/rootfs${f.path}`, f.content, parseInt(f.mode, 8)));
    if (profile.targets.qemu) files.push(...qemuSeed(profile));
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  files.push(file('manifest.json', manifest(profile, options, files)));
  return { files, plan };
}

function manifest(p: ResolvedProfile, options: RenderOptions, files: OutputFile[]): string {
  const entries = files.map((f) => ({
    path: f.path,
    bytes: f.data.length,
    sha256: sha256Hex(f.data),
    ...(f.path.startsWith('cloud-init/') && !f.path.endsWith('.gz') && { gzipBytes: gzip(f.data).length }),
  }));
  const doc = {
    generator: `cocca-bake ${COCCA_BAKE_VERSION}`,
    profile: p.name,
    profileDigest: p.digest,
    packerFlavor: options.packerFlavor,
    ec2UserDataLimit: EC2_USER_DATA_LIMIT,
    files: entries,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

