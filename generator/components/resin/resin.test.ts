// resin: the seed's Resin build, its unit, its log bounds, resin.xml written at first boot.
import { translateTable } from '../../../test/unit/component-table.js';
import { resin } from './index.js';

const files = ['/usr/local/lib/cocca/resin.xml.tmpl', '/etc/systemd/system/resin.service', '/usr/local/lib/cocca/cocca-resin-logs', '/etc/systemd/system/cocca-resin-logs.service', '/etc/systemd/system/cocca-resin-logs.timer'];
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
      'resin.build': ['./configure --enable-64bit --prefix=/opt/resin --with-resin-root=/opt/resin --with-resin-log=/opt/resin/log --with-resin-conf=/opt/resin/conf', 'chown -R resin:resin /opt/resin/log /opt/resin/webapps /opt/resin/resin-data /opt/resin/watchdog-data'],
      'resin.config': ['install -m 0640 -o root -g resin /dev/null /opt/resin/conf/resin.xml', 'printf "DB_PASSWORD=%s\\n" "$(secret POSTGRES_PASSWORD)"'],
      '/etc/systemd/system/resin.service': ['User=resin', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'ExecStart=/opt/resin/bin/resinctl start-with-foreground -server app-0'],
      '/usr/local/lib/cocca/resin.xml.tmpl': [/@@DB_PASSWORD@@/, /@@PRIVATE_IPV4@@/],
    },
  },
  {
    name: 'runAs root: no resin user, no capabilities, root owns the config',
    profile: 'resin:\n  runAs: root\n',
    steps: ['bake:resin.build', 'bake:resin.service', 'boot:resin.config'],
    files,
    has: { 'resin.config': ['install -m 0640 -o root -g root /dev/null /opt/resin/conf/resin.xml'] },
    lacks: { '/etc/systemd/system/resin.service': ['User=resin', 'AmbientCapabilities=CAP_NET_BIND_SERVICE'], 'resin.build': [/^chown -R resin:resin/] },
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
