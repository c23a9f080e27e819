// time: UTC always, NTP by systemd-timesyncd unless the profile turns it off.
import { translateTable } from '../../../test/unit/component-table.js';
import { time } from './index.js';

const UTC = '/usr/local/lib/cocca/cocca-time-utc';

translateTable(time, [
  {
    name: 'the seed: UTC with NTP',
    profile: '',
    steps: ['bake:time.utc'],
    files: [UTC],
    has: { 'time.utc': [`${UTC} ntp`], [UTC]: ['ln -sfn /usr/share/zoneinfo/UTC /etc/localtime', 'echo UTC >/etc/timezone', 'apt_install systemd-timesyncd', 'systemctl enable systemd-timesyncd.service'] },
  },
  {
    name: 'ntp off: UTC only, no time daemon installed',
    profile: 'time:\n  ntp: false\n',
    steps: ['bake:time.utc'],
    has: { 'time.utc': [UTC] },
    lacks: { 'time.utc': [/ntp/] },
  },
  {
    name: 'debian-12: the same step',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    steps: ['bake:time.utc'],
    has: { 'time.utc': [`${UTC} ntp`] },
  },
]);
