#!/bin/bash
# cocca-bake step openssl.build (bake): Build OpenSSL 1.1.1s into /usr/local/ssl (with make test)
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
if /usr/local/ssl/bin/openssl version 2>/dev/null | grep -q '^OpenSSL 1.1.1s '; then log "OpenSSL 1.1.1s already installed"; exit 0; fi
fetch https://www.openssl.org/source/old/1.1.1/openssl-1.1.1s.tar.gz c5ac01e760ee6ff0dab61d6b2bbd30146724d063eb322180c6f18a6f74e4b6aa /usr/local/src/openssl-1.1.1s.tar.gz
rm -rf /usr/local/src/openssl-1.1.1s
tar -xzf /usr/local/src/openssl-1.1.1s.tar.gz -C /usr/local/src
cd /usr/local/src/openssl-1.1.1s || die "cannot enter /usr/local/src/openssl-1.1.1s"
./config --prefix=/usr/local/ssl --openssldir=/usr/local/ssl shared zlib
make -j"$(nproc)"
make test
make install_sw install_ssldirs
