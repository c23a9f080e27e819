#!/bin/bash
# cocca-bake step postgres.tune (boot): Size PostgreSQL and Resin for this instance's RAM and CPUs (pgtune)
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
mkdir -p "$COCCA_STATE"
/usr/local/lib/cocca/cocca-sizing --pgtune-out /etc/postgresql/15/main/conf.d/50-pgtune.conf --heap-percent 25 -- --pg-version 15 --db-type oltp --storage ssd >/var/lib/cocca/sizing.env.new
mv -f /var/lib/cocca/sizing.env.new /var/lib/cocca/sizing.env
chown postgres:postgres /etc/postgresql/15/main/conf.d/50-pgtune.conf
json='' text=''
while IFS="=" read -r k v; do json+="${json:+,}\"$k\":$v" text+="${text:+ }$k=$v"; done </var/lib/cocca/sizing.env
printf '{%s}\n' "$json" >"$COCCA_STATE/sizing.json"
log "sizing: $text"
