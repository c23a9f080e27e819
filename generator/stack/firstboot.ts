// The programs on the instance that run the steps (cocca-run) and the first boot
// (cocca-firstboot.service), and the profile's defaults first boot falls back on.
import { readFileSync } from 'node:fs';
import { packageFile } from '../paths.js';
import { FILL_TEMPLATE, RESIN_PORTS } from './resin.js';
import { lines, type Component } from './step.js';

const script = (rel: string) => readFileSync(packageFile(`cloud-init/scripts/${rel}`), 'utf8');

export const FIRSTBOOT_UNIT = lines(
  '[Unit]',
  "Description=cocca-bake first boot: this instance's values, secrets and boot steps",
  'Documentation=file:/usr/local/sbin/cocca-firstboot',
  // After cloud-init has written /etc/cocca/instance.env; after PostgreSQL, which the boot steps tune.
  'After=network-online.target cloud-init.service postgresql.service',
  'Wants=network-online.target postgresql.service',
  'ConditionPathExists=!/var/lib/cocca/firstboot.done',
  '',
  '[Service]',
  'Type=oneshot',
  'RemainAfterExit=yes',
  'ExecStart=/usr/local/sbin/cocca-firstboot',
  // A backup restore can take long; failing half-way is worse than waiting.
  'TimeoutStartSec=infinity',
  'StandardOutput=journal+console',
  'SyslogIdentifier=cocca',
  '',
  '[Install]',
  'WantedBy=multi-user.target',
  '',
);

export const firstboot: Component = {
  name: 'firstboot',
  files: ({ profile }) => [
    { path: '/usr/local/lib/cocca/lib.sh', mode: '0644', content: script('lib.sh') },
    { path: '/usr/local/sbin/cocca-run', mode: '0755', content: script('cocca-run') },
    { path: '/usr/local/sbin/cocca-firstboot', mode: '0755', content: script('cocca-firstboot') },
    { path: FILL_TEMPLATE, mode: '0755', content: script('cocca-fill-template') },
    {
      path: '/usr/local/lib/cocca/defaults.env',
      mode: '0644',
      content: lines(
        '# The profile\'s values, for first boot to fall back on (no secrets here).',
        `PROFILE=${profile.name}`,
        `ROLE=${profile.role}`,
        `FQDN=${profile.host.fqdn}`,
        `RESIN_PORTS=${RESIN_PORTS.http} ${RESIN_PORTS.https}`,
        '',
      ),
    },
    { path: '/etc/systemd/system/cocca-firstboot.service', mode: '0644', content: FIRSTBOOT_UNIT },
  ],
  steps: () => [
    {
      component: 'firstboot',
      name: 'enable',
      phase: 'bake',
      title: 'Enable cocca-firstboot.service',
      script: lines('systemctl daemon-reload', 'systemctl enable cocca-firstboot.service'),
    },
  ],
};
