#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
cloud-init clean --logs --machine-id --seed
rm -f /etc/ssh/ssh_host_*
for home in /root /home/*; do rm -f "$home/.ssh/authorized_keys" "$home/.bash_history" "$home/.lesshst" "$home/.viminfo"; done
rm -f /etc/cocca/instance.env /etc/cocca/values.env /etc/cocca/secrets.env
rm -rf /usr/local/src/* /var/cache/cocca /var/lib/cocca/done/boot
apt-get clean
rm -rf /var/lib/apt/lists/*
systemctl stop rsyslog.service syslog.socket >/dev/null 2>&1 || true
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
find /var/log -type f \( -name "*.gz" -o -name "*.[0-9]" -o -name "*.old" \) -delete
find /var/log -path /var/log/journal -prune -o -type f -exec truncate -s 0 {} +
rm -rf /tmp/* /var/tmp/*
