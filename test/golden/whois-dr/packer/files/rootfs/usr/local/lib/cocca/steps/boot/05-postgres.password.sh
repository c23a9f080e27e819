#!/bin/bash
# cocca-bake step postgres.password (boot): Set the postgres password
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
PGNEWPASS=$(secret POSTGRES_PASSWORD)
export PGNEWPASS PGPASSWORD=$PGNEWPASS
runuser --preserve-environment -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
\getenv newpass PGNEWPASS
ALTER ROLE postgres PASSWORD :'newpass';
SQL
