#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install fail2ban python3-systemd
fail2ban-client -t
systemctl enable fail2ban.service
