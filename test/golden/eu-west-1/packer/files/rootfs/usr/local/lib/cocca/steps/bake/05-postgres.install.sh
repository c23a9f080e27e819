#!/bin/bash
# cocca-bake step postgres.install (bake): Install PostgreSQL 15
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install postgresql-15 postgresql-client-15
grep -q "^include_dir = 'conf.d'" /etc/postgresql/15/main/postgresql.conf || echo "include_dir = 'conf.d'" >>/etc/postgresql/15/main/postgresql.conf
install -d -o postgres -g postgres /etc/postgresql/15/main/conf.d
systemctl enable postgresql.service
pg_ctlcluster 15 main start 2>/dev/null || true
if [ "$(runuser -u postgres -- psql -X -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'registry'")" != 1 ]; then
  runuser -u postgres -- createdb registry
fi
echo manual >/etc/postgresql/15/main/start.conf
systemctl stop postgresql@15-main.service 2>/dev/null || true
