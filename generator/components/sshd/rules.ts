// The ssh section's own rules. Those that weigh ssh against the firewall, the targets or the OS
// (the port, the login users) are in generator/profile/rules.ts.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';

export function checkRootLogin(p: Profile, _os: OsModule, report: Report): void {
  if (p.ssh.allowUsers.includes('root')) report(['ssh', 'allowUsers', p.ssh.allowUsers.indexOf('root')], 'warning', 'root is allowed by AllowUsers but PermitRootLogin forbids it', 'remove root');
}
