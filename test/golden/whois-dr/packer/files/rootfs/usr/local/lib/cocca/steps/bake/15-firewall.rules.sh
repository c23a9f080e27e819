#!/bin/bash
# cocca-bake step firewall.rules (bake): Write the ufw rules (not enabled yet)
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install ufw
ufw --force reset >/dev/null
rm -f /etc/ufw/*.rules.[0-9]* /etc/ufw/*.rules.*_[0-9]*
ufw default deny incoming
ufw default allow outgoing
ufw allow from 198.51.100.0/24 to any port 22 proto tcp comment cocca-ssh
ufw allow from 198.51.100.0/24 to any port 53 comment cocca-trusted
ufw allow from 2001:db8:cc::/48 to any port 22 proto tcp comment cocca-ssh
ufw allow from 2001:db8:cc::/48 to any port 53 comment cocca-trusted
ufw allow 80/tcp comment cocca-public
ufw allow 443/tcp comment cocca-public
ufw allow 43/tcp comment cocca-public
