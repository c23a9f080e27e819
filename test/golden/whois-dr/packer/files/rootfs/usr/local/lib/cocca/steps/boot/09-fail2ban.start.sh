#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
fail2ban-client -t
systemctl restart fail2ban.service
