// Resin built from its source tarball with the seed's configure flags, run by a native systemd
// unit. resin.xml is a template here; first boot fills in this instance's values.
import { SERVICE_PORTS } from '../../ports.js';
import type { Profile, ResolvedProfile } from '../../profile/types.js';
import { CONFIGURED } from '../../instance/paths.js';
import { JAVA_HOME } from '../java/index.js';
import { SIZING_ENV } from '../postgres/index.js';
import { renderResinXml, resinListeners, RESIN_SERVER_ID } from './resin-xml.js';
import { COCCA_LIB, componentFile, componentTemplate, lines, shq, type Component, type StackContext } from '../model.js';
import { checkHeapArgs, checkPool, checkResinTemplate } from './rules.js';

export const RESIN_HOME = '/opt/resin';
export const RESIN_TEMPLATE = `${COCCA_LIB}/resin.xml.tmpl`;
export const FILL_TEMPLATE = `${COCCA_LIB}/cocca-fill-template`;
const PRUNE_LOGS = `${COCCA_LIB}/cocca-resin-logs`;
const BUILD = `${COCCA_LIB}/cocca-resin-build`;
const CONFIG = `${COCCA_LIB}/cocca-resin-config`;
export const RESIN_PORTS = { http: SERVICE_PORTS.http, https: SERVICE_PORTS.https, cluster: SERVICE_PORTS.resinCluster, watchdog: SERVICE_PORTS.resinWatchdog };
export const INSTANCE_KEYSTORE = `${RESIN_HOME}/conf/keys/instance.jks`;

function unit(ctx: StackContext): string {
  return componentTemplate('resin', 'resin.service.ejs', {
    asResin: ctx.profile.resin.runAs === 'resin',
    javaHome: JAVA_HOME,
    resinHome: RESIN_HOME,
    configured: CONFIGURED,
    // The built-in resin.xml names its one server; an operator's template picks its own.
    serverId: ctx.profile.resinTemplate ? undefined : RESIN_SERVER_ID,
  });
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
    content: componentTemplate('resin', 'cocca-resin-logs.service.ejs', { script: PRUNE_LOGS, logDir: `${RESIN_HOME}/log`, keepDays: p.resin.logs.keepDays, maxMiB: p.resin.logs.maxMiB }),
  },
  { path: '/etc/systemd/system/cocca-resin-logs.timer', mode: '0644' as const, content: componentFile('resin', 'cocca-resin-logs.timer') },
];

export const resin: Component = {
  name: 'resin',
  rules: [checkResinTemplate, checkHeapArgs, checkPool],
  files: (ctx) => [
    { path: RESIN_TEMPLATE, mode: '0644', content: resinTemplateText(ctx.profile) },
    { path: '/etc/systemd/system/resin.service', mode: '0644', content: unit(ctx) },
    { path: PRUNE_LOGS, mode: '0755', content: componentFile('resin', 'cocca-resin-logs') },
    { path: BUILD, mode: '0755', content: componentFile('resin', 'cocca-resin-build') },
    { path: CONFIG, mode: '0755', content: componentFile('resin', 'cocca-resin-config') },
    ...pruneUnits(ctx.profile),
  ],
  steps: (ctx) => {
    const { profile } = ctx;
    const v = profile.resin.version;
    const art = profile.downloads.resin;
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
        script: `${BUILD} ${RESIN_HOME} ${shq(v)} ${shq(art.url)} ${art.sha256} ${JAVA_HOME}${asResin ? ' resin:resin' : ''}`,
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
        script: `${CONFIG} ${RESIN_TEMPLATE} ${RESIN_HOME}/conf/resin.xml ${SIZING_ENV} ${INSTANCE_KEYSTORE} ${asResin ? 'resin' : 'root'}`,
      },
    ];
  },
};
