#!/bin/bash
# cocca-bake step resin.user (bake): Create the resin system user
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
id resin >/dev/null 2>&1 || useradd --system --home-dir /opt/resin --no-create-home --shell /usr/sbin/nologin resin
