// postgres: PGDG or the OS archive, tuned and started at first boot, a backup restored once.
import { translateTable } from '../../../test/unit/component-table.js';
import { postgres } from './index.js';

const LIB = '/usr/local/lib/cocca';
const [PGDG, INSTALL, TUNE, PASSWORD, RESTORE] = ['cocca-pgdg', 'cocca-pg-install', 'cocca-pg-tune', 'cocca-pg-password', 'cocca-pg-restore'].map((n) => `${LIB}/${n}`);
const common = [`${LIB}/pgtune.sh`, `${LIB}/cocca-sizing`];
const files = [...common, PGDG!, INSTALL!, TUNE!, PASSWORD!];
const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const boot = ['boot:postgres.tune', 'boot:postgres.start', 'boot:postgres.password', 'boot:postgres.auth'];

translateTable(postgres, [
  {
    name: 'the seed: PGDG for jammy, PostgreSQL 15, md5, pgtune web/ssd, a quarter of RAM for Resin',
    profile: '',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    files,
    has: {
      'postgres.repository': [`${PGDG} jammy-pgdg https://www.postgresql.org/media/keys/ACCC4CF8.asc B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8 https://apt.postgresql.org/pub/repos/apt /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc`],
      [PGDG!]: ['echo "deb [signed-by=$key] $repository $suite main" >/etc/apt/sources.list.d/pgdg.list', '[ "$got" = "$fingerprint" ] || die "PGDG key fingerprint is $got, expected $fingerprint"'],
      'postgres.install': [`${INSTALL} 15 registry postgresql-15 postgresql-client-15`],
      [INSTALL!]: ['apt_install "$@"', 'runuser -u postgres -- createdb "$db"', 'echo manual >"$etc/start.conf"'],
      'postgres.tune': [`${TUNE} 15 /var/lib/cocca/sizing.env --heap-percent 25 -- --pg-version 15 --db-type web --storage ssd`],
      [TUNE!]: ['"$COCCA_LIB/cocca-sizing" --pgtune-out "$conf" "$@" >"$sizing.new"', 'printf \'{%s}\\n\' "$json" >"$COCCA_STATE/sizing.json"'],
      'postgres.password': [PASSWORD!],
      [PASSWORD!]: ['PGNEWPASS=$(secret POSTGRES_PASSWORD)', "ALTER ROLE postgres PASSWORD :'newpass';"],
      'postgres.auth': [/\\1md5\/' \/etc\/postgresql\/15\/main\/pg_hba.conf$/],
    },
  },
  {
    name: 'debian-12: the bookworm-pgdg suite',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    files,
    has: { 'postgres.repository': [`${PGDG} bookworm-pgdg https://www.postgresql.org/media/keys/ACCC4CF8.asc B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8 https://apt.postgresql.org/pub/repos/apt /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc`] },
  },
  {
    name: 'PostgreSQL 16 (a catalog choice): its packages, cluster and pgtune version',
    profile: 'postgres:\n  version: 16\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    has: {
      'postgres.install': [`${INSTALL} 16 registry postgresql-16 postgresql-client-16`],
      'postgres.tune': [/ -- --pg-version 16 --db-type web --storage ssd$/],
      'postgres.start': ['svc start postgresql@16-main.service'],
    },
  },
  {
    name: 'PostgreSQL 17 (a catalog choice)',
    profile: 'postgres:\n  version: 17\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    has: {
      'postgres.install': [`${INSTALL} 17 registry postgresql-17 postgresql-client-17`],
      'postgres.auth': [/\\1md5\/' \/etc\/postgresql\/17\/main\/pg_hba.conf$/],
    },
  },
  {
    name: 'postgres.source apt behind a mirror: no PGDG step; scram, oltp/hdd, 150 connections, fixed heap and pool',
    profile:
      'apt:\n  sources: ["deb [signed-by=/usr/share/keyrings/m.gpg] https://mirror.example/ubuntu jammy main"]\n' +
      'postgres:\n  source: apt\n  database: srs\n  authMethod: scram-sha-256\n  tune: {dbType: oltp, storage: hdd, connections: 150}\n' +
      'resin:\n  heap: {mib: 4096}\n  pool: {maxConnections: 100}\n',
    steps: ['bake:postgres.install', ...boot],
    files: [...common, INSTALL!, TUNE!, PASSWORD!],
    has: {
      'postgres.install': [`${INSTALL} 15 srs postgresql-15 postgresql-client-15`],
      'postgres.tune': [`${TUNE} 15 /var/lib/cocca/sizing.env --heap-mb 4096 --pool 100 -- --pg-version 15 --db-type oltp --storage hdd --connections 150`],
      'postgres.auth': [/\\1scram-sha-256\/' \/etc\/postgresql\/15\/main\/pg_hba.conf$/],
    },
  },
  {
    name: 'a gzipped backup: restored once, after the password, read with the postgres secret',
    profile: 'postgres:\n  backup: {url: "https://backups.example/registry.sql.gz", sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot, 'boot:postgres.restore'],
    files: [...files, RESTORE!],
    has: {
      'postgres.restore': [`${RESTORE} https://backups.example/registry.sql.gz ${PIN} registry`],
      [RESTORE!]: [
        'case $url in *.gz) dump+=.gz ;; esac',
        'fetch "$url" "$sum" "$dump"',
        'PGPASSWORD=$(secret POSTGRES_PASSWORD)',
        'zcat -f "$dump" | psql -X -q -U postgres -h /var/run/postgresql -d "$db" -v ON_ERROR_STOP=1 --single-transaction',
      ],
    },
  },
  {
    name: 'a plain SQL backup into another database: the same script, its name and database as arguments',
    profile: `postgres:\n  database: srs\n  backup: {url: "file:///srv/backups/srs.sql", sha256: ${PIN}}\n`,
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot, 'boot:postgres.restore'],
    files: [...files, RESTORE!],
    has: { 'postgres.install': [`${INSTALL} 15 srs postgresql-15 postgresql-client-15`], 'postgres.restore': [`${RESTORE} file:///srv/backups/srs.sql ${PIN} srs`] },
  },
]);
