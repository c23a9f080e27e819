// cloud-init user-data, built as data and dumped with js-yaml. Two arrangements of one plan:
//   full: every file, then the bake steps, then first boot: stock Ubuntu to a running registry.
//   firstboot: for an instance of the golden image: only this instance's values.
import { dump } from 'js-yaml';
import { HANDED_IN, instanceValue, neededSecrets, syntaxProblem } from '../instance/contract.js';
import type { ResolvedProfile } from '../profile/types.js';
import { STEPS_DIR, type Plan } from '../components/index.js';

export type UserDataMode = 'full' | 'firstboot';

/** What an operator hands one instance: values by name (FQDN, PRIVATE_IPV4, ...) and secrets. */
export interface InstanceInput {
  /** Contract names without the COCCA_ prefix; secrets only on the console path, never from `render`. */
  values?: Record<string, string>;
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

export class InstanceInputError extends Error {}

/** Why a value cannot go to first boot under this name (COCCA_NAME), or undefined when it can. */
export function instanceValueProblem(key: string, value: string): string | undefined {
  const v = key.startsWith('COCCA_') ? instanceValue(key.slice('COCCA_'.length)) : undefined;
  if (!v || !v.from.includes('handed-in')) return `is not a value first boot takes (it takes: ${HANDED_IN.map((x) => `COCCA_${x.name}`).join(', ')})`;
  return syntaxProblem(v.syntax, value);
}

/**
 * The operator's secrets this user-data does not carry and the profile's store does not give:
 * a first boot from it could only fail. Empty when every needed secret is provided.
 */
export function missingSecrets(profile: ResolvedProfile, input: InstanceInput): Array<{ name: string; why: string }> {
  if (profile.secrets.source !== 'user-data') return [];
  return neededSecrets(profile).filter((n) => (n.name === 'KEYSTORE_JKS' ? !input.keystore : input.values?.[n.name] === undefined));
}

function instanceEnv(profile: ResolvedProfile, input: InstanceInput): string {
  const values = { FQDN: profile.host.fqdn, ...input.values };
  const problems: string[] = [];
  const out = Object.entries(values)
    .sort(([a], [b]) => (a === 'FQDN' ? -1 : b === 'FQDN' ? 1 : a < b ? -1 : 1))
    .map(([k, v]) => {
      const why = instanceValueProblem(`COCCA_${k}`, v);
      if (why) problems.push(`COCCA_${k} ${why}`);
      return `COCCA_${k}=${v}\n`;
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
    // A full install never seals itself (and EC2 counts every byte of user-data).
    for (const f of plan.files) if (!f.path.startsWith(`${STEPS_DIR}/seal/`)) files.push({ path: f.path, permissions: f.mode, owner: 'root:root', content: f.content });
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
