// Every rule a profile is judged by: the profile's own (generator/profile/rules.ts), each
// component's (generator/components/NAME/rules.ts), and the secrets the instance contract asks
// for. They meet here, above the modules they come from, so no module reaches up for them.
import { COMPONENTS } from '../components/index.js';
import { neededSecrets } from '../instance/contract.js';
import type { OsModule } from '../os/types.js';
import type { ReadNamed, Report, Rule } from '../profile/rule.js';
import { PROFILE_RULES } from '../profile/rules.js';
import type { Profile } from '../profile/types.js';

/** First boot needs secrets only the operator has: the profile must say where they come from. */
function checkSecrets(p: Profile, _os: OsModule, report: Report): void {
  const needed = neededSecrets(p);
  const s = p.secrets;
  if (!s) {
    report(
      ['secrets'],
      'error',
      `first boot needs ${needed.map((n) => n.name).join(' and ')} (${needed[0]!.why}), and the profile does not say where ${needed.length > 1 ? 'they come' : 'it comes'} from`,
      "add secrets: {source: aws-ssm, parameterPath: /cocca/NAME/} (read at first boot with the instance's IAM role), or secrets: {source: user-data} (each instance's user-data made by cocca-bake user-data --mode firstboot --secrets FILE)",
    );
    return;
  }
  if (s.source === 'aws-ssm' && !s.parameterPath) report(['secrets', 'source'], 'error', 'secrets.source aws-ssm needs secrets.parameterPath', 'e.g. parameterPath: /cocca/af-south-1/ (the parameters are PATH + SOURCE_KEYSTORE_PASSWORD, ...)');
  if (s.source === 'aws-secretsmanager' && !s.secretId) report(['secrets', 'source'], 'error', 'secrets.source aws-secretsmanager needs secrets.secretId', "the secret's name or ARN; its SecretString is a JSON object with the keys SOURCE_KEYSTORE_PASSWORD, ...");
  if (s.parameterPath && s.source !== 'aws-ssm') report(['secrets', 'parameterPath'], 'warning', `secrets.parameterPath is only read with source aws-ssm (this profile uses ${s.source})`, 'remove it, or set secrets.source: aws-ssm');
  if (s.secretId && s.source !== 'aws-secretsmanager') report(['secrets', 'secretId'], 'warning', `secrets.secretId is only read with source aws-secretsmanager (this profile uses ${s.source})`, 'remove it, or set secrets.source: aws-secretsmanager');
  // AWS reserves these prefixes: such a parameter cannot exist.
  if (s.parameterPath && /^\/(aws|ssm)/i.test(s.parameterPath)) report(['secrets', 'parameterPath'], 'error', `${JSON.stringify(s.parameterPath)} begins with a prefix AWS reserves (aws, ssm)`, 'pick another path, e.g. /cocca/...');
  if (s.source === 'user-data' && s.region) report(['secrets', 'region'], 'warning', 'secrets.region is only read with an AWS source', 'remove it');
  if (s.source !== 'user-data' && !p.targets.aws) {
    report(['secrets', 'source'], 'warning', `secrets.source ${s.source} is read at first boot with the instance's IAM role, but this profile builds no AMI (targets.aws)`, 'run the instances in AWS with an instance profile, or use secrets.source: user-data');
  }
}

export const RULES: readonly Rule[] = [...COMPONENTS.flatMap((c) => c.rules ?? []), ...PROFILE_RULES, checkSecrets];

export function checkRules(p: Profile, os: OsModule, read: ReadNamed, report: Report): void {
  for (const rule of RULES) rule(p, os, report, read);
}
