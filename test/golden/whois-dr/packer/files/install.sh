#!/bin/bash
# Installs the uploaded instance files into place (run by Packer as root).
set -euo pipefail
cd "$(dirname "$0")/rootfs"
install -D -o root -g root -m 0644 etc/environment /etc/environment
install -D -o root -g root -m 0644 etc/fail2ban/jail.d/cocca.local /etc/fail2ban/jail.d/cocca.local
install -D -o root -g root -m 0644 etc/systemd/system/cocca-firstboot.service /etc/systemd/system/cocca-firstboot.service
install -D -o root -g root -m 0644 etc/systemd/system/resin.service /etc/systemd/system/resin.service
install -D -o root -g root -m 0755 usr/local/lib/cocca/cocca-fill-template /usr/local/lib/cocca/cocca-fill-template
install -D -o root -g root -m 0755 usr/local/lib/cocca/cocca-keystore /usr/local/lib/cocca/cocca-keystore
install -D -o root -g root -m 0644 usr/local/lib/cocca/defaults.env /usr/local/lib/cocca/defaults.env
install -D -o root -g root -m 0644 usr/local/lib/cocca/lib.sh /usr/local/lib/cocca/lib.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/pgtune.sh /usr/local/lib/cocca/pgtune.sh
install -D -o root -g root -m 0644 usr/local/lib/cocca/resin.xml.tmpl /usr/local/lib/cocca/resin.xml.tmpl
install -D -o root -g root -m 0644 usr/local/lib/cocca/sshd-hardening.conf /usr/local/lib/cocca/sshd-hardening.conf
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/01-base.packages.sh /usr/local/lib/cocca/steps/bake/01-base.packages.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/02-base.updates.sh /usr/local/lib/cocca/steps/bake/02-base.updates.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/03-time.utc.sh /usr/local/lib/cocca/steps/bake/03-time.utc.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/04-postgres.repository.sh /usr/local/lib/cocca/steps/bake/04-postgres.repository.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/05-postgres.install.sh /usr/local/lib/cocca/steps/bake/05-postgres.install.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/06-openssl.build.sh /usr/local/lib/cocca/steps/bake/06-openssl.build.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/07-openssl.system.sh /usr/local/lib/cocca/steps/bake/07-openssl.system.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/08-java.install.sh /usr/local/lib/cocca/steps/bake/08-java.install.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/09-resin.user.sh /usr/local/lib/cocca/steps/bake/09-resin.user.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/10-resin.build.sh /usr/local/lib/cocca/steps/bake/10-resin.build.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/11-resin.service.sh /usr/local/lib/cocca/steps/bake/11-resin.service.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/12-app.war.sh /usr/local/lib/cocca/steps/bake/12-app.war.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/13-app.keystore.sh /usr/local/lib/cocca/steps/bake/13-app.keystore.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/14-app.jdbc.sh /usr/local/lib/cocca/steps/bake/14-app.jdbc.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/15-firewall.rules.sh /usr/local/lib/cocca/steps/bake/15-firewall.rules.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/16-fail2ban.install.sh /usr/local/lib/cocca/steps/bake/16-fail2ban.install.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/bake/17-firstboot.enable.sh /usr/local/lib/cocca/steps/bake/17-firstboot.enable.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/01-host.name.sh /usr/local/lib/cocca/steps/boot/01-host.name.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/02-postgres.tune.sh /usr/local/lib/cocca/steps/boot/02-postgres.tune.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/03-postgres.password.sh /usr/local/lib/cocca/steps/boot/03-postgres.password.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/04-postgres.auth.sh /usr/local/lib/cocca/steps/boot/04-postgres.auth.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/05-postgres.database.sh /usr/local/lib/cocca/steps/boot/05-postgres.database.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/06-resin.config.sh /usr/local/lib/cocca/steps/boot/06-resin.config.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/07-tls.keystore.sh /usr/local/lib/cocca/steps/boot/07-tls.keystore.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/08-firewall.enable.sh /usr/local/lib/cocca/steps/boot/08-firewall.enable.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/09-fail2ban.start.sh /usr/local/lib/cocca/steps/boot/09-fail2ban.start.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/boot/10-sshd.harden.sh /usr/local/lib/cocca/steps/boot/10-sshd.harden.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/seal/01-generalize.clean.sh /usr/local/lib/cocca/steps/seal/01-generalize.clean.sh
install -D -o root -g root -m 0755 usr/local/lib/cocca/steps/seal/02-generalize.verify.sh /usr/local/lib/cocca/steps/seal/02-generalize.verify.sh
install -D -o root -g root -m 0755 usr/local/sbin/cocca-firstboot /usr/local/sbin/cocca-firstboot
install -D -o root -g root -m 0755 usr/local/sbin/cocca-run /usr/local/sbin/cocca-run
