#!/bin/bash
# cocca-bake step postgres.repository (bake): Add the PGDG apt repository with a signed-by keyring
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-pgdg jammy-pgdg https://www.postgresql.org/media/keys/ACCC4CF8.asc B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8 https://apt.postgresql.org/pub/repos/apt /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc
