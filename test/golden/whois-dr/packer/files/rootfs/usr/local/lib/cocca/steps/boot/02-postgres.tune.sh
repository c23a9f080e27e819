#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/pgtune.sh --pg-version 15 --db-type web --storage ssd >/etc/postgresql/15/main/conf.d/50-pgtune.conf.new
mv -f /etc/postgresql/15/main/conf.d/50-pgtune.conf.new /etc/postgresql/15/main/conf.d/50-pgtune.conf
chown postgres:postgres /etc/postgresql/15/main/conf.d/50-pgtune.conf
systemctl restart postgresql.service
pg_isready_wait() { for _ in $(seq 60); do runuser -u postgres -- pg_isready -q && return 0; sleep 1; done; return 1; }
pg_isready_wait || die "PostgreSQL did not come back after tuning"
