#!/bin/bash
# cocca-bake step app.war (bake): Install the CoCCA WHOIS/DR ROOT.war
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
fetch https://updates.coccaregistry.org/whois-dr/ROOT.war unpinned /opt/resin/webapps/ROOT.war
chown resin:resin /opt/resin/webapps/ROOT.war
