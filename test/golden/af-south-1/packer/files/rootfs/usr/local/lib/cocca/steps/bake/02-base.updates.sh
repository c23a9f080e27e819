#!/bin/bash
# cocca-bake step base.updates (bake): Turn on unattended security upgrades
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
# apt packages: unattended-upgrades
/usr/local/lib/cocca/cocca-unattended on
