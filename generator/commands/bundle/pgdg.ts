// PostgreSQL's own repository (PGDG) for a bundle of profiles with postgres.source: pgdg. The
// bundle resolves their packages with PGDG beside their other sources, trusting it as the
// instance would (cocca-pgdg): PGDG's key, downloaded over verified TLS and held to the postgres
// component's fingerprint, as a signed-by keyring. The bundle then carries PGDG's packages, so the
// overlay takes PostgreSQL from apt, and the build machine never reaches PGDG.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PGDG_FINGERPRINT, PGDG_KEY_URL, PGDG_KEYRING, PGDG_REPOSITORY } from '../../components/postgres/index.js';
import { download, DownloadError } from '../../net/download.js';
import { redactUrl } from '../../profile/urls.js';
import { BundleError, tool } from './tool.js';

/** Where PGDG is and how its key is known. Only tests point it elsewhere (BundleOptions.pgdg). */
export interface PgdgOrigin {
  repository: string;
  keyUrl: string;
  fingerprint: string;
}

export const PGDG: PgdgOrigin = { repository: PGDG_REPOSITORY, keyUrl: PGDG_KEY_URL, fingerprint: PGDG_FINGERPRINT };

/** PGDG as a bundle resolves from it: its source line for the OS's suite, and the key it is signed-by. */
export interface PgdgSource {
  origin: PgdgOrigin;
  /** The armored key, its fingerprint checked. */
  key: string;
}

/** PGDG's one-line source for a suite (e.g. jammy-pgdg), signed-by the key where the instance keeps it. */
export const pgdgLine = (origin: PgdgOrigin, suite: string): string => `deb [signed-by=${PGDG_KEYRING}] ${origin.repository} ${suite} main`;

export { PGDG_KEYRING };

/** The fingerprints of the primary keys in an armored file, as gpg reads them. */
async function primaryFingerprints(file: string): Promise<string[]> {
  // A home of its own: reading a key must not touch (or create) the user's ~/.gnupg.
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-gpg-'));
  const env = { GNUPGHOME: home, LC_ALL: 'C.UTF-8' };
  try {
    await fs.chmod(home, 0o700);
    const colons = await tool('gpg', ['--batch', '--no-tty', '--quiet', '--show-keys', '--with-colons', file], { env }).catch((err: Error) => {
      throw new BundleError(`the PGDG key is not a key gpg can read: ${err.message.split('\n').slice(1).join(' ').trim() || err.message}`);
    });
    // Each primary key is a pub record followed by its fpr record; sub keys' fpr follow sub.
    const out: string[] = [];
    let after = '';
    for (const rec of colons.split('\n').map((l) => l.split(':'))) {
      if (rec[0] === 'fpr' && after === 'pub') out.push(rec[9] ?? '');
      after = rec[0] ?? '';
    }
    return out;
  } finally {
    await tool('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  }
}

/**
 * Downloads PGDG's key into `work` and holds it to the fingerprint. The file must hold that one
 * key and no other: signed-by trusts every key in it.
 */
export async function fetchPgdgKey(origin: PgdgOrigin, work: string): Promise<PgdgSource> {
  await fs.mkdir(work, { recursive: true });
  const file = path.join(work, 'pgdg.asc');
  try {
    await download(origin.keyUrl, file);
  } catch (err) {
    if (err instanceof DownloadError) throw new BundleError(`PGDG's key: ${err.message}`);
    throw err;
  }
  const found = await primaryFingerprints(file);
  if (found.length !== 1 || found[0] !== origin.fingerprint) {
    throw new BundleError(`PGDG's key at ${redactUrl(origin.keyUrl)} has fingerprint ${found.length === 0 ? '(none)' : found.join(' and ')}, expected ${origin.fingerprint}: not trusting it`);
  }
  return { origin, key: await fs.readFile(file, 'utf8') };
}
