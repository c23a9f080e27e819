// Time of `cocca-bake lock` for the four example profiles against a local HTTPS server (a
// throwaway CA, trusted through NODE_EXTRA_CA_CERTS as an operator trusts an internal one).
// The examples' real URLs (CoCCA, Caucho, jdbc.postgresql.org) are out of reach here, so temp
// copies of the profiles get artifacts entries pointing at the server, with stand-in files of
// realistic size. Usage: npx tsx bench/lock.ts [RUNS]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePki, removePki, startFileServer } from '../test/helpers/tls-server.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'dist/generator/cli.js');
const runs = Number(process.argv[2] ?? 3);
const MB = 1024 * 1024;
/** Stand-ins, about the size of the real files (Oracle's JDK 8 tarball, Resin 4.0.66, CoCCA's WARs). */
const FILES: Record<string, number> = {
  '/jdk-8u351-linux-x64.tar.gz': 139 * MB,
  '/resin-4.0.66.tar.gz': 31 * MB,
  '/postgresql-42.5.0.jar': 1 * MB,
  '/ROOT.war': 50 * MB,
  '/whois-dr/ROOT.war': 45 * MB,
  '/star_coccaregistry_org.jks': 6 * 1024,
};
const PROFILES = ['af-south-1', 'ap-southeast-2', 'eu-west-1', 'whois-dr'];

const pki = makePki();
const server = await startFileServer(pki);
const work = mkdtempSync(path.join(tmpdir(), 'cocca-bench-lock-'));
try {
  for (const [p, size] of Object.entries(FILES)) server.files.set(p, randomBytes(size));
  mkdirSync(path.join(work, '.git'));
  cpSync(path.join(REPO, 'profiles'), path.join(work, 'profiles'), { recursive: true });
  for (const name of PROFILES) {
    const file = path.join(work, 'profiles', `${name}.yaml`);
    // The examples pin nothing themselves: every download they use comes from the catalog or
    // CoCCA. The same files, served here (ap-southeast-2's Temurin JDK is pinned: never locked).
    const jdk = readFileSync(file, 'utf8').includes('8u352-temurin') ? '' : `  jdk: {url: ${server.origin}/jdk-8u351-linux-x64.tar.gz, sha256: unpinned}\n`;
    appendFileSync(
      file,
      `artifacts:\n${jdk}` +
        `  resin: {url: ${server.origin}/resin-4.0.66.tar.gz, sha256: unpinned}\n` +
        `  jdbc: {url: ${server.origin}/postgresql-42.5.0.jar, sha256: unpinned}\n` +
        `  war: {url: ${server.origin}${name === 'whois-dr' ? '/whois-dr' : ''}/ROOT.war, sha256: unpinned}\n` +
        `  keystore: {url: ${server.origin}/star_coccaregistry_org.jks, sha256: unpinned}\n`,
    );
  }
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: pki.caPem };
  const files = PROFILES.map((n) => `profiles/${n}.yaml`);
  // Asynchronous: the server answers from this process's event loop.
  const time = async (args: string[]): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: work, env });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const total = Object.values(FILES).reduce((a, b) => a + b, 0);
  const stats = (ms: number[]) => {
    const s = [...ms].sort((a, b) => a - b);
    return `min ${Math.round(s[0]!)} ms, median ${Math.round(s[Math.floor((s.length - 1) / 2)]!)} ms, max ${Math.round(s[s.length - 1]!)} ms (${s.length} runs)`;
  };
  const lockFile = path.join(work, 'profiles/cocca-bake.lock.json');
  const first: number[] = [];
  const again: number[] = [];
  const check: number[] = [];
  for (let i = 0; i < runs; i++) {
    rmSync(lockFile, { force: true });
    first.push(await time(['lock', ...files]));
    again.push(await time(['lock', ...files]));
    check.push(await time(['lock', '--check', ...files]));
  }
  const validate = await time(['validate', '--strict', ...files.slice(0, 3)]);
  console.log(`${Object.keys(FILES).length} distinct downloads, ${(total / MB).toFixed(0)} MiB in all, for ${files.length} profiles (${files.join(' ')})`);
  console.log(`lock, no lock file yet:   ${stats(first)}`);
  console.log(`lock, upstream unchanged: ${stats(again)}`);
  console.log(`lock --check:             ${stats(check)}`);
  console.log(`lock file: ${statSync(lockFile).size} bytes; validate --strict of the three registry profiles after locking: ${Math.round(validate)} ms, exit 0`);
} finally {
  await server.close();
  removePki(pki);
  rmSync(work, { recursive: true, force: true });
}
