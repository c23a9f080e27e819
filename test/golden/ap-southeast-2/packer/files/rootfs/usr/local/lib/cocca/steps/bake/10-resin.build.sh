#!/bin/bash
# cocca-bake step resin.build (bake): Build and install Resin 4.0.66 into /opt/resin
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-resin-build /opt/resin 4.0.66 https://caucho.com/download/resin-4.0.66.tar.gz unpinned /usr/lib/jvm/cocca-java resin:resin
