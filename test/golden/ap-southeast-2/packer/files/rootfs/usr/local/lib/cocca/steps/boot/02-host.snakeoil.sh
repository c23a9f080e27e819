#!/bin/bash
# cocca-bake step host.snakeoil (boot): Make this instance's own snakeoil key and certificate
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-snakeoil /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem
