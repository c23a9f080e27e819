// resin: the seed's Resin build, its unit, its log bounds, resin.xml written at first boot.
import { translateTable } from '../../../test/unit/component-table.js';
import { resin } from './index.js';

const BUILD = '/usr/local/lib/cocca/cocca-resin-build';
const CONFIG = '/usr/local/lib/cocca/cocca-resin-config';
const files = ['/usr/local/lib/cocca/resin.xml.tmpl', '/etc/systemd/system/resin.service', '/usr/local/lib/cocca/cocca-resin-logs', BUILD, CONFIG, '/etc/systemd/system/cocca-resin-logs.service', '/etc/systemd/system/cocca-resin-logs.timer'];
const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const CONFIG_CALL = `${CONFIG} /usr/local/lib/cocca/resin.xml.tmpl /opt/resin/conf/resin.xml /var/lib/cocca/sizing.env /opt/resin/conf/keys/instance.jks`;
const TEMPLATE =
  '<resin>\n  <server id="edge" address="@@PRIVATE_IPV4@@">\n    <jvm-arg>-Xmx@@RESIN_HEAP_MB@@m</jvm-arg>\n    <http port="80"/>\n    <http port="443"/>\n  </server>\n' +
  '  <database><password>@@DB_PASSWORD@@</password><max-connections>@@DB_MAX_CONNECTIONS@@</max-connections></database>\n</resin>\n';

translateTable(resin, [
  {
    name: 'the seed: a resin user, 4.0.66 built with its configure line, the built-in resin.xml and server id',
    profile: '',
    steps: ['bake:resin.user', 'bake:resin.build', 'bake:resin.service', 'boot:resin.config'],
    files,
    has: {
      'resin.build': [`${BUILD} /opt/resin 4.0.66 https://mirror.example/resin-4.0.66.tar.gz ${PIN} /usr/lib/jvm/cocca-java resin:resin`],
      [BUILD]: ['./configure --enable-64bit --prefix="$home" --with-resin-root="$home" --with-resin-log="$home/log" --with-resin-conf="$home/conf"', 'if [ -n "$owner" ]; then chown -R "$owner" "$home/log" "$home/webapps" "$home/resin-data" "$home/watchdog-data"; fi'],
      'resin.config': [`${CONFIG_CALL} resin`],
      [CONFIG]: ['install -m 0640 -o root -g "$group" /dev/null "$xml"', 'printf "DB_PASSWORD=%s\\n" "$(secret POSTGRES_PASSWORD)"', '"$COCCA_LIB/cocca-fill-template" "$template" "$xml" "$vals"'],
      '/etc/systemd/system/resin.service': ['User=resin', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'ExecStart=/opt/resin/bin/resinctl start-with-foreground -server app-0'],
      '/usr/local/lib/cocca/resin.xml.tmpl': [/@@DB_PASSWORD@@/, /@@PRIVATE_IPV4@@/],
    },
  },
  {
    name: 'runAs root: no resin user, no capabilities, root owns the config',
    profile: 'resin:\n  runAs: root\n',
    steps: ['bake:resin.build', 'bake:resin.service', 'boot:resin.config'],
    files,
    has: { 'resin.config': [`${CONFIG_CALL} root`], 'resin.build': [`${BUILD} /opt/resin 4.0.66 https://mirror.example/resin-4.0.66.tar.gz ${PIN} /usr/lib/jvm/cocca-java`] },
    lacks: { '/etc/systemd/system/resin.service': ['User=resin', 'AmbientCapabilities=CAP_NET_BIND_SERVICE'], 'resin.build': [/resin:resin/] },
  },
  {
    name: "an operator's template: installed as given, and the unit lets it pick its server",
    profile: 'resin:\n  template: resin.xml\n',
    beside: { 'resin.xml': TEMPLATE },
    steps: ['bake:resin.user', 'bake:resin.build', 'bake:resin.service', 'boot:resin.config'],
    files,
    has: { '/etc/systemd/system/resin.service': ['ExecStart=/opt/resin/bin/resinctl start-with-foreground'], '/usr/local/lib/cocca/resin.xml.tmpl': ['<server id="edge" address="@@PRIVATE_IPV4@@">'] },
  },
]);
