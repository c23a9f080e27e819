// Resin built from its source tarball with the seed's configure flags, run by a native systemd
// unit. resin.xml is a template here; first boot fills in this instance's values.
import { readValue } from '../../instance/contract.js';
import { CONFIGURED } from '../../instance/paths.js';
import { readFileSync } from 'node:fs';
import { packageFile } from '../../paths.js';
import { SERVICE_PORTS } from '../../ports.js';
import type { Profile, ResolvedProfile } from '../../profile/types.js';
import { JAVA_HOME } from '../java/index.js';
import { SIZING_ENV } from '../postgres/index.js';
import { renderResinXml, resinListeners, RESIN_SERVER_ID } from './resin-xml.js';
import { COCCA_LIB, lines, shq, type Component, type StackContext } from '../model.js';
import { checkHeapArgs, checkPool, checkResinTemplate } from './rules.js';

export const RESIN_HOME = '/opt/resin';
export const RESIN_TEMPLATE = `${COCCA_LIB}/resin.xml.tmpl`;
export const FILL_TEMPLATE = `${COCCA_LIB}/cocca-fill-template`;
const PRUNE_LOGS = `${COCCA_LIB}/cocca-resin-logs`;
export const RESIN_PORTS = { http: SERVICE_PORTS.http, https: SERVICE_PORTS.https, cluster: SERVICE_PORTS.resinCluster, watchdog: SERVICE_PORTS.resinWatchdog };
export const INSTANCE_KEYSTORE = `${RESIN_HOME}/conf/keys/instance.jks`;

function unit(ctx: StackContext): string {
  const asResin = ctx.profile.resin.runAs === 'resin';
  return lines(
    '[Unit]',
    'Description=Resin application server for CoCCA (cocca-bake)',
    'After=network-online.target postgresql.service',
    'Wants=network-online.target postgresql.service',
    // First boot writes this once resin.xml holds this instance's values; until then Resin stays down.
    `ConditionPathExists=${CONFIGURED}`,
    '',
    '[Service]',
    'Type=simple',
    asResin && 'User=resin',
    asResin && 'Group=resin',
    // Ports 80, 443, 43 and 700 are below 1024.
    asResin && 'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    asResin && 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
    asResin && 'NoNewPrivileges=true',
    `Environment=JAVA_HOME=${JAVA_HOME}`,
    `WorkingDirectory=${RESIN_HOME}`,
    // The built-in resin.xml names its one server; an operator's template picks its own.
    `ExecStart=${RESIN_HOME}/bin/resinctl start-with-foreground${ctx.profile.resinTemplate ? '' : ` -server ${RESIN_SERVER_ID}`}`,
    // The watchdog JVM spawns the server JVM: stop both, the watchdog first.
    'KillMode=mixed',
    // A JVM stopped by SIGTERM exits 143: a clean stop, not a failure.
    'SuccessExitStatus=143',
    'TimeoutStopSec=60',
    'Restart=on-failure',
    'RestartSec=10',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  );
}

/** The built-in resin.xml with this profile's values (first-boot placeholders left). */
export function builtInResinXml(p: { resin: Pick<Profile['resin'], 'jvmArgs' | 'runAs' | 'logs'>; postgres: Pick<Profile['postgres'], 'database'> }): string {
  return renderResinXml({
    resinHome: RESIN_HOME,
    httpPort: RESIN_PORTS.http,
    httpsPort: RESIN_PORTS.https,
    clusterPort: RESIN_PORTS.cluster,
    watchdogPort: RESIN_PORTS.watchdog,
    jvmArgs: p.resin.jvmArgs,
    runAs: p.resin.runAs,
    database: p.postgres.database,
    dbUser: 'postgres',
    jndiName: 'jdbc/registry',
    logKeepDays: p.resin.logs.keepDays,
  });
}

let builtInPorts: number[] | undefined;
/** The ports the built-in template listens on: the same for every profile. */
export function builtInResinPorts(): number[] {
  builtInPorts ??= resinListeners(builtInResinXml({ resin: { jvmArgs: '', runAs: 'resin', logs: { keepDays: 14, maxMiB: 2048 } }, postgres: { database: 'registry' } }))!.ports;
  return builtInPorts;
}

/** The resin.xml template the image carries: the operator's, else the built-in one. */
export const resinTemplateText = (p: ResolvedProfile): string => p.resinTemplate ?? builtInResinXml(p);

/** The ports Resin listens on with this template: first boot waits for each of them. */
export const resinPorts = (p: ResolvedProfile): number[] => resinListeners(resinTemplateText(p))?.ports ?? [];

