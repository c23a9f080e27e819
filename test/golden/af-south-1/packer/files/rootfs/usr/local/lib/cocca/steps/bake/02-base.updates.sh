#!/bin/bash
# cocca-bake step base.updates (bake): Turn on unattended security upgrades
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install unattended-upgrades
printf 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n' >/etc/apt/apt.conf.d/20auto-upgrades
