#!/bin/bash
# cocca-bake step java.install (bake): Install JDK 8u351 into /usr/lib/jvm/jdk1.8.0_351
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-java /usr/lib/jvm/cocca-java tarball /usr/lib/jvm/jdk1.8.0_351 https://updates.coccaregistry.org/jdk-8u351-linux-x64.tar.gz unpinned
