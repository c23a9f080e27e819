#!/bin/bash
# cocca-bake step postgres.tune (boot): Size PostgreSQL and Resin for this instance's RAM and CPUs (pgtune)
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-pg-tune 15 /var/lib/cocca/sizing.env --heap-percent 25 -- --pg-version 15 --db-type web --storage ssd
