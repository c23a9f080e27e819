// UTC and NTP: EPP, RDAP and escrow timestamps are UTC (the profile schema refuses others).
import { COCCA_LIB, componentFile, type Component } from '../model.js';

const UTC = `${COCCA_LIB}/cocca-time-utc`;

export const time: Component = {
  name: 'time',
  files: () => [{ path: UTC, mode: '0755', content: componentFile('time', 'cocca-time-utc') }],
  steps: ({ profile }) => [
    {
      component: 'time',
      name: 'utc',
      phase: 'bake',
      title: profile.time.ntp ? 'Set the clock to UTC with NTP' : 'Set the clock to UTC',
      script: `${UTC}${profile.time.ntp ? ' ntp' : ''}`,
      packages: profile.time.ntp ? ['systemd-timesyncd'] : [],
    },
  ],
};
