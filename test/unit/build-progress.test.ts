// Packer's -machine-readable output read into progress: a capture from the real Packer 1.6.6
// (test/fixtures/packer-1.6.6-machine-readable.txt, a null-source build whose shell-local
// provisioner echoes our step markers), the real Packer run through runPacker inside
// `unshare -n`, the resources an interrupted build may leave, the log tail, and how it all prints.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProfile, type ProgressEvent } from '../../generator/commands/build/index.js';
import { logTail } from '../../generator/commands/build/log-tail.js';
import { findPacker, runPacker } from '../../generator/commands/build/packer-cli.js';
import { decodeMachineLine, humanText, parseLine } from '../../generator/commands/build/progress.js';
import { ResourceTracker } from '../../generator/commands/build/remaining.js';
import { Interruption } from '../../generator/commands/build/signals.js';
import { formatProgress, formatSummary } from '../../generator/commands/build/report.js';
import { checkProfile } from '../../generator/check/index.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';

const CAPTURE = readFileSync('test/fixtures/packer-1.6.6-machine-readable.txt', 'utf8').trim().split('\n');
let work: string;
beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-progress-'));
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('machine-readable lines (captured from Packer 1.6.6)', () => {
  it('decodes the fields: commas and newlines as Packer escapes them', () => {
    expect(decodeMachineLine(CAPTURE.find((l) => l.includes('a%!(PACKER_COMMA) b'))!)).toEqual({
      timestamp: 1795995366,
      target: '',
      type: 'ui',
      data: ['message', '    cocca-q.null.cocca: a, b, c'],
    });
    expect(decodeMachineLine('1795995366,cocca-q.null.cocca,error,Script exited with non-zero exit status: 1.Allowed exit codes are: [0]')).toMatchObject({ target: 'cocca-q.null.cocca', type: 'error' });
    expect(decodeMachineLine('plugin noise on stderr')).toBeUndefined();
  });

  it('gives back what a person would have read, and nothing for machine-only records', () => {
    const text = CAPTURE.flatMap((l) => humanText(l).lines);
    expect(text).toContain('    cocca-q.null.cocca: a, b, c');
    expect(text).toContain("==> Some builds didn't complete successfully and had errors:");
    expect(text.join('\n')).not.toMatch(/PACKER_COMMA|^\d+,|error-count/m);
    expect(humanText('not machine-readable')).toEqual({ lines: ['not machine-readable'] });
  });

  it('yields our step events from the ui messages', () => {
    const events = CAPTURE.flatMap((l) => humanText(l).lines).map(parseLine).filter((e) => e && e.kind !== 'packer-error');
    // Packer prints stderr (the failure) as it arrives: before the stdout lines of the same moment.
    expect(events).toEqual([
      { kind: 'step-failed', source: 'cocca-q.null.cocca', phase: 'bake', step: 'app.war' },
      { kind: 'step-start', source: 'cocca-q.null.cocca', phase: 'bake', step: 'time.utc' },
      { kind: 'step-done', source: 'cocca-q.null.cocca', phase: 'bake', step: 'time.utc', ms: 12 },
      { kind: 'step-start', source: 'cocca-q.null.cocca', phase: 'bake', step: 'app.war' },
    ]);
  });
});

const HAVE_PACKER = spawnSync('packer', ['version'], { env: { ...process.env, CHECKPOINT_DISABLE: '1' } }).status === 0;
// Skipped only off CI: in CI a missing Packer or netns fails these tests, the only proof that
// Packer 1.6.6 needs the SIGINT sent to its whole group.
const HAVE_NETNS = process.env.CI === 'true' || (HAVE_PACKER && spawnSync('unshare', ['-n', 'true']).status === 0);