const pruneUnits = (p: ResolvedProfile) => [
  {
    path: '/etc/systemd/system/cocca-resin-logs.service',
    mode: '0644' as const,
    content: lines(
      '[Unit]',
      "Description=Delete Resin's old log archives (cocca-bake)",
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${PRUNE_LOGS} ${RESIN_HOME}/log ${p.resin.logs.keepDays} ${p.resin.logs.maxMiB}`,
      '',
    ),
  },
  {
    path: '/etc/systemd/system/cocca-resin-logs.timer',
    mode: '0644' as const,
    content: lines('[Unit]', "Description=Delete Resin's old log archives daily (cocca-bake)", '', '[Timer]', 'OnCalendar=daily', 'RandomizedDelaySec=1h', 'Persistent=true', '', '[Install]', 'WantedBy=timers.target', ''),
  },
];

export const resin: Component = {
  name: 'resin',
  rules: [checkResinTemplate, checkHeapArgs, checkPool],
  files: (ctx) => [
    { path: RESIN_TEMPLATE, mode: '0644', content: resinTemplateText(ctx.profile) },
    { path: '/etc/systemd/system/resin.service', mode: '0644', content: unit(ctx) },
    { path: PRUNE_LOGS, mode: '0755', content: readFileSync(packageFile('cloud-init/scripts/cocca-resin-logs'), 'utf8') },
    ...pruneUnits(ctx.profile),
  ],
  steps: (ctx) => {
    const { profile } = ctx;
    const v = profile.resin.version;
    const art = profile.downloads.resin;
    const src = `/usr/local/src/resin-${v}`;
    const asResin = profile.resin.runAs === 'resin';
    return [
      ...(asResin
        ? [
            {
              component: 'resin',
              name: 'user',
              phase: 'bake' as const,
              title: 'Create the resin system user',
              script: `id resin >/dev/null 2>&1 || useradd --system --home-dir ${RESIN_HOME} --no-create-home --shell /usr/sbin/nologin resin`,
            },
          ]
        : []),
      {
        component: 'resin',
        name: 'build',
        phase: 'bake',
        title: `Build and install Resin ${v} into ${RESIN_HOME}`,
        script: lines(
          `if [ "$(cat ${RESIN_HOME}/.cocca-version 2>/dev/null)" = ${shq(v)} ]; then log "Resin ${v} already installed"; exit 0; fi`,
          `fetch ${shq(art.url)} ${art.sha256} /usr/local/src/resin-${v}.tar.gz`,
          `rm -rf ${src}`,
          `tar -xzf /usr/local/src/resin-${v}.tar.gz -C /usr/local/src`,
          `cd ${src} || die "cannot enter ${src}"`,
          `export JAVA_HOME=${JAVA_HOME}`,
          // The seed's configure line.
          `./configure --enable-64bit --prefix=${RESIN_HOME} --with-resin-root=${RESIN_HOME} --with-resin-log=${RESIN_HOME}/log --with-resin-conf=${RESIN_HOME}/conf`,
          'make',
          'make install',
          // A native unit replaces the SysV script make install may have added.
          'if [ -e /etc/init.d/resin ]; then update-rc.d -f resin remove >/dev/null 2>&1 || true; rm -f /etc/init.d/resin; fi',
          // Resin's sample ROOT would shadow the CoCCA ROOT.war, which expands into this directory.
          `rm -rf ${RESIN_HOME}/webapps/ROOT`,
          `mkdir -p ${RESIN_HOME}/conf/keys ${RESIN_HOME}/log ${RESIN_HOME}/webapps ${RESIN_HOME}/resin-data ${RESIN_HOME}/watchdog-data`,
          asResin && `chown -R resin:resin ${RESIN_HOME}/log ${RESIN_HOME}/webapps ${RESIN_HOME}/resin-data ${RESIN_HOME}/watchdog-data`,
          `echo ${shq(v)} >${RESIN_HOME}/.cocca-version`,
        ),
      },
      {
        component: 'resin',
        name: 'service',
        phase: 'bake',
        title: "Install the resin systemd unit and the timer that bounds Resin's logs",
        script: lines('systemctl daemon-reload', 'systemctl enable resin.service cocca-resin-logs.timer'),
      },
      {
        component: 'resin',
        name: 'config',
        phase: 'boot',
        title: "Write resin.xml with this instance's address, name, sizes and secrets",
        script: lines(
          'umask 077',
          // cocca-sizing's figures (postgres.tune).
          `if ! heap=$(kv_get ${SIZING_ENV} RESIN_HEAP_MB) || ! pool=$(kv_get ${SIZING_ENV} DB_MAX_CONNECTIONS); then die "the sizing of postgres.tune is missing (${SIZING_ENV})"; fi`,
          'vals=$(mktemp /run/cocca-resin.XXXXXX)',
          'trap \'rm -f "$vals"\' EXIT',
          '{',
          `  printf "PRIVATE_IPV4=%s\\n" "${readValue('PRIVATE_IPV4')}"`,
          `  printf "FQDN=%s\\n" "${readValue('FQDN')}"`,
          `  printf "DB_PASSWORD=%s\\n" "${readValue('POSTGRES_PASSWORD')}"`,
          `  printf "KEYSTORE_FILE=%s\\n" ${INSTANCE_KEYSTORE}`,
          `  printf "KEYSTORE_PASSWORD=%s\\n" "${readValue('KEYSTORE_PASSWORD')}"`,
          '  printf "RESIN_HEAP_MB=%s\\n" "$heap"',
          '  printf "DB_MAX_CONNECTIONS=%s\\n" "$pool"',
          '} >"$vals"',
          // Owner and mode first: the filler keeps them, so the secrets are never world-readable.
          `install -m 0640 -o root -g ${asResin ? 'resin' : 'root'} /dev/null ${RESIN_HOME}/conf/resin.xml`,
          `${FILL_TEMPLATE} ${RESIN_TEMPLATE} ${RESIN_HOME}/conf/resin.xml "$vals"`,
        ),
      },
    ];
  },
};
