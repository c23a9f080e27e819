#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
systemctl daemon-reload
systemctl enable resin.service cocca-resin-logs.timer
