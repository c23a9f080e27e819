#!/bin/bash
# cocca-bake step firewall.enable (harden): Enable the firewall
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
if iptables -n -L ufw-user-input >/dev/null 2>&1; then log "ufw is active"; else ufw --force enable; fi
for port in $(sshd_ports); do
  [ "$port" = 2222 ] && continue
  ssh_transition_open "$port" 198.51.100.0/24 2001:db8:cc::/48
  log "sshd listens on port $port for now: open to the trusted networks until it moves"
done
