// The apt section's rules: each apt.keys value is one ASCII-armored PGP public key block whose
// checksum holds (apt would otherwise fail at the bake's `apt-get update` with a vaguer word),
// and a key no source names is said.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';

/** Where apt.keys are written on the instance; a source trusts one with signed-by=THIS/NAME.asc. */
export const APT_KEYRINGS = '/etc/apt/keyrings';

const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END = '-----END PGP PUBLIC KEY BLOCK-----';

/** OpenPGP's CRC-24 (RFC 4880 6.1), over the decoded bytes. */
function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** Why `text` is not an ASCII-armored PGP public key block, or undefined when it is one. */
export function armoredKeyProblem(text: string): string | undefined {
  const lines = text.replace(/\n+$/, '').split('\n').map((l) => l.replace(/[ \t]+$/, ''));
  if (lines[0] !== BEGIN) return `does not start with ${BEGIN}`;
  if (lines.at(-1) !== END) return `does not end with ${END}`;
  // Armor headers (Version: ..., Comment: ...) up to the first empty line, then the base64 body.
  const blank = lines.indexOf('');
  if (blank < 0) return 'has no empty line between the armor headers and the key';
  if (lines.slice(1, blank).some((l) => !/^[A-Za-z][A-Za-z0-9-]*: /.test(l))) return 'has a line before the empty line that is not an armor header (Name: value)';
  const body = lines.slice(blank + 1, -1);
  const checksum = body.length > 0 && body.at(-1)!.startsWith('=') ? body.pop()!.slice(1) : undefined;
  if (body.length === 0) return 'holds no key';
  const bad = body.findIndex((l) => !/^[A-Za-z0-9+/]+={0,2}$/.test(l));
  if (bad >= 0) return `line ${blank + 2 + bad} of the block is not base64`;
  const bytes = Buffer.from(body.join(''), 'base64');
  if (checksum !== undefined) {
    if (!/^[A-Za-z0-9+/]{4}$/.test(checksum)) return 'has a malformed checksum line';
    if (Buffer.from(checksum, 'base64').readUIntBE(0, 3) !== crc24(bytes)) return 'fails its checksum: the key was changed or cut short';
  }
  // The first packet of a transferable public key is a public-key packet (tag 6), in the old
  // or the new packet format.
  const first = bytes[0] ?? 0;
  if (!(first & 0x80)) return 'does not hold an OpenPGP packet';
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  if (tag !== 6) return tag === 5 ? 'holds a SECRET key: give the public key only (gpg --armor --export)' : 'does not start with a public-key packet';
  return undefined;
}

export function checkAptKeys(p: Profile, _os: OsModule, report: Report): void {
  const keys = p.apt.keys ?? {};
  const sources = p.apt.sources ?? [];
  for (const [name, text] of Object.entries(keys)) {
    const why = armoredKeyProblem(text);
    if (why) {
      report(['apt', 'keys', name], 'error', `apt.keys.${name} ${why}`, 'paste the output of `gpg --armor --export KEYID` as a block scalar (|)');
      continue;
    }
    const file = `${APT_KEYRINGS}/${name}.asc`;
    if (!sources.some((s) => s.includes(`signed-by=${file}`))) {
      report(['apt', 'keys', name], 'warning', `no apt.sources line trusts apt.keys.${name} (signed-by=${file})`, `add [signed-by=${file}] to the sources it signs, or remove the key`);
    }
  }
}
