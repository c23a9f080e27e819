// cocca-resin-logs, the daily job that keeps /opt/resin/log bounded: run for real on a
// directory of Resin's files with chosen ages and sizes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = 'generator/components/resin/cocca-resin-logs';
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Files (name → [age in days, size in KiB]) in a fresh directory. */
function logs(files: Record<string, [number, number]>): string {
  dir = mkdtempSync(path.join(tmpdir(), 'cocca-resin-logs-'));
  const now = Date.now() / 1000;
  for (const [name, [days, kib]] of Object.entries(files)) {
    const f = path.join(dir, name);
    writeFileSync(f, Buffer.alloc(kib * 1024, 'x'));
    utimesSync(f, now - days * 86400 - 60, now - days * 86400 - 60);
  }
  return dir;
}

const prune = (d: string, keepDays: number, maxMib: number) => spawnSync('bash', [SCRIPT, d, String(keepDays), String(maxMib)], { encoding: 'utf8' });
const left = (d: string) => readdirSync(d).sort();

describe('cocca-resin-logs', () => {
  it('deletes archives older than KEEP_DAYS, of every log, never the logs Resin writes', () => {
    const d = logs({
      'access.log': [40, 4],
      'jvm-app-0.log': [40, 4],
      'access.log.20251001': [40, 4],
      'access.log.20251120': [9, 4],
      'jvm-app-0.log.20251010.1200': [30, 4],
      'watchdog-manager.log.20251125.gz': [4, 4],
      'notes.txt': [400, 4],
    });
    const r = prune(d, 14, 2048);
    expect(r.status, r.stderr).toBe(0);
    expect(left(d)).toEqual(['access.log', 'access.log.20251120', 'jvm-app-0.log', 'notes.txt', 'watchdog-manager.log.20251125.gz']);
    expect(r.stdout).toMatch(/^cocca-resin-logs: removed 2 archive\(s\);/);
  });

  it('then deletes the oldest archives while the directory is over MAX_MIB', () => {
    const d = logs({
      'access.log': [0, 300],
      'access.log.20251125': [4, 400],
      'access.log.20251126': [3, 400],
      'access.log.20251127': [2, 400],
      'access.log.20251128': [1, 400],
    });
    // 1.9 MiB in all; at most 1 MiB: the three oldest archives go, the active log stays.
    const r = prune(d, 14, 1);
    expect(r.status, r.stderr).toBe(0);
    expect(left(d)).toEqual(['access.log', 'access.log.20251128']);
  });

  it('stops when only the active logs are left, even over MAX_MIB', () => {
    const d = logs({ 'access.log': [0, 1200], 'access.log.20251128': [1, 10] });
    expect(prune(d, 14, 1).status).toBe(0);
    expect(left(d)).toEqual(['access.log']);
  });

  it.each([['x', '10'], ['14', '0'], ['-1', '10']])('refuses KEEP_DAYS %s, MAX_MIB %s (exit 2)', (days, mib) => {
    const d = logs({ 'access.log.1': [100, 1] });
    const r = spawnSync('bash', [SCRIPT, d, days, mib], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(left(d)).toEqual(['access.log.1']);
  });
});
