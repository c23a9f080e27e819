#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
new=/etc/ssh/sshd_config.d/00-cocca.conf.new
cp /usr/local/lib/cocca/sshd-hardening.conf "$new"
chmod 0644 "$new"
had_old=no; [ -e /etc/ssh/sshd_config.d/00-cocca.conf ] && had_old=yes && cp -p /etc/ssh/sshd_config.d/00-cocca.conf /etc/ssh/sshd_config.d/00-cocca.conf.old
mv -f "$new" /etc/ssh/sshd_config.d/00-cocca.conf
mkdir -p /run/sshd
if ! sshd -t; then
  if [ "$had_old" = yes ]; then mv -f /etc/ssh/sshd_config.d/00-cocca.conf.old /etc/ssh/sshd_config.d/00-cocca.conf; else rm -f /etc/ssh/sshd_config.d/00-cocca.conf; fi
  die "sshd -t refused the hardened configuration; the previous one was kept"
fi
rm -f /etc/ssh/sshd_config.d/00-cocca.conf.old
systemctl restart ssh.service
