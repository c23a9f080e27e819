// cloud-init user-data, built as data and dumped with js-yaml. Two arrangements of one plan:
//   full: every file, then the bake steps, then first boot: stock Ubuntu to a running registry.
//   firstboot: for an instance of the golden image: only this instance's values.
import { dump } from 'js-yaml';
import type { ResolvedProfile } from '../profile/types.js';
import type { Plan } from '../stack/index.js';

export type UserDataMode = 'full' | 'firstboot';

/** What an operator hands one instance: values, and secrets only on the console path. */
export interface InstanceInput {
  fqdn?: string;
  privateIpv4?: string;
  privateIpv6?: string;
  /** NAME=value pairs such as COCCA_SOURCE_KEYSTORE_PASSWORD; never written by `render`. */
  secrets?: Record<string, string>;
  /** A custom keystore (tls.mode custom), handed to the instance as /etc/cocca/keystore.jks. */
  keystore?: Buffer;
}

interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  content: string;
  encoding?: 'b64';
}

function instanceEnv(profile: ResolvedProfile, input: InstanceInput): string {
  const entries: Array<[string, string | undefined]> = [
    ['COCCA_FQDN', input.fqdn ?? profile.host.fqdn],
    ['COCCA_PRIVATE_IPV4', input.privateIpv4],
    ['COCCA_PRIVATE_IPV6', input.privateIpv6],
    ...Object.entries(input.secrets ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
  ];
  return entries
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => {
      // The file is NAME=value per line and never evaluated; a newline would split a value.
      if (/[\n\r\0]/.test(v)) throw new Error(`${k} contains a newline or NUL`);
      return `${k}=${v}\n`;
    })
    .join('');
}

function header(profile: ResolvedProfile, mode: UserDataMode): string {
  return [
    '#cloud-config',
    `# cocca-bake ${mode} user-data for profile ${profile.name} (${profile.role}, ${profile.os})`,
    `# profile digest ${profile.digest}. Generated: edit the profile, not this file.`,
    '',
  ].join('\n');
}

export function userData(profile: ResolvedProfile, plan: Plan, mode: UserDataMode, input: InstanceInput = {}): string {
  const files: WriteFile[] = [];
  if (mode === 'full') {
    for (const f of plan.files) files.push({ path: f.path, permissions: f.mode, owner: 'root:root', content: f.content });
  }
  files.push({ path: '/etc/cocca/instance.env', permissions: '0600', owner: 'root:root', content: instanceEnv(profile, input) });
  if (input.keystore) {
    files.push({ path: '/etc/cocca/keystore.jks', permissions: '0600', owner: 'root:root', content: input.keystore.toString('base64'), encoding: 'b64' });
  }

  const config: Record<string, unknown> = {
    // First boot names the host; cloud-init must not rename it on later boots.
    preserve_hostname: true,
    ...(profile.ssh.authorizedKeys.length > 0 && { ssh_authorized_keys: profile.ssh.authorizedKeys }),
    write_files: files,
    ...(mode === 'full' && {
      runcmd: [
        ['/usr/local/sbin/cocca-run', 'bake'],
        ['systemctl', 'start', 'cocca-firstboot.service'],
      ],
    }),
  };
  return header(profile, mode) + dump(config, { noRefs: true, lineWidth: -1 });
}
