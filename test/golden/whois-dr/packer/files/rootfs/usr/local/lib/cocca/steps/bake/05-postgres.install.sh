#!/bin/bash
# cocca-bake step postgres.install (bake): Install PostgreSQL 15
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
# apt packages: postgresql-15 postgresql-client-15
/usr/local/lib/cocca/cocca-pg-install 15 registry postgresql-15 postgresql-client-15
