#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
svc restart fail2ban.service
