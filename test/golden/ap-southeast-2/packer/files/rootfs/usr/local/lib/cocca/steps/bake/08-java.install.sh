#!/bin/bash
# cocca-bake step java.install (bake): Install JDK 8u352-temurin into /usr/lib/jvm/jdk8u352-b08
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
home=/usr/lib/jvm/jdk8u352-b08
if [ ! -x /usr/lib/jvm/jdk8u352-b08/bin/javac ]; then
  fetch https://github.com/adoptium/temurin8-binaries/releases/download/jdk8u352-b08/OpenJDK8U-jdk_x64_linux_hotspot_8u352b08.tar.gz 1633bd7590cb1cd72f5a1378ae8294451028b274d798e2a4ac672059a2f00fee /var/cache/cocca/jdk.tar.gz
  mkdir -p /usr/lib/jvm
  tar -xzf /var/cache/cocca/jdk.tar.gz -C /usr/lib/jvm
  [ -x /usr/lib/jvm/jdk8u352-b08/bin/javac ] || die "the JDK tarball did not unpack to /usr/lib/jvm/jdk8u352-b08: set java.home"
  rm -f /var/cache/cocca/jdk.tar.gz
fi
for tool in java javac keytool; do
  update-alternatives --install "/usr/bin/$tool" "$tool" "/usr/lib/jvm/jdk8u352-b08/bin/$tool" 1081
  update-alternatives --set "$tool" "/usr/lib/jvm/jdk8u352-b08/bin/$tool"
done
ln -sfn "$home" /usr/lib/jvm/cocca-java
/usr/lib/jvm/cocca-java/bin/java -version
