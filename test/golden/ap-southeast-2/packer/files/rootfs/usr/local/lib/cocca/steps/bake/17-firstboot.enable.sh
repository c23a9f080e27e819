#!/bin/bash
# cocca-bake step firstboot.enable (bake): Enable cocca-firstboot.service
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
systemctl daemon-reload
systemctl enable cocca-firstboot.service
