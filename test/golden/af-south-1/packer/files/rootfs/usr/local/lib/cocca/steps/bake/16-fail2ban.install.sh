#!/bin/bash
# cocca-bake step fail2ban.install (bake): Install fail2ban with the sshd jail
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install fail2ban python3-systemd
fail2ban-client -t
systemctl enable fail2ban.service