describe.skipIf(!HAVE_NETNS)('the real Packer through runPacker (inside unshare -n)', () => {
  it('packer.log reads as Packer reads to a person, the raw stream is kept beside it, and a quiet Packer gets heartbeats', async () => {
    const wrapper = path.join(work, 'packer');
    await fs.writeFile(wrapper, '#!/bin/sh\nexec unshare -n packer "$@"\n', { mode: 0o755 });
    await fs.writeFile(
      path.join(work, 'n.pkr.hcl'),
      `source "null" "cocca" {\n  communicator = "none"\n}\nbuild {\n  name = "cocca-q"\n  sources = ["source.null.cocca"]\n  provisioner "shell-local" {\n` +
        `    inline = ["echo 'cocca[time.utc]: bake: start'", "echo 'a, b, c'", "sleep 3", "echo 'cocca[time.utc]: bake: done in 3000 ms'"]\n  }\n}\n`,
    );
    const packer = await findPacker(wrapper);
    const lines: string[] = [];
    const quiet: Array<[number, string | undefined]> = [];
    const r = await runPacker(packer, ['build', '-machine-readable', '-color=false', '.'], {
      cwd: work,
      log: path.join(work, 'packer.log'),
      machineLog: path.join(work, 'packer-machine.log'),
      quietMs: 700,
      onLine: (l) => lines.push(l),
      onQuiet: (ms, last) => quiet.push([ms, last]),
    });
    expect(r).toEqual({ exitCode: 0, interrupted: false, killed: false });
    expect(lines.map(parseLine).filter((e) => e?.kind === 'step-done')).toEqual([{ kind: 'step-done', source: 'cocca-q.null.cocca', phase: 'bake', step: 'time.utc', ms: 3000 }]);
    const log = readFileSync(path.join(work, 'packer.log'), 'utf8');
    expect(log).toContain('    cocca-q.null.cocca: a, b, c\n');
    expect(log).not.toMatch(/PACKER_COMMA|^\d+,,ui,/m);
    expect(readFileSync(path.join(work, 'packer-machine.log'), 'utf8')).toMatch(/^\d+,,ui,message, {4}cocca-q\.null\.cocca: a%!\(PACKER_COMMA\) b%!\(PACKER_COMMA\) c$/m);
    // Three seconds of sleep, a heartbeat after each 0.7 s of silence, naming the last thing Packer
    // said (a loaded machine may add one before Packer's first word, with nothing to name).
    const during = quiet.filter(([, last]) => last === 'cocca-q.null.cocca: a, b, c');
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(during.every(([ms]) => ms >= 700)).toBe(true);
  }, 60_000);
});

describe.skipIf(!HAVE_NETNS)('the real Packer interrupted (inside unshare -n)', () => {
  it('one SIGINT to its group cancels a running build cleanly, and we read its output to the end', async () => {
    const wrapper = path.join(work, 'packer');
    await fs.writeFile(wrapper, '#!/bin/sh\nexec unshare -n packer "$@"\n', { mode: 0o755 });
    await fs.writeFile(
      path.join(work, 'n.pkr.hcl'),
      `source "null" "cocca" {\n  communicator = "none"\n}\nbuild {\n  name = "cocca-q"\n  sources = ["source.null.cocca"]\n  provisioner "shell-local" {\n` +
        `    inline = ["echo 'cocca[time.utc]: bake: start'", "sleep 60"]\n  }\n}\n`,
    );
    const packer = await findPacker(wrapper);
    const interruption = new Interruption();
    const t0 = Date.now();
    const r = await runPacker(packer, ['build', '-machine-readable', '-color=false', '-on-error=cleanup', '.'], {
      cwd: work,
      log: path.join(work, 'packer.log'),
      interruption,
      onLine: (l) => {
        if (parseLine(l)?.kind === 'step-start') interruption.receive('SIGINT', () => {});
      },
    });
    expect(r).toEqual({ exitCode: 1, interrupted: true, killed: false });
    // Not the provisioner's 60 s: Packer cancelled it.
    expect(Date.now() - t0).toBeLessThan(30_000);
    const log = readFileSync(path.join(work, 'packer.log'), 'utf8');
    expect(log).toContain('Cancelling build after receiving interrupt');
    expect(log).toContain('Cleanly cancelled builds after being interrupted.');
  }, 60_000);
});

