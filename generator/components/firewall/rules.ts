// The firewall section's rules: trusted sources that parse, do not trust everybody, and ports in one list only.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';
import { coversEveryAddress, hasHostBits, networkOf, parseCidr, type Cidr } from '../../profile/net.js';

export function checkTrustedNetworks(p: Profile, _os: OsModule, report: Report): void {
  p.firewall.trusted.forEach((text, i) => {
    const c = parseCidr(text);
    if (!c) report(['firewall', 'trusted', i], 'error', `${JSON.stringify(text)} is not an IPv4 or IPv6 address or CIDR`, 'write a network like 203.0.113.0/24 or 2001:db8::/32, or one address');
    else if (hasHostBits(c)) report(['firewall', 'trusted', i], 'error', `${JSON.stringify(text)} has bits set beyond its /${c.prefix} prefix`, `did you mean ${networkOf(c)}, or the single address /${c.family === 4 ? 32 : 128}?`);
    else if (c.prefix === 0) report(['firewall', 'trusted', i], 'warning', `${JSON.stringify(text)} trusts the whole Internet with ssh and DNS`, 'list your office and bastion networks instead');
  });
  if (p.firewall.trusted.length === 0) {
    report(['firewall', 'trusted'], 'error', 'no trusted source: ssh is firewalled to trusted sources only, so nobody could log in', 'list the networks operators come from, e.g. [203.0.113.0/24]');
  }
}

/** /0 in pieces (0.0.0.0/1 and 128.0.0.0/1) trusts everybody as much as /0 does. */
export function checkTrustedCoverage(p: Profile, _os: OsModule, report: Report): void {
  const nets = p.firewall.trusted.map(parseCidr).filter((c): c is Cidr => c !== undefined && !hasHostBits(c));
  for (const family of [4, 6] as const) {
    const mine = nets.filter((c) => c.family === family);
    // A /0 has its own warning.
    if (mine.some((c) => c.prefix === 0) || !coversEveryAddress(mine, family)) continue;
    const shown = mine.slice(0, 4).map(networkOf).join(', ') + (mine.length > 4 ? `, and ${mine.length - 4} more` : '');
    report(['firewall', 'trusted'], 'warning', `together these networks hold every IPv${family} address (${shown}): ssh and DNS are open to the whole Internet`, 'list your office and bastion networks instead');
  }
}

export function checkPortOverlap(p: Profile, _os: OsModule, report: Report): void {
  const both = p.firewall.publicPorts.filter((port) => p.firewall.trustedPorts.includes(port));
  for (const port of both) {
    report(['firewall', 'trustedPorts', p.firewall.trustedPorts.indexOf(port)], 'error', `port ${port} is both public and trusted-only`, 'remove it from one of firewall.publicPorts and firewall.trustedPorts');
  }
}
