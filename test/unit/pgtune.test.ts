// Tests for generator/components/postgres/pgtune.sh: pgtune's "2025" variant (le0pard/pgtune@2f5122d),
// checked against the worked table in /work/shared/research/domain.md section 1.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(ROOT, 'generator/components/postgres/pgtune.sh');

const GB = 1048576; // kB per GB
const RAM_12GB = 12 * GB; // 12582912 kB

type Setting = [key: string, value: string];

interface Output {
  header: string[];
  settings: Setting[];
  raw: string;
}

function run(args: string[]): Output {
  const raw = execFileSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });
  const lines = raw.split('\n');
  const settings: Setting[] = [];
  for (const line of lines) {
    const m = /^([a-z_]+) = (.+)$/.exec(line);
    if (m) settings.push([m[1]!, m[2]!]);
  }
  return { header: lines.filter((l) => l.startsWith('#')), settings, raw };
}

function tune(opts: {
  type?: string;
  storage?: string;
  ramKb?: number;
  cpus?: number;
  connections?: number;
  pg?: number;
}): Output {
  const args = [
    '--pg-version', String(opts.pg ?? 15),
    '--db-type', opts.type ?? 'web',
    '--storage', opts.storage ?? 'ssd',
    '--ram-kb', String(opts.ramKb ?? RAM_12GB),
    '--cpus', String(opts.cpus ?? 4),
  ];
  if (opts.connections !== undefined) args.push('--connections', String(opts.connections));
  return run(args);
}

function get(out: Output, key: string): string | undefined {
  return out.settings.find(([k]) => k === key)?.[1];
}

// The 2025/HEAD columns of the worked table (12 GB, linux, PG 15, ssd, cpu 4, default
// connections), with the constant lines filled in, in pgtune's output order.
function workedTable(maxConn: string, workMem: string, minWal: string, maxWal: string): Setting[] {
  return [
    ['max_connections', maxConn],
    ['shared_buffers', '3GB'],
    ['effective_cache_size', '9GB'],
    ['maintenance_work_mem', '768MB'],
    ['checkpoint_completion_target', '0.9'],
    ['wal_buffers', '16MB'],
    ['default_statistics_target', '100'],
    ['random_page_cost', '1.1'],
    ['effective_io_concurrency', '200'],
    ['work_mem', workMem],
    ['huge_pages', 'off'],
    ['min_wal_size', minWal],
    ['max_wal_size', maxWal],
    ['max_worker_processes', '4'],
    ['max_parallel_workers_per_gather', '2'],
    ['max_parallel_workers', '4'],
    ['max_parallel_maintenance_workers', '2'],
  ];
}

describe('pgtune.sh worked table (domain.md §1, 2025 column: 12 GB, cpu 4, ssd)', () => {
  it('web', () => {
    expect(tune({ type: 'web' }).settings).toEqual(workedTable('200', '15420kB', '1GB', '4GB'));
  });
  it('oltp', () => {
    expect(tune({ type: 'oltp' }).settings).toEqual(workedTable('300', '10347kB', '2GB', '8GB'));
  });
  it('mixed', () => {
    expect(tune({ type: 'mixed' }).settings).toEqual(workedTable('100', '15123kB', '1GB', '4GB'));
  });

  it('prints the pgtune header, without a Connections line when none is given', () => {
    const out = tune({ type: 'web' });
    expect(out.header).toEqual([
      '# DB Version: 15',
      '# OS Type: linux',
      '# DB Type: web',
      '# Total Memory (RAM): 12 GB',
      '# CPUs num: 4',
      '# Data Storage: ssd',
      '# Computed at first boot by pgtune.sh: pgtune 2025 variant (le0pard/pgtune@2f5122d)',
    ]);
    expect(out.raw).not.toMatch(/Connections num/);
  });
});

