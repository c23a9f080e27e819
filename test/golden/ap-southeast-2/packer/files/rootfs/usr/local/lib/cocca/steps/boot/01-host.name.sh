#!/bin/bash
# cocca-bake step host.name (boot): Set the host name
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
fqdn=$(value FQDN)
short=${fqdn%%.*}
if [ "$(hostname)" != "$short" ]; then
  echo "$short" >/etc/hostname
  hostname "$short"
fi
sed -i '/^127\.0\.1\.1[[:space:]]/d' /etc/hosts
printf "127.0.1.1 %s %s\n" "$fqdn" "$short" >>/etc/hosts
