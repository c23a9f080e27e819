#!/bin/bash
# cocca-bake step java.install (bake): Install JDK 8u352-temurin into /usr/lib/jvm/jdk8u352-b08
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-java /usr/lib/jvm/cocca-java tarball /usr/lib/jvm/jdk8u352-b08 https://github.com/adoptium/temurin8-binaries/releases/download/jdk8u352-b08/OpenJDK8U-jdk_x64_linux_hotspot_8u352b08.tar.gz 1633bd7590cb1cd72f5a1378ae8294451028b274d798e2a4ac672059a2f00fee
