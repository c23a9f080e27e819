// The programs on the instance that run the steps (cocca-run) and the first boot
// (cocca-firstboot.service), the instance contract they check values with, the profile's
// defaults first boot falls back on, and the login banner that tells a failed first boot.
import { contractScript, neededSecrets, profileValues } from '../../instance/contract.js';
import { COCCA_LIB, CONTRACT_SH, DEFAULTS_ENV, FIRSTBOOT, FIRSTBOOT_DONE, FIRSTBOOT_UNIT_NAME, LIB_SH, PATHS_SH, pathsScript, RUNNER } from '../../instance/paths.js';
import type { ResolvedProfile } from '../../profile/types.js';
import { FILL_TEMPLATE, resinPorts } from '../resin/index.js';
import { componentFile, lines, runnerFile, type Component } from '../model.js';

export const FIRSTBOOT_UNIT = lines(
  '[Unit]',
  "Description=cocca-bake first boot: this instance's values, secrets and boot steps",
  `Documentation=file:${FIRSTBOOT}`,
  // After cloud-init has handed in this instance's values. PostgreSQL is started by first boot
  // itself, once tuned.
  'After=network-online.target cloud-init.service',
  'Wants=network-online.target',
  `ConditionPathExists=!${FIRSTBOOT_DONE}`,
  '',
  '[Service]',
  'Type=oneshot',
  'RemainAfterExit=yes',
  `ExecStart=${FIRSTBOOT} run`,
  // A backup restore can take long; failing half-way is worse than waiting.
  'TimeoutStartSec=infinity',
  'StandardOutput=journal+console',
  'SyslogIdentifier=cocca',
  '',
  '[Install]',
  'WantedBy=multi-user.target',
  '',
);

/** The profile's values first boot falls back on: no secret here, only where secrets come from. */
function defaultsEnv(p: ResolvedProfile): string {
  const s = p.secrets;
  return lines(
    "# The profile's values, for first boot to fall back on (no secrets here).",
    `PROFILE=${p.name}`,
    `ROLE=${p.role}`,
    ...profileValues(p).map(([name, value]) => `${name}=${value}`),
    `RESIN_PORTS=${resinPorts(p).join(' ')}`,
    // Secrets only the operator can give, each with the boot step that reads it.
    `NEEDED_SECRETS=${neededSecrets(p)
      .map((n) => `${n.name}:${n.step}`)
      .join(' ')}`,
    `SECRETS_SOURCE=${s.source}`,
    s.parameterPath !== undefined && `SECRETS_PARAMETER_PATH=${s.parameterPath}`,
    s.secretId !== undefined && `SECRETS_ID=${s.secretId}`,
    s.region !== undefined && `SECRETS_REGION=${s.region}`,
    p.tls.mode === 'letsencrypt' && `LE_EMAIL=${p.tls.email}`,
    p.tls.mode === 'letsencrypt' && `LE_STAGING=${p.tls.staging}`,
    '',
  );
}

export const firstboot: Component = {
  name: 'firstboot',
  files: ({ profile }) => [
    { path: LIB_SH, mode: '0644', content: runnerFile('lib.sh') },
    { path: PATHS_SH, mode: '0644', content: pathsScript() },
    { path: CONTRACT_SH, mode: '0644', content: contractScript() },
    ...(profile.secrets.source !== 'user-data' ? [{ path: `${COCCA_LIB}/cocca-secrets`, mode: '0755' as const, content: componentFile('firstboot', 'cocca-secrets') }] : []),
    { path: RUNNER, mode: '0755', content: runnerFile('cocca-run') },
    { path: FIRSTBOOT, mode: '0755', content: componentFile('firstboot', 'cocca-firstboot') },
    { path: FILL_TEMPLATE, mode: '0755', content: runnerFile('cocca-fill-template') },
    { path: DEFAULTS_ENV, mode: '0644', content: defaultsEnv(profile) },
    { path: '/etc/update-motd.d/60-cocca', mode: '0755', content: componentFile('firstboot', 'cocca-motd') },
    { path: `/etc/systemd/system/${FIRSTBOOT_UNIT_NAME}`, mode: '0644', content: FIRSTBOOT_UNIT },
  ],
  steps: () => [
    {
      component: 'firstboot',
      name: 'enable',
      phase: 'bake',
      title: 'Enable cocca-firstboot.service',
      script: lines('systemctl daemon-reload', `systemctl enable ${FIRSTBOOT_UNIT_NAME}`),
    },
  ],
};
