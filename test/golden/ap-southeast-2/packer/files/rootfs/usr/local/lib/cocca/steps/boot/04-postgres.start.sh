#!/bin/bash
# cocca-bake step postgres.start (boot): Start PostgreSQL 15
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
echo auto >/etc/postgresql/15/main/start.conf
svc start postgresql@15-main.service
wait_for 60 runuser -u postgres -- pg_isready -q || die "PostgreSQL 15 did not accept connections within 60 s (see journalctl -u postgresql@15-main.service)"
