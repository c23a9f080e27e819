#!/bin/bash
# cocca-bake step time.utc (bake): Set the clock to UTC with NTP
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
ln -sfn /usr/share/zoneinfo/UTC /etc/localtime
echo UTC >/etc/timezone
apt_install systemd-timesyncd
systemctl enable systemd-timesyncd.service
timedatectl set-ntp true 2>/dev/null || log "timedatectl unavailable now; systemd-timesyncd is enabled"
