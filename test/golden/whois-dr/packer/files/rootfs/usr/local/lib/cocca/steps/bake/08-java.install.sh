#!/bin/bash
# cocca-bake step java.install (bake): Install JDK 8u351 into /usr/lib/jvm/jdk1.8.0_351
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
home=/usr/lib/jvm/jdk1.8.0_351
if [ ! -x /usr/lib/jvm/jdk1.8.0_351/bin/javac ]; then
  fetch https://updates.coccaregistry.org/jdk-8u351-linux-x64.tar.gz unpinned /var/cache/cocca/jdk.tar.gz
  mkdir -p /usr/lib/jvm
  tar -xzf /var/cache/cocca/jdk.tar.gz -C /usr/lib/jvm
  [ -x /usr/lib/jvm/jdk1.8.0_351/bin/javac ] || die "the JDK tarball did not unpack to /usr/lib/jvm/jdk1.8.0_351: set java.home"
  rm -f /var/cache/cocca/jdk.tar.gz
fi
for tool in java javac keytool; do
  update-alternatives --install "/usr/bin/$tool" "$tool" "/usr/lib/jvm/jdk1.8.0_351/bin/$tool" 1081
  update-alternatives --set "$tool" "/usr/lib/jvm/jdk1.8.0_351/bin/$tool"
done
ln -sfn "$home" /usr/lib/jvm/cocca-java
/usr/lib/jvm/cocca-java/bin/java -version
