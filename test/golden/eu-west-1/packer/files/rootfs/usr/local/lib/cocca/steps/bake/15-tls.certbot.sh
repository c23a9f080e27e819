#!/bin/bash
# cocca-bake step tls.certbot (bake): Install certbot, and dig for its DNS check
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install certbot bind9-dnsutils
