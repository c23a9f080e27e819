// PostgreSQL from the PGDG repository (signed-by keyring, never apt-key), tuned at first boot
// from the instance's real RAM and CPUs, with the seed's password login for postgres.
// The cluster is left stopped and out of the boot (start.conf manual) by the bake: first boot
// tunes it, then starts it once, with its final settings.
import { readFileSync } from 'node:fs';
import { packageFile } from '../../paths.js';
import { COCCA_LIB, lines, shq, type Component, type Step } from '../model.js';
import { checkAptPostgres, checkDatabaseName } from './rules.js';

/** The PGDG signing key's fingerprint (postgresql.org/download/linux/ubuntu). */
export const PGDG_FINGERPRINT = 'B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8';
const PGDG_KEY_URL = 'https://www.postgresql.org/media/keys/ACCC4CF8.asc';
export const PGTUNE_PATH = `${COCCA_LIB}/pgtune.sh`;
export const SIZING_PATH = `${COCCA_LIB}/cocca-sizing`;
/** pgtune's max_connections per database type when postgres.tune.connections is not set (pgtune.sh). */
export const PGTUNE_CONNECTIONS = { web: 200, oltp: 300, mixed: 100, dw: 40, desktop: 20 } as const;
/** PostgreSQL's superuser_reserved_connections, left at its default (cocca-sizing). */
export const RESERVED_CONNECTIONS = 3;

/** What cocca-sizing settled (RESIN_HEAP_MB, DB_MAX_CONNECTIONS, ...), for the Resin steps. */
export const SIZING_ENV = '/var/lib/cocca/sizing.env';

/** The PGDG apt repository, trusted through a signed-by keyring checked by fingerprint. */
function repositoryStep(suite: string): Step {
  return {
    component: 'postgres',
    name: 'repository',
    phase: 'bake',
    title: 'Add the PGDG apt repository with a signed-by keyring',
    script: lines(
      'key=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc',
      'mkdir -p "${key%/*}"',
      `fetch ${shq(PGDG_KEY_URL)} unpinned /var/cache/cocca/pgdg.asc`,
      // The key is trusted by its fingerprint, not by where it came from.
      'got=$(gpg --show-keys --with-colons /var/cache/cocca/pgdg.asc | awk -F: \'$1 == "fpr" && !n++ {print $10}\')',
      `[ "$got" = ${PGDG_FINGERPRINT} ] || die "PGDG key fingerprint is $got, expected ${PGDG_FINGERPRINT}"`,
      'install -m 0644 /var/cache/cocca/pgdg.asc "$key"',
      `echo "deb [signed-by=$key] https://apt.postgresql.org/pub/repos/apt ${suite} main" >/etc/apt/sources.list.d/pgdg.list`,
      'apt_get update',
    ),
  };
}

