#!/bin/bash
# cocca-bake step resin.config (boot): Write resin.xml with this instance's address, name, sizes and secrets
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
umask 077
if ! heap=$(kv_get /var/lib/cocca/sizing.env RESIN_HEAP_MB) || ! pool=$(kv_get /var/lib/cocca/sizing.env DB_MAX_CONNECTIONS); then die "the sizing of postgres.tune is missing (/var/lib/cocca/sizing.env)"; fi
vals=$(mktemp /run/cocca-resin.XXXXXX)
trap 'rm -f "$vals"' EXIT
{
  printf "PRIVATE_IPV4=%s\n" "$(value PRIVATE_IPV4)"
  printf "FQDN=%s\n" "$(value FQDN)"
  printf "DB_PASSWORD=%s\n" "$(secret POSTGRES_PASSWORD)"
  printf "KEYSTORE_FILE=%s\n" /opt/resin/conf/keys/instance.jks
  printf "KEYSTORE_PASSWORD=%s\n" "$(secret KEYSTORE_PASSWORD)"
  printf "RESIN_HEAP_MB=%s\n" "$heap"
  printf "DB_MAX_CONNECTIONS=%s\n" "$pool"
} >"$vals"
install -m 0640 -o root -g resin /dev/null /opt/resin/conf/resin.xml
/usr/local/lib/cocca/cocca-fill-template /usr/local/lib/cocca/resin.xml.tmpl /opt/resin/conf/resin.xml "$vals"
