#!/bin/bash
# cocca-bake step resin.service (bake): Install the resin systemd unit and the timer that bounds Resin's logs
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
systemctl daemon-reload
systemctl enable resin.service cocca-resin-logs.timer
