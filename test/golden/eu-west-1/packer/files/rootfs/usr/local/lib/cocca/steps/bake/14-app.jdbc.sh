#!/bin/bash
# cocca-bake step app.jdbc (bake): Install the PostgreSQL JDBC driver 42.5.0
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
fetch https://jdbc.postgresql.org/download/postgresql-42.5.0.jar unpinned /opt/resin/lib/postgresql-42.5.0.jar
chmod 0644 /opt/resin/lib/postgresql-42.5.0.jar
