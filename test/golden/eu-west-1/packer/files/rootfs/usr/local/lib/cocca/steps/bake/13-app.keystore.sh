#!/bin/bash
# cocca-bake step app.keystore (bake): Install the CoCCA lab keystore
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
fetch https://updates.coccaregistry.org/star_coccaregistry_org.jks unpinned /opt/resin/conf/keys/cocca-lab.jks
chmod 0600 /opt/resin/conf/keys/cocca-lab.jks
alias=$(keytool -list -keystore /opt/resin/conf/keys/cocca-lab.jks -storetype JKS </dev/null 2>/dev/null | awk -F, '/PrivateKeyEntry/ && !n++ {print $1}') || true
[ -n "$alias" ] || die "/opt/resin/conf/keys/cocca-lab.jks holds no private key entry (CoCCA's lab keystore is a JKS with one)"
printf '%s\n' "$alias" >/opt/resin/conf/keys/cocca-lab.jks.alias