describe('what an interrupted build may leave', () => {
  const made = [
    '==> b.amazon-ebs.cocca: Creating temporary keypair: packer_k1',
    '==> b.amazon-ebs.cocca: Creating temporary security group for this instance: packer_g1',
    '    b.amazon-ebs.cocca: Instance ID: i-0123456789abcdef0',
  ];
  it('everything Packer named, when it was killed before cleaning up', () => {
    const t = new ResourceTracker();
    made.forEach((l) => t.see(l));
    t.see('==> b.amazon-ebs.cocca: Terminating the source AWS instance...');
    expect(t.remaining(false)).toEqual(['key pair packer_k1', 'security group packer_g1', 'EC2 instance i-0123456789abcdef0 (and its EBS volumes)']);
  });
  it('only what Packer did not delete or failed to delete, when its clean-up ran to the end', () => {
    const t = new ResourceTracker();
    made.forEach((l) => t.see(l));
    t.see('==> b.amazon-ebs.cocca: Terminating the source AWS instance...');
    t.see('==> b.amazon-ebs.cocca: Deleting temporary security group...');
    t.see('==> b.amazon-ebs.cocca: Error cleaning up security group. Please delete the group manually: sg-0abc');
    expect(t.remaining(true)).toEqual(['key pair packer_k1', 'security group packer_g1']);
  });
  it('not the AMI of a build that finished: it is the product', () => {
    const t = new ResourceTracker();
    t.see('    b.amazon-ebs.cocca: AMI: ami-0123456789abcdef0');
    expect(t.remaining(false)).toEqual(['AMI ami-0123456789abcdef0 (half-made, with its snapshots)']);
    t.see("Build 'b.amazon-ebs.cocca' finished after 9 minutes 3 seconds.");
    expect(t.remaining(false)).toEqual([]);
  });
  it('nothing, for a build that made nothing in the cloud', () => {
    expect(new ResourceTracker().remaining(false)).toEqual([]);
  });
});

describe('the log tail', () => {
  it('is the last lines, read from the end of a long log', async () => {
    const file = path.join(work, 'packer.log');
    await fs.writeFile(file, Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    expect(logTail(file, 3)).toEqual(['line 4998', 'line 4999', 'line 5000']);
    expect(logTail(file, 3, 20)).toEqual(['line 4999', 'line 5000']);
  });
});

describe('printing', () => {
  const base = { kind: 'result', profile: 'q', target: 'qemu' } as const;
  const record = (extra: object) => ({ log: '/b/q/x-qemu/packer.log', result: 'failed', error: 'boom', outputs: {}, steps: [], ...extra }) as never;
  it('a failure shows the last lines of packer.log', () => {
    const text = formatProgress({ ...base, record: record({ logTail: ['==> cocca-q.qemu.cocca: Waiting for SSH...', "Build 'x' errored"] }) } as ProgressEvent);
    expect(text).toBe("[q qemu] FAILED: boom\n  last lines of /b/q/x-qemu/packer.log:\n  | ==> cocca-q.qemu.cocca: Waiting for SSH...\n  | Build 'x' errored\n  record: /b/q/x-qemu/build-record.json\n");
  });
  it('a heartbeat says what Packer waits on and for how long', () => {
    expect(formatProgress({ kind: 'quiet', profile: 'q', target: 'aws', silentMs: 150_000, lastSaid: '==> b.amazon-ebs.cocca: Waiting for SSH to become available...', elapsedMs: 200_000 })).toBe(
      '[q aws 03:20] waiting for SSH… 02:30 (Packer last said: ==> b.amazon-ebs.cocca: Waiting for SSH to become available...)\n',
    );
  });
  it('the summary lists every profile', () => {
    expect(formatSummary([
      { profile: 'a', target: 'qemu', result: 'ok', record: '/b/a/build-record.json' },
      { profile: 'longer', result: 'failed', reason: 'p.yaml: profile longer has no build target' },
    ])).toBe('summary: 1 of 2 built\n  a       qemu  ok      /b/a/build-record.json\n  longer  -     failed  p.yaml: profile longer has no build target\n');
  });
  it('a missing Packer names no log, for there is none', async () => {
    const file = path.join(work, 'q.yaml');
    await fs.writeFile(
      file,
      QEMU_PROFILE,
    );
    const { profile, os: osm } = checkProfile(file);
    const events: ProgressEvent[] = [];
    const prev = process.env.COCCA_PACKER;
    process.env.COCCA_PACKER = '/nonexistent/packer';
    try {
      const rec = await buildProfile(profile!, osm!, { buildRoot: work, onProgress: (e) => events.push(e) });
      expect(rec.result).toBe('failed');
      expect(existsSync(rec.log)).toBe(false);
      expect(rec.logTail).toBeUndefined();
      const text = formatProgress(events.at(-1)!);
      expect(text).toMatch(/^\[q qemu\] FAILED: cannot run \/nonexistent\/packer: install HashiCorp Packer/);
      expect(text).not.toContain('packer.log');
      expect(existsSync(text.match(/record: (\S+)/)![1]!)).toBe(true);
    } finally {
      if (prev === undefined) delete process.env.COCCA_PACKER;
      else process.env.COCCA_PACKER = prev;
    }
  });
});
