#!/bin/bash
# cocca-bake step generalize.clean (seal): Generalize the image
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
systemctl stop rsyslog.service syslog.socket >/dev/null 2>&1 || true
journalctl --rotate >/dev/null 2>&1 || true
for d in /var/log/journal/*/; do journalctl --directory="$d" --vacuum-time=1s >/dev/null 2>&1 || true; done
cloud-init clean --logs --machine-id --seed
rm -f /etc/ssh/ssh_host_*
systemctl stop systemd-random-seed.service fail2ban.service >/dev/null 2>&1 || true
rm -f /var/lib/systemd/random-seed /var/lib/systemd/credential.secret /var/lib/fail2ban/fail2ban.sqlite3
[ -L /var/lib/dbus/machine-id ] || rm -f /var/lib/dbus/machine-id
echo localhost >/etc/hostname
sed -i '/^127\.0\.1\.1[[:space:]]/d' /etc/hosts
rm -f /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem
rm -rf /opt/resin/resin-data/* /opt/resin/watchdog-data/*
for home in /root /home/*; do rm -f "$home/.ssh/authorized_keys" "$home/.bash_history" "$home/.lesshst" "$home/.viminfo"; done
if id cocca-build >/dev/null 2>&1; then userdel --force --remove cocca-build 2>/dev/null || userdel --force cocca-build; fi
rm -f /etc/passwd- /etc/shadow- /etc/group- /etc/gshadow- /etc/subuid- /etc/subgid-
rm -f /etc/sudoers.d/90-cloud-init-users
rm -f /etc/cocca/instance.env /etc/cocca/values.env /etc/cocca/secrets.env
rm -rf /usr/local/src/* /var/cache/cocca /var/lib/cocca/done/boot
apt-get clean
rm -rf /var/lib/apt/lists/*
find /var/log -type f \( -name "*.gz" -o -name "*.[0-9]" -o -name "*.old" \) -delete
find /var/log -path /var/log/journal -prune -o -type f -exec truncate --no-create -s 0 {} +
rm -rf /tmp/* /var/tmp/*
mkdir -p /etc/systemd/system-preset
systemctl list-unit-files --no-legend --no-pager --state=enabled,disabled | awk '{ print ($2 == "enabled" ? "enable" : "disable"), $1 }' >/etc/systemd/system-preset/00-cocca-image.preset
sed -i 's/^ENABLED=.*/ENABLED=yes/' /etc/ufw/ufw.conf
