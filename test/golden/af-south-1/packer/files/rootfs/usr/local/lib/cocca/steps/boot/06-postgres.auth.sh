#!/bin/bash
# cocca-bake step postgres.auth (boot): Require a password (md5) for the local postgres login
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
sed -i -E 's/^(local[[:space:]]+all[[:space:]]+postgres[[:space:]]+)(peer|md5|scram-sha-256)[[:space:]]*$/\1md5/' /etc/postgresql/15/main/pg_hba.conf
grep -Eq '^local[[:space:]]+all[[:space:]]+postgres[[:space:]]+md5$' /etc/postgresql/15/main/pg_hba.conf || die "pg_hba.conf has no local postgres line to change"
svc reload postgresql.service
