// generalize: the image's last act, and the check that it left nothing of the build machine.
import { translateTable } from '../../../test/unit/component-table.js';
import { generalize } from './index.js';

const steps = ['seal:generalize.clean', 'seal:generalize.verify'];
const CLEAN = '/usr/local/lib/cocca/cocca-generalize';
const CHECK = '/usr/local/lib/cocca/cocca-generalize-check';
const ENV = 'BUILD_USER=cocca-build IMAGE_PRESET=/etc/systemd/system-preset/00-cocca-image.preset RESIN_HOME=/opt/resin SNAKEOIL_KEY=/etc/ssl/private/ssl-cert-snakeoil.key SNAKEOIL_CERT=/etc/ssl/certs/ssl-cert-snakeoil.pem';
const PER_MACHINE = '/var/lib/systemd/random-seed /var/lib/systemd/credential.secret /var/lib/fail2ban/fail2ban.sqlite3';

translateTable(generalize, [
  {
    name: 'an AMI: cloud-init cleaned, host keys and the build user gone, ufw set to start last',
    profile: '',
    steps,
    files: [CLEAN, CHECK],
    has: {
      'generalize.clean': [`${ENV} ${CLEAN} ${PER_MACHINE}`],
      'generalize.verify': [`${ENV} ${CHECK} ${PER_MACHINE}`],
      [CLEAN]: ['cloud-init clean --logs --machine-id --seed', 'rm -f /etc/ssh/ssh_host_*', 'rm -f "$@"', "sed -i 's/^ENABLED=.*/ENABLED=yes/' /etc/ufw/ufw.conf"],
      [CHECK]: ['[ "$problems" -eq 0 ] || die "$problems generalization check(s) failed"', 'for f in "$@"; do [ -e "$f" ] && bad "$f is left"; done', /^id "\$BUILD_USER" >\/dev\/null 2>&1 && bad/],
    },
  },
  {
    name: 'a qcow2 beside the AMI: the same seal (the qemu build user cocca-build removed)',
    profile: 'targets:\n  qemu: {}\nssh:\n  allowUsers: [ubuntu]\n',
    steps,
    has: { 'generalize.clean': [`${ENV} ${CLEAN} ${PER_MACHINE}`], [CLEAN]: [/userdel --force --remove "\$BUILD_USER"/] },
  },
  {
    name: "debian-12: the same seal (the units kept as baked, so ssh.socket's preset cannot take port 22)",
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps,
    has: { 'generalize.clean': [`${ENV} ${CLEAN} ${PER_MACHINE}`], [CLEAN]: ['mkdir -p "${IMAGE_PRESET%/*}"'] },
  },
]);
