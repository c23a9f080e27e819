// The fail2ban section's rules: times that let it ban.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';

export function checkFail2banTimes(p: Profile, _os: OsModule, report: Report): void {
  const zero = (t: string) => /^0+[smhdw]?$/.test(t);
  if (zero(p.fail2ban.findTime)) report(['fail2ban', 'findTime'], 'error', `a findTime of ${JSON.stringify(p.fail2ban.findTime)} counts failures over no time at all: fail2ban would never ban`, 'e.g. 10m');
  if (zero(p.fail2ban.banTime)) report(['fail2ban', 'banTime'], 'error', `a banTime of ${JSON.stringify(p.fail2ban.banTime)} lifts each ban as it is made: fail2ban would protect nothing`, 'e.g. 1h');
}
