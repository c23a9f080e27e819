// generalize: the image's last act, and the check that it left nothing of the build machine.
import { translateTable } from '../../../test/unit/component-table.js';
import { generalize } from './index.js';

const steps = ['seal:generalize.clean', 'seal:generalize.verify'];

translateTable(generalize, [
  {
    name: 'an AMI: cloud-init cleaned, host keys and the build user gone, ufw set to start last',
    profile: '',
    steps,
    files: [],
    has: {
      'generalize.clean': ['cloud-init clean --logs --machine-id --seed', 'rm -f /etc/ssh/ssh_host_*', "sed -i 's/^ENABLED=.*/ENABLED=yes/' /etc/ufw/ufw.conf"],
      'generalize.verify': ['[ "$problems" -eq 0 ] || die "$problems generalization check(s) failed"', /^id cocca-build >\/dev\/null 2>&1 && bad/],
    },
  },
  {
    name: 'a qcow2 beside the AMI: the same seal (the qemu build user cocca-build removed)',
    profile: 'targets:\n  qemu: {}\nssh:\n  allowUsers: [ubuntu]\n',
    steps,
    has: { 'generalize.clean': [/userdel --force --remove cocca-build/] },
  },
  {
    name: "debian-12: the same seal (the units kept as baked, so ssh.socket's preset cannot take port 22)",
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps,
    has: { 'generalize.clean': ['mkdir -p /etc/systemd/system-preset'] },
  },
]);
