// Address checks for profile values. Pure functions, no DNS.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  address: string;
  prefix: number;
}

/** Parses `addr` or `addr/prefix`; undefined when it is neither IPv4 nor IPv6. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return undefined;
  const address = m[1]!;
  // A zone index (fe80::1%eth0) names an interface, not a network: ufw refuses it.
  if (address.includes('%')) return undefined;
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  if (!family) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max || (m[2] !== undefined && /^0\d/.test(m[2]))) return undefined;
  return { family, address, prefix };
}

function v6Groups(address: string): string[] {
  let a = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) is the last two groups.
    const n = bits({ family: 4, address: v4[1]!, prefix: 32 });
    a = `${a.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = a.split('::');
  if (tail === undefined) return head!.split(':');
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  return [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
}

function bits(c: Cidr): bigint {
  if (c.family === 4) return c.address.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
  return v6Groups(c.address).reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** True when bits beyond the prefix are set (10.0.0.5/24): ambiguous, so refused. */
export function hasHostBits(c: Cidr): boolean {
  const width = c.family === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(width - c.prefix)) - 1n;
  return (bits(c) & hostMask) !== 0n;
}

export function networkOf(c: Cidr): string {
  const width = c.family === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(width - c.prefix)) - 1n;
  const net = bits(c) & ~hostMask;
  if (c.family === 4) return `${[24n, 16n, 8n, 0n].map((s) => (net >> s) & 255n).join('.')}/${c.prefix}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((net >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Shorten the longest run of zero groups to '::' (RFC 5952).
  const text = groups.join(':');
  const runs = text.match(/(^|:)0(:0)+(:|$)/g) ?? [];
  const longest = runs.sort((a, b) => b.length - a.length)[0];
  return `${longest ? text.replace(longest, '::') : text}/${c.prefix}`;
}

/** RFC 1123 host name with at least two labels and a non-numeric top-level label. */
export function fqdnProblem(name: string): string | undefined {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length > 253) return 'is longer than 253 characters';
  const labels = n.split('.');
  if (labels.length < 2) return 'is not fully qualified: it needs a domain, e.g. registry.nic.example';
  for (const l of labels) {
    if (l.length === 0) return 'has an empty label (two dots in a row)';
    if (l.length > 63) return `has a label longer than 63 characters (${l.slice(0, 12)}…)`;
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(l)) return `has an invalid label ${JSON.stringify(l)}: letters, digits and inner hyphens only`;
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'ends in a numeric label: an IP address is not a host name';
  return undefined;
}

/** Whether `cidrs` together hold every address of `family`, as 0.0.0.0/1 and 128.0.0.0/1 do. */
export function coversEveryAddress(cidrs: readonly Cidr[], family: 4 | 6): boolean {
  const width = family === 4 ? 32 : 128;
  const ranges = cidrs
    .filter((c) => c.family === family)
    .map((c) => {
      const size = 1n << BigInt(width - c.prefix);
      const start = bits(c) & ~(size - 1n);
      return [start, start + size] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = 0n;
  for (const [start, end] of ranges) {
    if (start > next) return false;
    if (end > next) next = end;
  }
  return next === 1n << BigInt(width);
}
