// The host section's rules: what the schema cannot say about the name.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';
import { fqdnProblem } from '../../profile/net.js';

export function checkHostName(p: Profile, _os: OsModule, report: Report): void {
  const fqdnWhy = fqdnProblem(p.host.fqdn);
  if (fqdnWhy) report(['host', 'fqdn'], 'error', `${JSON.stringify(p.host.fqdn)} ${fqdnWhy}`, 'the name clients reach the registry by; it goes into resin.xml and the certificate');
}
