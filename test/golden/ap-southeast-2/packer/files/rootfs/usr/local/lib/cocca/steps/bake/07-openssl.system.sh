#!/bin/bash
# cocca-bake step openssl.system (bake): Put OpenSSL 1.1.1 on the library path and PATH
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
echo /usr/local/ssl/lib >/etc/ld.so.conf.d/openssl-1.1.1.conf
ldconfig
for bin in openssl c_rehash; do
  if ! dpkg-divert --list "/usr/bin/$bin" | grep -q .; then
    dpkg-divert --local --rename --divert "/usr/bin/$bin.distrib" --add "/usr/bin/$bin"
  fi
  ln -sfn "/usr/local/ssl/bin/$bin" "/usr/bin/$bin"
done
/usr/local/ssl/bin/openssl version
