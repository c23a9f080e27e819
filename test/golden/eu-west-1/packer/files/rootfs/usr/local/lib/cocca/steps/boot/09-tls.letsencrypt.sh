#!/bin/bash
# cocca-bake step tls.letsencrypt (boot): Start retrying Let's Encrypt for this host
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
systemctl daemon-reload
systemctl enable --now cocca-certbot.timer