describe('pgtune.sh other checks (domain.md §1)', () => {
  it('12GB, cpu 8, 100 connections, hdd, web', () => {
    const out = tune({ type: 'web', storage: 'hdd', cpus: 8, connections: 100 });
    expect(out.header).toContain('# Connections num: 100');
    expect(out.header).toContain('# Data Storage: hdd');
    expect(get(out, 'max_connections')).toBe('100');
    expect(get(out, 'random_page_cost')).toBe('4');
    expect(get(out, 'effective_io_concurrency')).toBe('2');
    expect(get(out, 'work_mem')).toBe('29127kB');
    expect(out.settings.slice(-4)).toEqual([
      ['max_worker_processes', '8'],
      ['max_parallel_workers_per_gather', '4'],
      ['max_parallel_workers', '8'],
      ['max_parallel_maintenance_workers', '4'],
    ]);
  });

  it('12GB, cpu 8, 100 connections, hdd, mixed → work_mem 14563kB', () => {
    expect(get(tune({ type: 'mixed', storage: 'hdd', cpus: 8, connections: 100 }), 'work_mem')).toBe('14563kB');
  });

  it('cpu 2 → no parallel lines, work_mem uses 8 default workers (web, san)', () => {
    const out = tune({ type: 'web', storage: 'san', cpus: 2 });
    expect(out.settings.map(([k]) => k).filter((k) => /parallel|worker/.test(k))).toEqual([]);
    expect(get(out, 'work_mem')).toBe('15123kB');
    expect(get(out, 'random_page_cost')).toBe('1.1');
    expect(get(out, 'effective_io_concurrency')).toBe('300');
    expect(out.settings.at(-1)).toEqual(['max_wal_size', '4GB']);
  });

  it('per-gather workers capped at 4 except for dw', () => {
    expect(get(tune({ type: 'web', cpus: 16 }), 'max_parallel_workers_per_gather')).toBe('4');
    const dw = tune({ type: 'dw', cpus: 16 });
    expect(get(dw, 'max_parallel_workers_per_gather')).toBe('8');
    expect(get(dw, 'max_parallel_maintenance_workers')).toBe('4');
    // ceil(5/2) = 3
    expect(get(tune({ type: 'web', cpus: 5 }), 'max_parallel_workers_per_gather')).toBe('3');
  });

  it('max_parallel_maintenance_workers only from PG 11', () => {
    const pg10 = tune({ pg: 10 });
    expect(get(pg10, 'max_parallel_workers')).toBe('4');
    expect(get(pg10, 'max_parallel_maintenance_workers')).toBeUndefined();
    expect(get(tune({ pg: 11 }), 'max_parallel_maintenance_workers')).toBe('2');
  });

  it('dw and desktop formulas', () => {
    const dw = tune({ type: 'dw', ramKb: 16 * GB, cpus: 2 });
    expect(get(dw, 'max_connections')).toBe('40');
    expect(get(dw, 'maintenance_work_mem')).toBe('2GB'); // 16GB/8 hits the cap exactly
    expect(get(dw, 'default_statistics_target')).toBe('500');
    expect(get(dw, 'min_wal_size')).toBe('4GB');
    expect(get(dw, 'max_wal_size')).toBe('16GB');
    // (16777216 - 4194304) / ((40 + 8) * 3) / 2 = 43690.67 → 43690
    expect(get(dw, 'work_mem')).toBe('43690kB');

    const desktop = tune({ type: 'desktop', ramKb: 16 * GB, cpus: 2 });
    expect(desktop.settings).toEqual([
      ['max_connections', '20'],
      ['shared_buffers', '1GB'],
      ['effective_cache_size', '4GB'],
      ['maintenance_work_mem', '1GB'],
      ['checkpoint_completion_target', '0.9'],
      ['wal_buffers', '16MB'], // 3% of 1GB = 31457kB, capped
      ['default_statistics_target', '100'],
      ['random_page_cost', '1.1'],
      ['effective_io_concurrency', '200'],
      // (16777216 - 1048576) / ((20 + 8) * 3) / 6 = 31207.6 → 31207
      ['work_mem', '31207kB'],
      ['huge_pages', 'off'],
      ['min_wal_size', '100MB'],
      ['max_wal_size', '2GB'],
      ['wal_level', 'minimal'],
      ['max_wal_senders', '0'],
    ]);
  });
});

