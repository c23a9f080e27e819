#!/bin/bash
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
apt_install postgresql-15 postgresql-client-15
grep -q "^include_dir = 'conf.d'" /etc/postgresql/15/main/postgresql.conf || echo "include_dir = 'conf.d'" >>/etc/postgresql/15/main/postgresql.conf
install -d -o postgres -g postgres /etc/postgresql/15/main/conf.d
systemctl enable postgresql.service
