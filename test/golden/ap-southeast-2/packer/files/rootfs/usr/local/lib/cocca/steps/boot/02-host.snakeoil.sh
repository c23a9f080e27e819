#!/bin/bash
# cocca-bake step host.snakeoil (boot): Make this instance's own snakeoil key and certificate
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
if ! getent group ssl-cert >/dev/null; then log "ssl-cert is not installed: no snakeoil pair to make"; exit 0; fi
fqdn=$(value FQDN)
umask 077
openssl req -new -x509 -nodes -days 3650 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=$fqdn" -addext "subjectAltName=DNS:$fqdn" -keyout /etc/ssl/private/ssl-cert-snakeoil.key.new -out /etc/ssl/certs/ssl-cert-snakeoil.pem.new 2>/dev/null
chown root:ssl-cert /etc/ssl/private/ssl-cert-snakeoil.key.new
chmod 640 /etc/ssl/private/ssl-cert-snakeoil.key.new
chmod 644 /etc/ssl/certs/ssl-cert-snakeoil.pem.new
mv -f /etc/ssl/private/ssl-cert-snakeoil.key.new /etc/ssl/private/ssl-cert-snakeoil.key
mv -f /etc/ssl/certs/ssl-cert-snakeoil.pem.new /etc/ssl/certs/ssl-cert-snakeoil.pem
