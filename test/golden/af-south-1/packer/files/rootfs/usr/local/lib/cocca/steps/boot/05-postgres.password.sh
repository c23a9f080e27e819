#!/bin/bash
# cocca-bake step postgres.password (boot): Set the postgres password
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-pg-password