describe('pgtune.sh thresholds', () => {
  it('huge_pages is try from 32GB, off just below', () => {
    expect(get(tune({ ramKb: 32 * GB }), 'huge_pages')).toBe('try');
    expect(get(tune({ ramKb: 32 * GB - 1 }), 'huge_pages')).toBe('off');
  });

  it('maintenance_work_mem is capped at 2GB', () => {
    expect(get(tune({ ramKb: 64 * GB }), 'maintenance_work_mem')).toBe('2GB');
    expect(get(tune({ ramKb: 31 * GB }), 'maintenance_work_mem')).toBe('1984MB');
    const big = tune({ ramKb: 64 * GB });
    expect(get(big, 'shared_buffers')).toBe('16GB');
    expect(get(big, 'effective_cache_size')).toBe('48GB');
  });

  it('wal_buffers: 3% of shared_buffers, 14–16MB rounded up, max 16MB, min 32kB', () => {
    // 1GB RAM: shared_buffers 256MB → 3% = 7864kB
    expect(get(tune({ ramKb: GB }), 'wal_buffers')).toBe('7864kB');
    // 2GB: 3% of 512MB = 15728kB, strictly between 14MB and 16MB → 16MB
    expect(get(tune({ ramKb: 2 * GB }), 'wal_buffers')).toBe('16MB');
    // shared_buffers 477867kB → 3% = 14336kB = exactly 14MB, not rounded up
    expect(get(tune({ ramKb: 4 * 477867 }), 'wal_buffers')).toBe('14MB');
    // 4MB RAM: 3% of 1024kB = 30kB → floor 32kB
    expect(get(tune({ ramKb: 4096 }), 'wal_buffers')).toBe('32kB');
  });

  it('work_mem never below 64kB, and tiny RAM gets pgtune’s warning', () => {
    const tiny = tune({ ramKb: 4096 });
    expect(get(tiny, 'work_mem')).toBe('64kB');
    expect(get(tiny, 'shared_buffers')).toBe('1MB');
    expect(tiny.header.slice(0, 3)).toEqual(['# WARNING', '# this tool not being optimal', '# for low memory systems']);
    expect(tune({}).raw).not.toMatch(/WARNING/);
  });

  it('RAM that is not a round number is printed in kB', () => {
    // e.g. a "16 GB" VM whose kernel reports MemTotal 16370216 kB
    const out = tune({ ramKb: 16370216 });
    expect(out.header).toContain('# Total Memory (RAM): 16370216 kB');
    expect(get(out, 'shared_buffers')).toBe('4092554kB');
    expect(get(out, 'effective_cache_size')).toBe('12277662kB');
  });
});

