#!/bin/bash
# cocca-bake step time.utc (bake): Set the clock to UTC with NTP
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
# apt packages: systemd-timesyncd
/usr/local/lib/cocca/cocca-time-utc ntp
