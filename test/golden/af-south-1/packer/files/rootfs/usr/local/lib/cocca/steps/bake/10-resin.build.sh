#!/bin/bash
# cocca-bake step resin.build (bake): Build and install Resin 4.0.66 into /opt/resin
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
if [ "$(cat /opt/resin/.cocca-version 2>/dev/null)" = 4.0.66 ]; then log "Resin 4.0.66 already installed"; exit 0; fi
fetch https://caucho.com/download/resin-4.0.66.tar.gz unpinned /usr/local/src/resin-4.0.66.tar.gz
rm -rf /usr/local/src/resin-4.0.66
tar -xzf /usr/local/src/resin-4.0.66.tar.gz -C /usr/local/src
cd /usr/local/src/resin-4.0.66 || die "cannot enter /usr/local/src/resin-4.0.66"
export JAVA_HOME=/usr/lib/jvm/cocca-java
./configure --enable-64bit --prefix=/opt/resin --with-resin-root=/opt/resin --with-resin-log=/opt/resin/log --with-resin-conf=/opt/resin/conf
make
make install
if [ -e /etc/init.d/resin ]; then update-rc.d -f resin remove >/dev/null 2>&1 || true; rm -f /etc/init.d/resin; fi
rm -rf /opt/resin/webapps/ROOT
mkdir -p /opt/resin/conf/keys /opt/resin/log /opt/resin/webapps /opt/resin/resin-data /opt/resin/watchdog-data
chown -R resin:resin /opt/resin/log /opt/resin/webapps /opt/resin/resin-data /opt/resin/watchdog-data
echo 4.0.66 >/opt/resin/.cocca-version
