#!/bin/bash
# cocca-bake step host.name (boot): Set the host name
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-hostname
