#!/bin/bash
# cocca-bake step firewall.enable (harden): Enable the firewall
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-firewall-enable 22 198.51.100.0/24 2001:db8:cc::/48
