// UTC and NTP: EPP, RDAP and escrow timestamps are UTC (the profile schema refuses others).
import { lines, type Component } from '../model.js';

export const time: Component = {
  name: 'time',
  steps: ({ profile }) => [
    {
      component: 'time',
      name: 'utc',
      phase: 'bake',
      title: profile.time.ntp ? 'Set the clock to UTC with NTP' : 'Set the clock to UTC',
      script: lines(
        // Written directly: timedatectl needs a running systemd-timedated, which a bake may lack.
        'ln -sfn /usr/share/zoneinfo/UTC /etc/localtime',
        'echo UTC >/etc/timezone',
        profile.time.ntp && 'apt_install systemd-timesyncd',
        profile.time.ntp && 'systemctl enable systemd-timesyncd.service',
        profile.time.ntp && 'timedatectl set-ntp true 2>/dev/null || log "timedatectl unavailable now; systemd-timesyncd is enabled"',
      ),
    },
  ],
};
