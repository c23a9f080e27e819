#!/bin/bash
# cocca-bake step generalize.clean (seal): Generalize the image
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
BUILD_USER=cocca-build IMAGE_PRESET=/etc/systemd/system-preset/00-cocca-image.preset RESIN_HOME=/opt/resin SNAKEOIL_KEY=/etc/ssl/private/ssl-cert-snakeoil.key SNAKEOIL_CERT=/etc/ssl/certs/ssl-cert-snakeoil.pem /usr/local/lib/cocca/cocca-generalize /var/lib/systemd/random-seed /var/lib/systemd/credential.secret /var/lib/fail2ban/fail2ban.sqlite3
