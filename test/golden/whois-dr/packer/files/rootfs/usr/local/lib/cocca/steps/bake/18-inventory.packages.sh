#!/bin/bash
# cocca-bake step inventory.packages (bake): Record the installed packages
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-inventory /usr/local/share/cocca/image-packages.tsv
