// The tls section's rules: Let's Encrypt needs a contact address and a name in the public DNS.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';
import { contactEmailProblem, publicNameProblem } from '../../profile/names.js';
import { fqdnProblem } from '../../profile/net.js';

export function checkTls(p: Profile, _os: OsModule, report: Report): void {
  if (p.tls.mode === 'letsencrypt' && !p.tls.email) report(['tls'], 'error', "tls.mode letsencrypt needs tls.email: Let's Encrypt sends expiry warnings there", 'add tls.email: hostmaster@your-domain');
  if (p.tls.mode !== 'letsencrypt' && p.tls.email) report(['tls', 'email'], 'warning', `tls.email is only used with tls.mode letsencrypt (this profile uses ${p.tls.mode})`, 'remove tls.email, or set tls.mode: letsencrypt');
}

/** Let's Encrypt certifies public DNS names only, and certbot registers the address as given. */
export function checkLetsEncryptName(p: Profile, _os: OsModule, report: Report): void {
  if (p.tls.mode !== 'letsencrypt' || fqdnProblem(p.host.fqdn)) return;
  const why = publicNameProblem(p.host.fqdn);
  if (why) report(['host', 'fqdn'], 'error', `${JSON.stringify(p.host.fqdn)} ${why}: Let's Encrypt (tls.mode letsencrypt) cannot certify it`, 'use a name in the public DNS, or tls.mode lab or custom for a private name');
}

export function checkLetsEncryptEmail(p: Profile, _os: OsModule, report: Report): void {
  if (p.tls.mode !== 'letsencrypt' || p.tls.email === undefined) return;
  const why = contactEmailProblem(p.tls.email);
  if (why) report(['tls', 'email'], 'error', `${JSON.stringify(p.tls.email)} ${why}`, "an address at your own public domain, e.g. hostmaster@nic.tld: Let's Encrypt sends expiry warnings there");
}
