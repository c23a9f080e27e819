// PostgreSQL from the PGDG repository (signed-by keyring, never apt-key), tuned at first boot
// from the instance's real RAM and CPUs, with the seed's password login for postgres.
// The cluster is left stopped and out of the boot (start.conf manual) by the bake: first boot
// tunes it, then starts it once, with its final settings. The scripts beside this file do the
// work; the steps hand them the profile's values.
import { COCCA_STATE } from '../../instance/paths.js';
import { COCCA_LIB, componentFile, lines, shq, type Component, type Step } from '../model.js';
import { checkAptPostgres, checkDatabaseName } from './rules.js';

/** The PGDG signing key's fingerprint (postgresql.org/download/linux/ubuntu). */
export const PGDG_FINGERPRINT = 'B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8';
/** Where the PGDG signing key is downloaded from (then held to PGDG_FINGERPRINT). */
export const PGDG_KEY_URL = 'https://www.postgresql.org/media/keys/ACCC4CF8.asc';
/** PGDG's apt repository and where its key is kept on the instance (cocca-pgdg; and the bundle resolves from them). */
export const PGDG_REPOSITORY = 'https://apt.postgresql.org/pub/repos/apt';
export const PGDG_KEYRING = '/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc';
export const PGTUNE_PATH = `${COCCA_LIB}/pgtune.sh`;
export const SIZING_PATH = `${COCCA_LIB}/cocca-sizing`;
/** pgtune's max_connections per database type when postgres.tune.connections is not set (pgtune.sh). */
export const PGTUNE_CONNECTIONS = { web: 200, oltp: 300, mixed: 100, dw: 40, desktop: 20 } as const;
/** PostgreSQL's superuser_reserved_connections, left at its default (cocca-sizing). */
export const RESERVED_CONNECTIONS = 3;

/** What cocca-sizing settled (RESIN_HEAP_MB, DB_MAX_CONNECTIONS, ...), for the Resin steps. */
export const SIZING_ENV = `${COCCA_STATE}/sizing.env`;

const PGDG = `${COCCA_LIB}/cocca-pgdg`;
const INSTALL = `${COCCA_LIB}/cocca-pg-install`;
const TUNE = `${COCCA_LIB}/cocca-pg-tune`;
const PASSWORD = `${COCCA_LIB}/cocca-pg-password`;
const RESTORE = `${COCCA_LIB}/cocca-pg-restore`;

/** The PGDG apt repository, trusted through a signed-by keyring checked by fingerprint. */
function repositoryStep(suite: string): Step {
  return {
    component: 'postgres',
    name: 'repository',
    phase: 'bake',
    title: 'Add the PGDG apt repository with a signed-by keyring',
    script: `${PGDG} ${suite} ${shq(PGDG_KEY_URL)} ${PGDG_FINGERPRINT} ${shq(PGDG_REPOSITORY)} ${PGDG_KEYRING}`,
  };
}

export const postgres: Component = {
  name: 'postgres',
  rules: [checkAptPostgres, checkDatabaseName],
  files: ({ profile }) => [
    { path: PGTUNE_PATH, content: componentFile('postgres', 'pgtune.sh'), mode: '0755' },
    { path: SIZING_PATH, content: componentFile('postgres', 'cocca-sizing'), mode: '0755' },
    ...(profile.postgres.source === 'pgdg' ? [{ path: PGDG, content: componentFile('postgres', 'cocca-pgdg'), mode: '0755' as const }] : []),
    { path: INSTALL, content: componentFile('postgres', 'cocca-pg-install'), mode: '0755' },
    { path: TUNE, content: componentFile('postgres', 'cocca-pg-tune'), mode: '0755' },
    { path: PASSWORD, content: componentFile('postgres', 'cocca-pg-password'), mode: '0755' },
    ...(profile.postgres.backup ? [{ path: RESTORE, content: componentFile('postgres', 'cocca-pg-restore'), mode: '0755' as const }] : []),
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
        script: `${INSTALL} ${v} ${shq(db)} ${os.postgresPackages(v).join(' ')}`,
        packages: os.postgresPackages(v),
      },
      {
        component: 'postgres',
        name: 'tune',
        phase: 'boot',
        title: "Size PostgreSQL and Resin for this instance's RAM and CPUs (pgtune)",
        script: `${TUNE} ${v} ${SIZING_ENV} ${sizing.join(' ')}`,
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
        // Before pg_hba asks for it (the script reads the secret itself: never argv or logs).
        script: PASSWORD,
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
              script: `${RESTORE} ${shq(pg.backup.url)} ${pg.backup.sha256} ${shq(db)}`,
            },
          ]
        : []),
    ];
  },
};
