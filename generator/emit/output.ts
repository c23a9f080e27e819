// One render as data: every output file with its bytes and mode, before anything touches disk.
import { gzipSync } from 'node:zlib';
import type { OsModule } from '../os/types.js';
import { sha256Hex } from '../profile/resolve.js';
import type { ResolvedProfile } from '../profile/types.js';
import type { Plan } from '../components/index.js';
import { lines, shq } from '../components/model.js';
import { COCCA_BAKE_VERSION } from '../version.js';
import path from 'node:path';
import { missingSecrets, userData } from './cloud-init.js';
import { BUILD_USER } from '../build-user.js';
import { EC2_USER_DATA_LIMIT, firstBootSizeProblem, firstBootUserData } from './limits.js';
import { packerHcl, type PackerFlavor } from './packer.js';
import { packerReadme } from './packer-readme.js';

export { EC2_USER_DATA_LIMIT } from './limits.js';

export interface OutputFile {
  path: string; // relative to the output directory, '/'-separated
  data: Buffer;
  mode: number;
}

export interface RenderOptions {
  packerFlavor: PackerFlavor;
}

export { RenderError } from './errors.js';
import { RenderError } from './errors.js';

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

/**
 * Every output of one profile, arranged from the plan the caller made once (the build command
 * records the same plan's steps): nothing here plans again.
 */
export function renderOutputs(profile: ResolvedProfile, os: OsModule, plan: Plan, options: RenderOptions): { files: OutputFile[]; notes: string[] } {
  const files: OutputFile[] = [];
  const notes: string[] = [];

  // A user-data without the secrets first boot needs could only fail at boot: with secrets
  // from user-data, each instance's is made by `cocca-bake user-data --secrets`, never here.
  const missing = missingSecrets(profile, {});
  if (missing.length > 0) {
    notes.push(
      `cloud-init/ not written: first boot needs ${missing.map((m) => `COCCA_${m.name}`).join(' and ')} from user-data (secrets.source: user-data), and render never writes a secret. ` +
        `Make each instance's user-data with: cocca-bake user-data ${path.basename(profile.sourceFile)} --mode firstboot --secrets FILE (or --mode full for a stock image)`,
    );
  } else {
    const full = Buffer.from(userData(profile, plan, 'full'), 'utf8');
    files.push(file('cloud-init/full.yaml', full));
    if (full.length > EC2_USER_DATA_LIMIT) {
      const gz = gzip(full);
      // The whole stack in one user-data no longer fits EC2's limit even compressed; other clouds
      // take 64 KiB and more. On AWS the golden image is the way, and its user-data is small.
      if (gz.length > EC2_USER_DATA_LIMIT && profile.targets.aws) {
        notes.push(
          `cloud-init/full.yaml is ${full.length} bytes, ${gz.length} gzip-compressed: over EC2's ${EC2_USER_DATA_LIMIT}-byte user-data limit. ` +
            'On AWS launch the golden image (cocca-bake build) with cloud-init/firstboot.yaml; full.yaml suits consoles that take more (most take 64 KiB).',
        );
      }
      files.push(file('cloud-init/full.yaml.gz', gz));
    }
    const firstboot = firstBootUserData(profile)!;
    const tooLarge = firstBootSizeProblem(profile, firstboot);
    if (tooLarge) throw new RenderError(tooLarge);
    files.push(file('cloud-init/firstboot.yaml', firstboot));
  }

  const hcl = packerHcl(profile, os, options.packerFlavor);
  if (hcl) {
    files.push(file('packer/cocca.pkr.hcl', hcl));
    files.push(file('packer/README.md', packerReadme(profile, options.packerFlavor)));
    files.push(file('packer/files/install.sh', installScript(plan), 0o755));
    for (const f of plan.files) files.push(file(`packer/files/rootfs${f.path}`, f.content, parseInt(f.mode, 8)));
    if (profile.targets.qemu) files.push(...qemuSeed(profile));
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  files.push(file('manifest.json', manifest(profile, options, files)));
  return { files, notes };
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

