#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
[ -s /opt/resin/conf/keys/cocca-lab.jks ] || die "/opt/resin/conf/keys/cocca-lab.jks is missing"
SRCPW=$(kv_get /etc/cocca/instance.env COCCA_SOURCE_KEYSTORE_PASSWORD) ||
  die "the password of /opt/resin/conf/keys/cocca-lab.jks is not set: hand it in as COCCA_SOURCE_KEYSTORE_PASSWORD through the first-boot user-data"
export SRCPW
/usr/local/lib/cocca/cocca-keystore /opt/resin/conf/keys/cocca-lab.jks JKS
