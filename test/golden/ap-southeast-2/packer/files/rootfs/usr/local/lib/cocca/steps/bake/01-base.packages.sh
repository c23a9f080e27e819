#!/bin/bash
# cocca-bake step base.packages (bake): Install build tools and base packages
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_get update
apt_install build-essential checkinstall zlib1g-dev ca-certificates curl gnupg python3 jq
