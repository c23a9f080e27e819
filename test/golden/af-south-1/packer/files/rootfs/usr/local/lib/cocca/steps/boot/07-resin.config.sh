#!/bin/bash
# cocca-bake step resin.config (boot): Write resin.xml with this instance's address, name, sizes and secrets
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-resin-config /usr/local/lib/cocca/resin.xml.tmpl /opt/resin/conf/resin.xml /var/lib/cocca/sizing.env /opt/resin/conf/keys/instance.jks resin
