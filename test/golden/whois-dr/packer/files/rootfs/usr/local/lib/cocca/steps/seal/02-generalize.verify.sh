#!/bin/bash
# cocca-bake step generalize.verify (seal): Check the image holds nothing of the build machine
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
problems=0
bad() { log "NOT GENERALIZED: $*"; problems=$((problems + 1)); }
mid=$(cat /etc/machine-id 2>/dev/null || true)
[ -z "$mid" ] || [ "$mid" = uninitialized ] || bad "/etc/machine-id is set"
compgen -G "/etc/ssh/ssh_host_*" >/dev/null && bad "ssh host keys are left"
for f in /var/lib/systemd/random-seed /var/lib/systemd/credential.secret /var/lib/fail2ban/fail2ban.sqlite3; do [ -e "$f" ] && bad "$f is left"; done
[ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ] && bad "/var/lib/dbus/machine-id is left"
[ "$(cat /etc/hostname)" = localhost ] || bad "/etc/hostname holds the build machine's name"
grep -q '^127\.0\.1\.1[[:space:]]' /etc/hosts && bad "/etc/hosts names the build machine"
[ -e /etc/ssl/private/ssl-cert-snakeoil.key ] && bad "the snakeoil key is left"
compgen -G "/opt/resin/resin-data/*" >/dev/null && bad "Resin's runtime data is left"
id cocca-build >/dev/null 2>&1 && bad "the build user cocca-build is left"
grep -qs "^cocca-build:" /etc/passwd- /etc/shadow- /etc/group- /etc/gshadow- && bad "the build user cocca-build is left in a shadow backup"
for home in /root /home/*; do [ -e "$home/.ssh/authorized_keys" ] && bad "$home/.ssh/authorized_keys is left"; [ -e "$home/.bash_history" ] && bad "$home/.bash_history is left"; done
compgen -G "/var/lib/cloud/instances/*" >/dev/null && bad "cloud-init instance data is left"
compgen -G "/etc/cocca/*.env" >/dev/null && bad "per-instance values or secrets are left in /etc/cocca"
compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null && bad "apt lists are left"
compgen -G "/var/cache/apt/archives/*.deb" >/dev/null && bad "apt caches are left"
compgen -G "/usr/local/src/*" >/dev/null && bad "build trees are left in /usr/local/src"
if [ -n "$(find /var/log -path /var/log/journal -prune -o -type f -size +0 -print -quit)" ]; then bad "log files are not empty: $(find /var/log -path /var/log/journal -prune -o -type f -size +0 -print | head -3 | tr '\n' ' ')"; fi
if [ -n "$(find /var/log/journal -name "*@*.journal*" -print -quit 2>/dev/null)" ]; then bad "archived journal files are left"; fi
grep -qx 'ENABLED=yes' /etc/ufw/ufw.conf || bad "ufw is not set to start with the instance"
grep -q '^enable cocca-firstboot.service$' /etc/systemd/system-preset/00-cocca-image.preset || bad "the units are not kept as baked (/etc/systemd/system-preset/00-cocca-image.preset)"
[ "$problems" -eq 0 ] || die "$problems generalization check(s) failed"
log "image generalized"
