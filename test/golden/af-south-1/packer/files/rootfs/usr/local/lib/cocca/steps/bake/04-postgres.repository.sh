#!/bin/bash
# cocca-bake step postgres.repository (bake): Add the PGDG apt repository with a signed-by keyring
# shellcheck source=/dev/null
. /usr/local/lib/cocca/lib.sh
key=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc
mkdir -p "${key%/*}"
fetch https://www.postgresql.org/media/keys/ACCC4CF8.asc unpinned /var/cache/cocca/pgdg.asc
got=$(gpg --show-keys --with-colons /var/cache/cocca/pgdg.asc | awk -F: '$1 == "fpr" && !n++ {print $10}')
[ "$got" = B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8 ] || die "PGDG key fingerprint is $got, expected B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8"
install -m 0644 /var/cache/cocca/pgdg.asc "$key"
echo "deb [signed-by=$key] https://apt.postgresql.org/pub/repos/apt jammy-pgdg main" >/etc/apt/sources.list.d/pgdg.list
apt_get update
