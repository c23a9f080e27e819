#!/bin/bash
# cocca-bake step sshd.harden (harden): Harden sshd (port 22)
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
/usr/local/lib/cocca/cocca-sshd-apply /usr/local/lib/cocca/sshd-hardening.conf 22 ssh
