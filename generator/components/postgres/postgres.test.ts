// postgres: PGDG or the OS archive, tuned and started at first boot, a backup restored once.
import { translateTable } from '../../../test/unit/component-table.js';
import { postgres } from './index.js';

const files = ['/usr/local/lib/cocca/pgtune.sh', '/usr/local/lib/cocca/cocca-sizing'];
const boot = ['boot:postgres.tune', 'boot:postgres.start', 'boot:postgres.password', 'boot:postgres.auth'];

translateTable(postgres, [
  {
    name: 'the seed: PGDG for jammy, PostgreSQL 15, md5, pgtune web/ssd, a quarter of RAM for Resin',
    profile: '',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    files,
    has: {
      'postgres.repository': ['echo "deb [signed-by=$key] https://apt.postgresql.org/pub/repos/apt jammy-pgdg main" >/etc/apt/sources.list.d/pgdg.list', '[ "$got" = B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8 ] || die "PGDG key fingerprint is $got, expected B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8"'],
      'postgres.install': ['apt_install postgresql-15 postgresql-client-15', '  runuser -u postgres -- createdb registry'.trim(), 'echo manual >/etc/postgresql/15/main/start.conf'],
      'postgres.tune': ['/usr/local/lib/cocca/cocca-sizing --pgtune-out /etc/postgresql/15/main/conf.d/50-pgtune.conf --heap-percent 25 -- --pg-version 15 --db-type web --storage ssd >/var/lib/cocca/sizing.env.new'],
      'postgres.auth': [/\\1md5\/' \/etc\/postgresql\/15\/main\/pg_hba.conf$/],
    },
  },
  {
    name: 'debian-12: the bookworm-pgdg suite',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    has: { 'postgres.repository': ['echo "deb [signed-by=$key] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" >/etc/apt/sources.list.d/pgdg.list'] },
  },
  {
    name: 'PostgreSQL 16 (a catalog choice): its packages, cluster and pgtune version',
    profile: 'postgres:\n  version: 16\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    has: {
      'postgres.install': ['apt_install postgresql-16 postgresql-client-16', 'echo manual >/etc/postgresql/16/main/start.conf', 'systemctl stop postgresql@16-main.service 2>/dev/null || true'],
      'postgres.tune': [/ -- --pg-version 16 --db-type web --storage ssd >/],
      'postgres.start': ['svc start postgresql@16-main.service'],
    },
  },
  {
    name: 'PostgreSQL 17 (a catalog choice)',
    profile: 'postgres:\n  version: 17\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot],
    has: {
      'postgres.install': ['apt_install postgresql-17 postgresql-client-17', 'echo manual >/etc/postgresql/17/main/start.conf'],
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
    has: {
      'postgres.install': ['runuser -u postgres -- createdb srs'],
      'postgres.tune': ['/usr/local/lib/cocca/cocca-sizing --pgtune-out /etc/postgresql/15/main/conf.d/50-pgtune.conf --heap-mb 4096 --pool 100 -- --pg-version 15 --db-type oltp --storage hdd --connections 150 >/var/lib/cocca/sizing.env.new'],
      'postgres.auth': [/\\1scram-sha-256\/' \/etc\/postgresql\/15\/main\/pg_hba.conf$/],
    },
  },
  {
    name: 'a gzipped backup: restored once, after the password, read with the postgres secret',
    profile: 'postgres:\n  backup: {url: "https://backups.example/registry.sql.gz", sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}\n',
    steps: ['bake:postgres.repository', 'bake:postgres.install', ...boot, 'boot:postgres.restore'],
    has: {
      'postgres.restore': [
        'dump=/var/cache/cocca/backup.sql.gz',
        'fetch https://backups.example/registry.sql.gz 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef "$dump"',
        'PGPASSWORD=$(secret POSTGRES_PASSWORD)',
        'zcat -f "$dump" | psql -X -q -U postgres -h /var/run/postgresql -d registry -v ON_ERROR_STOP=1 --single-transaction',
      ],
    },
  },
]);
