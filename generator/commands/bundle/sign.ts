// The bundle's signature. A key is made for this one bundle in a throwaway GnuPG home, signs
// Release (InRelease, clearsigned; Release.gpg, detached), its public half is exported, and the
// home, secret key included, is deleted. Nobody can sign anything else with it afterwards, so
// nobody (not even whoever made the bundle) can add a package to it later or make another
// repository the build machine would trust in its place.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { tool } from './tool.js';

export interface Signed {
  /** The exported public key, ASCII-armored. */
  publicKey: string;
  fingerprint: string;
}

export async function signRepository(repoDir: string, label: string): Promise<Signed> {
  // A short path: gpg-agent's socket lives in the home, and a socket path has ~100 bytes.
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-gpg-'));
  const env = { GNUPGHOME: home, LC_ALL: 'C.UTF-8' };
  const gpg = (args: string[]) => tool('gpg', ['--batch', '--no-tty', '--quiet', ...args], { env, cwd: repoDir });
  try {
    await fs.chmod(home, 0o700);
    await gpg(['--passphrase', '', '--quick-gen-key', label, 'ed25519', 'sign', 'never']);
    const colons = await gpg(['--with-colons', '--list-secret-keys']);
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
    if (!fingerprint) throw new Error(`gpg made a key but listed no fingerprint:\n${colons}`);
    const release = path.join(repoDir, 'Release');
    await gpg(['--local-user', fingerprint, '--digest-algo', 'SHA512', '--clearsign', '--output', path.join(repoDir, 'InRelease'), release]);
    await gpg(['--local-user', fingerprint, '--digest-algo', 'SHA512', '--armor', '--detach-sign', '--output', path.join(repoDir, 'Release.gpg'), release]);
    const publicKey = await gpg(['--armor', '--export', fingerprint]);
    return { publicKey: publicKey.endsWith('\n') ? publicKey : `${publicKey}\n`, fingerprint };
  } finally {
    await tool('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  }
}
