#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
PGPASSWORD=$(secret POSTGRES_PASSWORD)
export PGPASSWORD
if [ "$(psql -X -U postgres -h /var/run/postgresql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'registry'")" != 1 ]; then
  psql -X -U postgres -h /var/run/postgresql -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE registry'
fi
