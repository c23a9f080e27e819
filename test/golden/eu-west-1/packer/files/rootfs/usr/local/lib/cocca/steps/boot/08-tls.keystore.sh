#!/bin/bash
# cocca-bake step tls.keystore (boot): Re-key the CoCCA lab keystore for Resin
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
[ -s /opt/resin/conf/keys/cocca-lab.jks ] || die "/opt/resin/conf/keys/cocca-lab.jks is missing"
SRCPW=$(secret SOURCE_KEYSTORE_PASSWORD) ||
  die "the password of /opt/resin/conf/keys/cocca-lab.jks is not set (SOURCE_KEYSTORE_PASSWORD)"
export SRCPW
/usr/local/lib/cocca/cocca-keystore /opt/resin/conf/keys/cocca-lab.jks JKS "$(</opt/resin/conf/keys/cocca-lab.jks.alias)"
