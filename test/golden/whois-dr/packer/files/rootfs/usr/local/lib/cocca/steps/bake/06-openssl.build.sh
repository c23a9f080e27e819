#!/bin/bash
# cocca-bake step openssl.build (bake): Build OpenSSL 1.1.1s into /usr/local/ssl (with make test)
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-openssl-build 1.1.1s /usr/local/ssl https://www.openssl.org/source/old/1.1.1/openssl-1.1.1s.tar.gz c5ac01e760ee6ff0dab61d6b2bbd30146724d063eb322180c6f18a6f74e4b6aa test
