// The generated PostgreSQL boot steps, run for real against Debian's own cluster layout
// (pg_createcluster) in a sandbox: pgtune drop-in, password, pg_hba, database, restore.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool, isRoot } from './tools.js';
import { sizingExpected } from '../e2e/lib/checks.js';
import { renderInstanceTree, runSandboxed } from './sandbox.js';

const canRun = isRoot() && (await hasTool('pg_createcluster')) && (await hasTool('unshare'));
let work: string;


const profile = (extra: string) => `apiVersion: cocca-bake/v1
name: pgtest
host: {fqdn: registry.nic.example}
firewall: {trusted: [192.0.2.0/24]}
secrets: {source: user-data}
targets: {aws: {region: eu-west-1}}
${extra}`;

// Letters, digits and the characters that break naive quoting: the operator may hand one in.
const PASSWORD = `pw'"$(touch /tmp/pwned)\`x\`;\\ %s`;

const bootSteps = `
# The machine may have its own cluster: drop it in the overlay, then start from a fresh one.
pg_dropcluster 15 main >/dev/null 2>&1 || true
pg_createcluster 15 main >/dev/null
# The bake's step, as on an image: the registry database made, the cluster out of the boot.
bash -euo pipefail /usr/local/lib/cocca/steps/bake/*-postgres.install.sh >/dev/null
grep -qx manual /etc/postgresql/15/main/start.conf
install -d -m 0700 /etc/cocca
printf 'POSTGRES_PASSWORD=%s\\n' "$PW" >/etc/cocca/secrets.env
chmod 600 /etc/cocca/secrets.env
for s in /usr/local/lib/cocca/steps/boot/*-postgres.*.sh; do
  echo "== $s"
  COCCA_STEP=$(basename "$s") bash -euo pipefail "$s"
done
`;

describe.skipIf(!canRun)('PostgreSQL boot steps on a real PostgreSQL 15 cluster (sandboxed)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-pg-steps-'));
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('tunes, sets the password, requires it (md5) and creates the registry database', async () => {
    const rootfs = await renderInstanceTree(work, profile('postgres: {authMethod: md5, tune: {dbType: web, storage: ssd}}'));
    const r = await runSandboxed(
      rootfs,
      `export PW=${JSON.stringify(PASSWORD).replace(/\$/g, '\\$').replace(/`/g, '\\`')}
${bootSteps}
echo "== checks"
grep -E '^local[[:space:]]+all[[:space:]]+postgres[[:space:]]+md5$' /etc/postgresql/15/main/pg_hba.conf
echo "HBA_OK"
# The password is required now: without it, and with a wrong one, the login fails.
if psql -X -w -U postgres -h /run/postgresql -d postgres -c 'select 1' 2>/dev/null; then echo "NO_PASSWORD_WORKED"; fi
if PGPASSWORD=wrong psql -X -w -U postgres -h /run/postgresql -d postgres -c 'select 1' 2>/dev/null; then echo "WRONG_PASSWORD_WORKED"; fi
PGPASSWORD=$PW psql -X -w -U postgres -h /run/postgresql -d registry -tAc 'select current_database()'
PGPASSWORD=$PW psql -X -w -U postgres -h /run/postgresql -d postgres -tAc "select setting from pg_settings where name = 'shared_buffers'"
PGPASSWORD=$PW psql -X -w -U postgres -h /run/postgresql -d postgres -tAc "select count(*) from pg_file_settings where sourcefile like '%50-pgtune.conf' and error is null and applied"
awk '/MemTotal/ {print "MEMKB " $2}' /proc/meminfo
echo "CPUS $(nproc)"
pg_ctlcluster 15 main status >/dev/null && grep -c . /var/lib/cocca/sizing.env | sed 's/^/SIZING_LINES /'
[ -e /tmp/pwned ] && echo PWNED || true
`,
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('HBA_OK');
    expect(r.output).not.toContain('NO_PASSWORD_WORKED');
    expect(r.output).not.toContain('WRONG_PASSWORD_WORKED');
    expect(r.output).not.toContain('PWNED');
    const lines = r.output.split('\n');
    expect(lines).toContain('registry');
    // pgtune: shared_buffers = a quarter of PostgreSQL's share of this machine's RAM (what
    // Resin's JVM leaves), in 8 kB pages.
    const memKb = Number(/MEMKB (\d+)/.exec(r.output)![1]);
    const cpus = Number(/CPUS (\d+)/.exec(r.output)![1]);
    const sharedPages = Math.floor(Math.floor(sizingExpected(memKb, cpus).postgresKb / 4) / 8);
    expect(r.output).toContain('SIZING_LINES 8');
    expect(lines).toContain(String(sharedPages));
    // Every line of the drop-in applied without error.
    const applied = Number(lines[lines.indexOf(String(sharedPages)) + 1]);
    expect(applied).toBeGreaterThanOrEqual(12);
  });

  it('uses scram-sha-256 when asked and restores a .sql.gz backup exactly once', async () => {
    const dump = gzipSync('CREATE TABLE domain (name text primary key);\nINSERT INTO domain VALUES (\'nic.example\');\n');
    const dumpFile = path.join(work, 'backup.sql.gz');
    await fs.writeFile(dumpFile, dump);
    const sha = createHash('sha256').update(dump).digest('hex');
    const rootfs = await renderInstanceTree(work, 
      profile(`postgres:\n  authMethod: scram-sha-256\n  backup: {url: "file://${dumpFile}", sha256: "${sha}"}`),
    );
    const r = await runSandboxed(
      rootfs,
      `export PW=plainpassword123
${bootSteps}
grep -E '^local[[:space:]]+all[[:space:]]+postgres[[:space:]]+scram-sha-256$' /etc/postgresql/15/main/pg_hba.conf && echo HBA_SCRAM
PGPASSWORD=$PW psql -X -w -U postgres -h /run/postgresql -d registry -tAc 'select count(*) from domain'
# Run the restore again: the marker keeps it from importing twice.
bash -euo pipefail /usr/local/lib/cocca/steps/boot/*-postgres.restore.sh
PGPASSWORD=$PW psql -X -w -U postgres -h /run/postgresql -d registry -tAc "select 'rows=' || count(*) from domain"
`,
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('HBA_SCRAM');
    expect(r.output).toContain('backup already restored');
    expect(r.output).toContain('rows=1');
  });

  it('refuses a backup whose checksum does not match, and imports nothing', async () => {
    const dumpFile = path.join(work, 'tampered.sql');
    await fs.writeFile(dumpFile, 'CREATE TABLE evil (x int);\n');
    const rootfs = await renderInstanceTree(work, profile(`postgres:\n  backup: {url: "file://${dumpFile}", sha256: "${'0'.repeat(64)}"}`));
    const r = await runSandboxed(rootfs, `export PW=plainpassword123\n${bootSteps}`);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/sha256 mismatch/);
  });
});
