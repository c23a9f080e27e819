// The qemu build's NoCloud seed: a throwaway user whose password is random per build. Only a
// SHA-512 crypt hash goes into the seed; the password itself reaches Packer by environment.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dump } from 'js-yaml';
import { BUILD_USER } from '../../build-user.js';

export async function writeBuildSeed(packerDir: string): Promise<{ password: string }> {
  const password = randomBytes(24).toString('base64url');
  // The password goes to openssl on stdin, never on a command line.
  const r = await execa('openssl', ['passwd', '-6', '-stdin'], { input: password, reject: false });
  const hash = r.failed ? '' : r.stdout.trim();
  if (!hash.startsWith('$6$')) {
    // Not r.message: it would quote the command's stdin, the password.
    const why = (r as { code?: string }).code === 'ENOENT' ? 'openssl is not on the PATH' : `openssl passwd -6 failed (exit ${r.exitCode ?? '?'})`;
    throw new Error(`a qemu build hashes its build user's password with openssl: ${why} (apt-get install openssl)`);
  }
  const config = {
    ssh_pwauth: true,
    users: [{ name: BUILD_USER, shell: '/bin/bash', sudo: 'ALL=(ALL) NOPASSWD:ALL', lock_passwd: false, passwd: hash }],
  };
  writeFileSync(path.join(packerDir, 'seed', 'user-data'), `#cloud-config\n${dump(config, { lineWidth: -1 })}`, { mode: 0o600 });
  return { password };
}
