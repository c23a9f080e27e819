// Time from SIGINT to exit of `cocca-bake build`, with the Packer stand-in
// (test/fixtures/fake-packer, FAKE_PACKER_HANG) taking CLEANUP seconds to clean up: the part
// above CLEANUP is ours (forwarding, waiting, writing the record). The qemu target: no AWS.
// Usage: node bench/interrupt.mjs [RUNS] [CLEANUP_SECONDS]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const runs = Number(process.argv[2] ?? 5);
const cleanup = Number(process.argv[3] ?? 2);
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const work = mkdtempSync(path.join(tmpdir(), 'cocca-bench-int-'));
const profile = path.join(work, 'q.yaml');
writeFileSync(
  profile,
  'apiVersion: cocca-bake/v1\nname: q\nos: debian-12\nhost: {fqdn: q.example}\nfirewall: {trusted: [192.0.2.0/24]}\nsecrets: {source: user-data}\n' +
    'openssl: {enabled: false}\njava: {source: apt, package: openjdk-17-jdk-headless}\n' +
    `targets: {qemu: {accelerator: tcg, baseImage: {url: "file:///srv/base.qcow2", sha256: "${'a'.repeat(64)}"}}}\n`,
);

let run = 0;
/** [SIGINT to exit, the stand-in's clean-up marker to exit] in ms. */
function once() {
  const marker = path.join(work, `cleaned-${run++}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'dist/generator/cli.js'), 'build', profile, '--build-dir', path.join(work, 'b')], {
      env: { ...process.env, COCCA_PACKER: path.join(repo, 'test/fixtures/fake-packer/packer'), FAKE_PACKER_HANG: '1', FAKE_PACKER_CLEANUP_SECONDS: String(cleanup), FAKE_PACKER_CLEANED: marker, COCCA_BAKE_HEARTBEAT: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let sent = 0;
    child.stderr.on('data', (c) => {
      // Packer is waiting (the stand-in's "Waiting for SSH"): interrupt now.
      if (!sent && /waiting for SSH/.test(c.toString())) {
        sent = performance.now();
        child.kill('SIGINT');
      }
    });
    child.on('exit', (code) => {
      const now = Date.now();
      const total = performance.now() - sent;
      if (code !== 130) return reject(new Error(`exit ${code}`));
      resolve([total, now - statSync(marker).mtimeMs]);
    });
  });
}

const times = [];
for (let i = 0; i < runs; i++) times.push(await once());
rmSync(work, { recursive: true, force: true });
const stats = (xs) => {
  xs = [...xs].sort((a, b) => a - b);
  const f = (ms) => `${(ms / 1000).toFixed(3)} s`;
  return `min ${f(xs[0])}, median ${f(xs[Math.floor((xs.length - 1) / 2)])}, max ${f(xs.at(-1))}`;
};
console.log(`SIGINT to exit 130, stand-in clean-up ${cleanup} s, ${runs} runs: ${stats(times.map((t) => t[0]))}`);
// The stand-in (bash) also takes its time to start its trap and print; this part is ours alone.
console.log(`  from the end of the stand-in's clean-up (its marker file) to exit: ${stats(times.map((t) => t[1]))}`);
