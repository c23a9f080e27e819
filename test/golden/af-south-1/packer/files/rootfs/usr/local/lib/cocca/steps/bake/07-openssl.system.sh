#!/bin/bash
# cocca-bake step openssl.system (bake): Put OpenSSL 1.1.1 on the library path and PATH
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-openssl-system /usr/local/ssl divert
