#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install certbot bind9-dnsutils
