#!/bin/bash
# cocca-bake step app.keystore (bake): Install the CoCCA lab keystore
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-lab-keystore https://updates.coccaregistry.org/star_coccaregistry_org.jks unpinned /opt/resin/conf/keys/cocca-lab.jks /opt/resin/conf/keys/cocca-lab.jks.alias
