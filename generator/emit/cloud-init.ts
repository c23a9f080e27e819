// cloud-init user-data, built as data and dumped with js-yaml. Two arrangements of one plan:
//   full: every file, then the bake steps, then first boot: stock Ubuntu to a running registry.
//   firstboot: for an instance of the golden image: only this instance's values.
import { isIPv4, isIPv6 } from 'node:net';
import { dump } from 'js-yaml';
import { fqdnProblem } from '../profile/net.js';
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

/** The names first boot reads from /etc/cocca/instance.env, and what each may hold. */
const INSTANCE_KEYS: Record<string, (v: string) => string | undefined> = {
  COCCA_FQDN: (v) => fqdnProblem(v),
  COCCA_PRIVATE_IPV4: (v) => (isIPv4(v) ? undefined : 'is not an IPv4 address'),
  COCCA_PRIVATE_IPV6: (v) => (isIPv6(v) ? undefined : 'is not an IPv6 address'),
  // Goes into resin.xml, where Resin would evaluate ${...} and #{...} as expressions.
  COCCA_POSTGRES_PASSWORD: (v) => (/[$#]\{/.test(v) ? 'contains ${ or #{, which Resin evaluates in resin.xml' : v.length < 12 ? 'is shorter than 12 characters' : undefined),
  COCCA_SOURCE_KEYSTORE_PASSWORD: (v) => (v.length === 0 ? 'is empty' : undefined),
};

export class InstanceInputError extends Error {}

/** Why a value cannot go to first boot under this name, or undefined when it can. */
export function instanceValueProblem(key: string, value: string): string | undefined {
  const check = INSTANCE_KEYS[key];
  // The file is NAME=value per line and never evaluated; a newline would split a value.
  if (!check) return `is not a value first boot reads (known: ${Object.keys(INSTANCE_KEYS).join(', ')})`;
  return /[\n\r\0]/.test(value) ? 'contains a newline or NUL' : check(value);
}

function instanceEnv(profile: ResolvedProfile, input: InstanceInput): string {
  const entries: Array<[string, string | undefined]> = [
    ['COCCA_FQDN', input.fqdn ?? profile.host.fqdn],
    ['COCCA_PRIVATE_IPV4', input.privateIpv4],
    ['COCCA_PRIVATE_IPV6', input.privateIpv6],
    ...Object.entries(input.secrets ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
  ];
  const problems: string[] = [];
  const out = entries
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => {
      const why = instanceValueProblem(k, v);
      if (why) problems.push(`${k} ${why}`);
      return `${k}=${v}\n`;
    })
    .join('');
  if (problems.length > 0) throw new InstanceInputError(problems.join('; '));
  return out;
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
    // The profile's apt sources replace the image's; cloud-init must not write its own back.
    ...(profile.apt.sources && { apt: { preserve_sources_list: true } }),
    ...(profile.ssh.authorizedKeys.length > 0 && { ssh_authorized_keys: profile.ssh.authorizedKeys }),
    write_files: files,
    ...(mode === 'full' && {
      // One command: cloud-init runs runcmd entries as a script without -e, and first boot must
      // not start after a failed bake.
      runcmd: [['sh', '-c', '/usr/local/sbin/cocca-run bake && exec systemctl start cocca-firstboot.service']],
    }),
  };
  return header(profile, mode) + dump(config, { noRefs: true, lineWidth: -1 });
}
