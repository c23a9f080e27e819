#!/bin/bash
# cocca-bake step firewall.rules (bake): Write the ufw rules (not enabled yet)
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install ufw
/usr/local/lib/cocca/cocca-ufw-rules /usr/local/lib/cocca/ufw.rules
