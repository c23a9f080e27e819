// cloud-init user-data, built as data and dumped with js-yaml. Two arrangements of one plan:
//   full: every file, then the bake steps, then first boot: stock Ubuntu to a running registry.
//   firstboot: for an instance of the golden image: only this instance's values.
import { dump } from 'js-yaml';
import { HANDED_IN, instanceValue, neededSecrets, profileValues, syntaxProblem, type ContractName } from '../instance/contract.js';
import { FIRSTBOOT_UNIT_NAME, INSTANCE_ENV, runPhase, STEPS_DIR } from '../instance/paths.js';
import type { ResolvedProfile } from '../profile/types.js';
import type { Plan } from '../components/index.js';

export type UserDataMode = 'full' | 'firstboot';

/** What an operator hands one instance: values by name (FQDN, PRIVATE_IPV4, ...) and secrets. */
export interface InstanceInput {
  /** Contract names without the COCCA_ prefix; secrets only on the console path, never from `render`. */
  values?: Record<string, string>;
  /** Values handed in as files (the custom keystore), written where the contract says. */
  files?: Partial<Record<ContractName, Buffer>>;
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
  return neededSecrets(profile).filter((n) => input.values?.[n.name] === undefined && input.files?.[n.name] === undefined);
}

function instanceEnv(profile: ResolvedProfile, input: InstanceInput): string {
  // The profile's own values first (first boot would fall back on them anyway), then by name.
  const fromProfile = profileValues(profile);
  const rank = (name: string) => {
    const i = fromProfile.findIndex(([n]) => n === name);
    return i < 0 ? fromProfile.length : i;
  };
  const values = { ...Object.fromEntries(fromProfile), ...input.values };
  const problems: string[] = [];
  const out = Object.entries(values)
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
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
  files.push({ path: INSTANCE_ENV, permissions: '0600', owner: 'root:root', content: instanceEnv(profile, input) });
  for (const [name, data] of Object.entries(input.files ?? {})) {
    const path = instanceValue(name)?.file;
    if (!path || !data) throw new InstanceInputError(`COCCA_${name} is not a value first boot takes as a file`);
    files.push({ path, permissions: '0600', owner: 'root:root', content: data.toString('base64'), encoding: 'b64' });
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
      runcmd: [['sh', '-c', `${runPhase('bake')} && exec systemctl start ${FIRSTBOOT_UNIT_NAME}`]],
    }),
  };
  return header(profile, mode) + dump(config, { noRefs: true, lineWidth: -1 });
}
