#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
ufw --force enable
ufw status verbose