describe('pgtune.sh defaults and arguments', () => {
  it('without --ram-kb/--cpus uses MemTotal and nproc', () => {
    const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
    const out = run(['--pg-version', '15', '--db-type', 'web', '--storage', 'ssd']);
    expect(memTotal).toBeGreaterThan(0);
    expect(out.header).toContain(`# CPUs num: ${nproc}`);
    const expected = Math.floor(memTotal / 4);
    const fmt = expected % GB === 0 ? `${expected / GB}GB` : expected % 1024 === 0 ? `${expected / 1024}MB` : `${expected}kB`;
    expect(get(out, 'shared_buffers')).toBe(fmt);
  });

  const bad: [string, string[]][] = [
    ['missing --storage', ['--pg-version', '15', '--db-type', 'web']],
    ['missing --pg-version', ['--db-type', 'web', '--storage', 'ssd']],
    ['unknown db type', ['--pg-version', '15', '--db-type', 'olap', '--storage', 'ssd']],
    ['unknown storage', ['--pg-version', '15', '--db-type', 'web', '--storage', 'nvme']],
    ['PG 9', ['--pg-version', '9', '--db-type', 'web', '--storage', 'ssd']],
    ['non-numeric version', ['--pg-version', '15.2', '--db-type', 'web', '--storage', 'ssd']],
    ['zero RAM', ['--pg-version', '15', '--db-type', 'web', '--storage', 'ssd', '--ram-kb', '0']],
    ['negative CPUs', ['--pg-version', '15', '--db-type', 'web', '--storage', 'ssd', '--cpus', '-4']],
    ['octal-looking connections', ['--pg-version', '15', '--db-type', 'web', '--storage', 'ssd', '--connections', '010']],
    ['option without value', ['--pg-version', '15', '--db-type', 'web', '--storage']],
    ['unknown option', ['--pg-version', '15', '--db-type', 'web', '--storage', 'ssd', '--os', 'windows']],
  ];
  it.each(bad)('bad arguments (%s) → exit 2, message on stderr, nothing on stdout', (_name, args) => {
    const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pgtune\.sh: /);
    expect(r.stdout).toBe('');
  });

  const shellcheck = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p));
  it('passes shellcheck', (ctx) => {
    ctx.skip(!shellcheck, 'shellcheck is not installed');
    const r = spawnSync(shellcheck!, ['-s', 'bash', SCRIPT], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// Feed the output to a real PostgreSQL 15: `postgres -C` parses the whole configuration
// (including conf.d) and fails on any bad name or value.
const PG_BIN = '/usr/lib/postgresql/15/bin';
const pgSkipReason = !existsSync(join(PG_BIN, 'postgres'))
  ? `PostgreSQL 15 not installed at ${PG_BIN}`
  : process.getuid?.() !== 0
    ? 'needs root to run initdb/postgres as user nobody via runuser'
    : undefined;

describe('pgtune.sh output accepted by PostgreSQL 15', () => {
  let tmp = '';
  let dataDir = '';

  const asNobody = (cmd: string, args: string[]): string =>
    execFileSync('runuser', ['-u', 'nobody', '--', join(PG_BIN, cmd), ...args], {
      encoding: 'utf8',
      cwd: tmp, // postgres must be able to read its working directory
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  const showWith = (conf: string, param: string): string => {
    writeFileSync(join(dataDir, 'conf.d', 'pgtune.conf'), conf, { mode: 0o644 });
    return asNobody('postgres', ['-D', dataDir, '-C', param]).trim();
  };

  beforeAll(() => {
    if (pgSkipReason) return;
    tmp = mkdtempSync(join(tmpdir(), 'pgtune-test-'));
    chmodSync(tmp, 0o755); // nobody must traverse into it
    dataDir = join(tmp, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    chownSync(dataDir, uid, gid);
    asNobody('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust']);
    mkdirSync(join(dataDir, 'conf.d'), { mode: 0o755 });
    appendFileSync(join(dataDir, 'postgresql.conf'), "\ninclude_dir = 'conf.d'\n");
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('web, 12 GB: shared_buffers in 8kB pages, work_mem in kB', (ctx) => {
    ctx.skip(!!pgSkipReason, pgSkipReason);
    const conf = tune({ type: 'web' }).raw;
    expect(showWith(conf, 'shared_buffers')).toBe('393216'); // 3GB / 8kB
    expect(showWith(conf, 'work_mem')).toBe('15420');
    expect(showWith(conf, 'effective_cache_size')).toBe('1179648'); // 9GB / 8kB
    expect(showWith(conf, 'max_parallel_maintenance_workers')).toBe('2');
    expect(showWith(conf, 'huge_pages')).toBe('off');
  });

  it('64 GB, 16 CPUs, hdd: huge_pages try, capped maintenance_work_mem', (ctx) => {
    ctx.skip(!!pgSkipReason, pgSkipReason);
    const conf = tune({ type: 'oltp', storage: 'hdd', ramKb: 64 * GB, cpus: 16 }).raw;
    expect(showWith(conf, 'huge_pages')).toBe('try');
    expect(showWith(conf, 'maintenance_work_mem')).toBe('2097152');
    expect(showWith(conf, 'random_page_cost')).toBe('4');
    expect(showWith(conf, 'max_worker_processes')).toBe('16');
  });

  it('desktop, odd RAM in kB: wal_level minimal accepted', (ctx) => {
    ctx.skip(!!pgSkipReason, pgSkipReason);
    const conf = tune({ type: 'desktop', ramKb: 16370216, cpus: 2 }).raw;
    expect(showWith(conf, 'wal_level')).toBe('minimal');
    expect(showWith(conf, 'max_wal_senders')).toBe('0');
    // 16370216 / 16 = 1023138kB → 127892 pages of 8kB (PostgreSQL rounds down)
    expect(showWith(conf, 'shared_buffers')).toBe('127892');
  });
});
