// cocca-sizing, the script first boot shares the instance's memory with: run for real (bash,
// with the real pgtune.sh), against the split worked out independently here (docs/sizing.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sizingExpected } from '../e2e/lib/checks.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cocca-sizing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PGTUNE = ['--pg-version', '15', '--db-type', 'web', '--storage', 'ssd'];

function sizing(args: string[], pgtune = PGTUNE): { status: number | null; env: Record<string, number>; conf: string; stderr: string } {
  const out = path.join(dir, `pgtune-${Math.random().toString(36).slice(2)}.conf`);
  const r = spawnSync('bash', ['generator/components/postgres/cocca-sizing', '--pgtune-out', out, ...args, '--', ...pgtune], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, COCCA_PGTUNE: 'generator/components/postgres/pgtune.sh' },
  });
  const env = Object.fromEntries(r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('=')).map(([k, v]) => [k!, Number(v)]));
  let conf = '';
  try {
    conf = readFileSync(out, 'utf8');
  } catch {
    // not written: the run was refused
  }
  return { status: r.status, env, conf, stderr: r.stderr };
}

const GiB = 1024 * 1024;
/** pgtune's header line: the memory as GB, else MB, else kB, whichever divides evenly. */
const pgtuneRam = (k: number) => (k % GiB === 0 ? `${k / GiB} GB` : k % 1024 === 0 ? `${k / 1024} MB` : `${k} kB`);
const setting = (conf: string, name: string) => new RegExp(`^${name} = (.*)$`, 'm').exec(conf)?.[1];
const kb = (v: string | undefined) => {
  const m = /^(\d+)(kB|MB|GB)$/.exec(v ?? '')!;
  return Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[m[2] as 'kB' | 'MB' | 'GB'];
};

describe('cocca-sizing: the split of memory and the pool', () => {
  it.each([
    [2 * GiB, 1],
    [3 * GiB, 2],
    [4 * GiB, 4],
    [12 * GiB, 4],
    [16 * GiB, 8],
    [64 * GiB, 16],
    [256 * GiB, 64],
  ])('%i kB of RAM, %i CPUs', (ramKb, cpus) => {
    const r = sizing(['--ram-kb', String(ramKb), '--cpus', String(cpus)]);
    expect(r.status, r.stderr).toBe(0);
    const want = sizingExpected(ramKb, cpus);
    expect(r.env).toEqual({
      RAM_KB: ramKb,
      CPUS: cpus,
      RESIN_HEAP_MB: want.heapMb,
      JVM_OTHER_MB: want.otherMb,
      POSTGRES_RAM_KB: want.postgresKb,
      PG_MAX_CONNECTIONS: 200,
      PG_RESERVED_CONNECTIONS: 3,
      DB_MAX_CONNECTIONS: want.pool,
    });
    // pgtune ran on PostgreSQL's share, not on the whole RAM.
    expect(kb(setting(r.conf, 'shared_buffers'))).toBe(want.pg.shared_buffers);
    expect(kb(setting(r.conf, 'effective_cache_size'))).toBe(want.pg.effective_cache_size);
    expect(setting(r.conf, '# Total Memory \\(RAM\\):') ?? /^# Total Memory \(RAM\): (.*)$/m.exec(r.conf)?.[1]).toBe(pgtuneRam(want.postgresKb));
    // Nothing is shared out twice: heap + the rest of the JVM + PostgreSQL = RAM.
    expect((r.env.RESIN_HEAP_MB! + r.env.JVM_OTHER_MB!) * 1024 + r.env.POSTGRES_RAM_KB!).toBe(ramKb);
    expect(r.env.DB_MAX_CONNECTIONS).toBeLessThan(r.env.PG_MAX_CONNECTIONS! - r.env.PG_RESERVED_CONNECTIONS!);
  });

  it('takes a fixed heap, a share of RAM and a fixed pool from the profile', () => {
    expect(sizing(['--ram-kb', String(16 * GiB), '--cpus', '4', '--heap-mb', '4096']).env).toMatchObject({ RESIN_HEAP_MB: 4096, JVM_OTHER_MB: 1024, POSTGRES_RAM_KB: 11 * GiB });
    expect(sizing(['--ram-kb', String(16 * GiB), '--cpus', '4', '--heap-percent', '40']).env).toMatchObject({ RESIN_HEAP_MB: 6553 });
    expect(sizing(['--ram-kb', String(16 * GiB), '--cpus', '4', '--pool', '120']).env).toMatchObject({ DB_MAX_CONNECTIONS: 120 });
  });

  it('bounds the pool by max_connections when that is small (postgres.tune.connections)', () => {
    const r = sizing(['--ram-kb', String(8 * GiB), '--cpus', '8'], [...PGTUNE, '--connections', '40']);
    // 10 + 10 * 8 = 90 would not fit: 40 - 3 reserved - 5 headroom.
    expect(r.env).toMatchObject({ PG_MAX_CONNECTIONS: 40, DB_MAX_CONNECTIONS: 32 });
  });

  it('refuses, writing nothing, a pool that does not fit and an instance too small for the split', () => {
    const pool = sizing(['--ram-kb', String(8 * GiB), '--cpus', '2', '--pool', '197']);
    expect(pool.status).toBe(1);
    expect(pool.stderr).toContain("cocca-sizing: Resin's pool of 197 connections does not fit PostgreSQL's max_connections 200 minus the 3 reserved for superusers and one for maintenance");
    expect(pool.conf).toBe('');
    expect(sizing(['--ram-kb', String(8 * GiB), '--cpus', '2', '--pool', '196']).status).toBe(0);
    const small = sizing(['--ram-kb', String(1 * GiB), '--cpus', '1', '--heap-mb', '512']);
    expect(small.status).toBe(1);
    expect(small.stderr).toContain("cocca-sizing: this instance has 1024 MiB of memory: Resin's heap (512 MiB) and the rest of its JVM (192 MiB) would leave PostgreSQL less than 512 MiB");
  });

  it.each([
    [['--heap-percent', '0'], "--heap-percent must be 1-90, got '0'"],
    [['--heap-percent', '95'], "--heap-percent must be 1-90, got '95'"],
    [['--heap-mb', '1g'], "--heap-mb must be a positive integer, got '1g'"],
    [['--ram-kb', '08'], "--ram-kb must be a positive integer, got '08'"],
    [['--cpus', ''], "--cpus must be a positive integer, got ''"],
  ])('refuses bad arguments (exit 2): %j', (args, message) => {
    const r = sizing(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