export const postgres: Component = {
  name: 'postgres',
  rules: [checkAptPostgres, checkDatabaseName],
  files: () => [
    { path: PGTUNE_PATH, content: readFileSync(packageFile('cloud-init/scripts/pgtune.sh'), 'utf8'), mode: '0755' },
    { path: SIZING_PATH, content: readFileSync(packageFile('cloud-init/scripts/cocca-sizing'), 'utf8'), mode: '0755' },
  ],
  steps: ({ profile, os }) => {
    const pg = profile.postgres;
    const v = pg.version;
    const etc = `/etc/postgresql/${v}/main`;
    const db = pg.database;
    const heap = profile.resin.heap;
    const sizing = [
      heap.mib !== undefined ? `--heap-mb ${heap.mib}` : `--heap-percent ${heap.percent}`,
      profile.resin.pool.maxConnections !== undefined && `--pool ${profile.resin.pool.maxConnections}`,
      '--',
      `--pg-version ${v}`,
      `--db-type ${pg.tune.dbType}`,
      `--storage ${pg.tune.storage}`,
      pg.tune.connections !== undefined && `--connections ${pg.tune.connections}`,
    ].filter(Boolean);
    const cluster = `postgresql@${v}-main.service`;
    return [
      ...(pg.source === 'pgdg' ? [repositoryStep(os.pgdgSuite)] : []),
      {
        component: 'postgres',
        name: 'install',
        phase: 'bake',
        title: `Install PostgreSQL ${v}`,
        script: lines(
          `apt_install ${os.postgresPackages(v).join(' ')}`,
          `grep -q "^include_dir = 'conf.d'" ${etc}/postgresql.conf || echo "include_dir = 'conf.d'" >>${etc}/postgresql.conf`,
          `install -d -o postgres -g postgres ${etc}/conf.d`,
          'systemctl enable postgresql.service',
          // The registry's database, empty, belongs to no one instance: made now, while the
          // package's cluster runs, so first boot need not (CREATE DATABASE copies a template).
          `pg_ctlcluster ${v} main start 2>/dev/null || true`,
          `if [ "$(runuser -u postgres -- psql -X -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${db}'")" != 1 ]; then`,
          `  runuser -u postgres -- createdb ${db}`,
          'fi',
          // Not at boot until first boot has tuned it (it then sets auto); stopped now, so an
          // image carries no running-cluster state and the first start has the final settings.
          `echo manual >${etc}/start.conf`,
          `systemctl stop ${cluster} 2>/dev/null || true`,
        ),
      },
      {
        component: 'postgres',
        name: 'tune',
        phase: 'boot',
        title: "Size PostgreSQL and Resin for this instance's RAM and CPUs (pgtune)",
        script: lines(
          'mkdir -p "$COCCA_STATE"',
          `${SIZING_PATH} --pgtune-out ${etc}/conf.d/50-pgtune.conf ${sizing.join(' ')} >${SIZING_ENV}.new`,
          `mv -f ${SIZING_ENV}.new ${SIZING_ENV}`,
          `chown postgres:postgres ${etc}/conf.d/50-pgtune.conf`,
          // For firstboot.json: the figures as JSON (every value is a whole number).
          "json='' text=''",
          `while IFS="=" read -r k v; do json+="\${json:+,}\\"$k\\":$v" text+="\${text:+ }$k=$v"; done <${SIZING_ENV}`,
          `printf '{%s}\\n' "$json" >"$COCCA_STATE/sizing.json"`,
          'log "sizing: $text"',
        ),
      },
      {
        component: 'postgres',
        name: 'start',
        phase: 'boot',
        title: `Start PostgreSQL ${v}`,
        script: lines(
          `echo auto >${etc}/start.conf`,
          `svc start ${cluster}`,
          `wait_for 60 runuser -u postgres -- pg_isready -q || die "PostgreSQL ${v} did not accept connections within 60 s (see journalctl -u ${cluster})"`,
        ),
      },
      {
        component: 'postgres',
        name: 'password',
        phase: 'boot',
        title: 'Set the postgres password',
        // Before pg_hba asks for it. The password travels by environment, never argv or logs.
        script: lines(
          'PGNEWPASS=$(secret POSTGRES_PASSWORD)',
          'export PGNEWPASS PGPASSWORD=$PGNEWPASS',
          "runuser --preserve-environment -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'",
          '\\getenv newpass PGNEWPASS',
          "ALTER ROLE postgres PASSWORD :'newpass';",
          'SQL',
        ),
      },
      {
        component: 'postgres',
        name: 'auth',
        phase: 'boot',
        title: `Require a password (${pg.authMethod}) for the local postgres login`,
        script: lines(
          // The seed's edit: "Database administrative login by Unix domain socket", peer → md5.
          `sed -i -E 's/^(local[[:space:]]+all[[:space:]]+postgres[[:space:]]+)(peer|md5|scram-sha-256)[[:space:]]*$/\\1${pg.authMethod}/' ${etc}/pg_hba.conf`,
          `grep -Eq '^local[[:space:]]+all[[:space:]]+postgres[[:space:]]+${pg.authMethod}$' ${etc}/pg_hba.conf || die "pg_hba.conf has no local postgres line to change"`,
          'svc reload postgresql.service',
        ),
      },
      ...(pg.backup
        ? [
            {
              component: 'postgres',
              name: 'restore',
              phase: 'boot' as const,
              title: `Restore the backup into ${db} (once)`,
              script: lines(
                'marker=/var/lib/cocca/backup-restored',
                'if [ -e "$marker" ]; then log "backup already restored"; exit 0; fi',
                'mkdir -p /var/lib/cocca /var/cache/cocca',
                `dump=/var/cache/cocca/backup.sql${pg.backup.url.endsWith('.gz') ? '.gz' : ''}`,
                `fetch ${shq(pg.backup.url)} ${pg.backup.sha256} "$dump"`,
                'PGPASSWORD=$(secret POSTGRES_PASSWORD)',
                'export PGPASSWORD',
                `zcat -f "$dump" | psql -X -q -U postgres -h /var/run/postgresql -d ${db} -v ON_ERROR_STOP=1 --single-transaction`,
                'touch "$marker"',
                'rm -f "$dump"',
              ),
            },
          ]
        : []),
    ];
  },
};
