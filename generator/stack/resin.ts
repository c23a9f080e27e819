// Resin built from its source tarball with the seed's configure flags, run by a native systemd
// unit. resin.xml is a template here; first boot fills in this instance's values.
import { SERVICE_PORTS } from '../ports.js';
import { JAVA_HOME } from './java.js';
import { renderResinXml, RESIN_SERVER_ID } from './resin-xml.js';
import { lines, shq, type Component, type StackContext } from './step.js';

export const RESIN_HOME = '/opt/resin';
export const RESIN_TEMPLATE = '/usr/local/lib/cocca/resin.xml.tmpl';
export const FILL_TEMPLATE = '/usr/local/lib/cocca/cocca-fill-template';
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
    'ConditionPathExists=/var/lib/cocca/configured',
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

export const resin: Component = {
  name: 'resin',
  files: (ctx) => {
    const p = ctx.profile;
    const template =
      p.resinTemplate ??
      renderResinXml({
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
      });
    return [
      { path: RESIN_TEMPLATE, mode: '0644', content: template },
      { path: '/etc/systemd/system/resin.service', mode: '0644', content: unit(ctx) },
    ];
  },
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
        title: 'Install the resin systemd unit',
        script: lines('systemctl daemon-reload', 'systemctl enable resin.service'),
      },
      {
        component: 'resin',
        name: 'config',
        phase: 'boot',
        title: "Write resin.xml with this instance's address, name and secrets",
        script: lines(
          'umask 077',
          'vals=$(mktemp /run/cocca-resin.XXXXXX)',
          'trap \'rm -f "$vals"\' EXIT',
          '{',
          '  printf "PRIVATE_IPV4=%s\\n" "$(value PRIVATE_IPV4)"',
          '  printf "FQDN=%s\\n" "$(value FQDN)"',
          '  printf "DB_PASSWORD=%s\\n" "$(secret POSTGRES_PASSWORD)"',
          `  printf "KEYSTORE_FILE=%s\\n" ${INSTANCE_KEYSTORE}`,
          '  printf "KEYSTORE_PASSWORD=%s\\n" "$(secret KEYSTORE_PASSWORD)"',
          '} >"$vals"',
          // Owner and mode first: the filler keeps them, so the secrets are never world-readable.
          `install -m 0640 -o root -g ${asResin ? 'resin' : 'root'} /dev/null ${RESIN_HOME}/conf/resin.xml`,
          `${FILL_TEMPLATE} ${RESIN_TEMPLATE} ${RESIN_HOME}/conf/resin.xml "$vals"`,
        ),
      },
    ];
  },
};
