// Every shell script of the repository passes ShellCheck as the file it is, every branch, not
// only as rendered for the example profiles: the instance scripts (the
// components' own beside their steps, the runner's, first boot's beside its component), the test and CI scripts. Rendered outputs (test/golden)
// are checked by the render checks instead.
// SC1091 is off: an instance script sources files by their path on the instance, some of which
// exist only once rendered (contract.sh); the render checks run ShellCheck inside a rendered
// rootfs, where every one resolves and is followed.
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { whichTool } from './tools.js';

const ROOT = path.resolve(__dirname, '../..');
const SKIP = new Set(['node_modules', 'dist', '.git', 'test/golden']);
const SHELL = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:ba)?sh\b|^#\s*shellcheck\s+shell=(?:ba)?sh\b/;

function shellFiles(dir = ''): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (SKIP.has(rel)) return [];
    if (e.isDirectory()) return shellFiles(rel);
    if (!e.isFile()) return [];
    if (rel.endsWith('.sh')) return [rel];
    const first = readFileSync(path.join(ROOT, rel)).subarray(0, 200).toString('latin1').split('\n')[0]!;
    return SHELL.test(first) ? [rel] : [];
  });
}

describe('shell scripts as files', () => {
  const files = shellFiles();

  it('finds the instance scripts, the components\' own among them', () => {
    expect(files).toEqual(expect.arrayContaining(['generator/components/runner/lib.sh', 'generator/components/runner/cocca-run', 'generator/components/tls/cocca-certbot', 'generator/components/postgres/cocca-sizing', 'generator/components/postgres/pgtune.sh', 'generator/components/resin/cocca-resin-logs', 'generator/components/sshd/cocca-sshd-apply', 'generator/components/firewall/cocca-ufw-rules', 'generator/components/firewall/cocca-firewall-enable', 'generator/components/tls/cocca-keystore', 'generator/components/tls/cocca-certbot-deploy', 'generator/components/firstboot/cocca-firstboot', 'generator/components/firstboot/cocca-secrets', 'generator/components/firstboot/cocca-motd', 'test/setup/deps.sh']));
  });

  // Two shellcheck processes, one per half (each script follows lib.sh, so a file costs more
  // than its lines); the timeout allows for a loaded machine.
  it('passes ShellCheck, every file as it stands', async () => {
    const sc = await whichTool('shellcheck');
    if (!sc) throw new Error('shellcheck is not installed (sudo bash test/setup/deps.sh)');
    const half = Math.ceil(files.length / 2);
    const runs = await Promise.all(
      [files.slice(0, half), files.slice(half)].map((part) => execa(sc, ['-x', '-P', 'SCRIPTDIR', '-e', 'SC1091', '-f', 'gcc', ...part], { cwd: ROOT, reject: false, all: true })),
    );
    for (const r of runs) {
      expect(r.all, `shellcheck ${files.join(' ')}`).toBe('');
      expect(r.exitCode).toBe(0);
    }
  }, 180_000);
});
