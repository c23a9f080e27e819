#!/bin/bash
# cocca-bake step fail2ban.start (harden): Start fail2ban
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
svc restart fail2ban.service
