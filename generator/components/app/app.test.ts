// app: the CoCCA ROOT.war of the role, the lab keystore, the JDBC driver, into Resin.
import { translateTable } from '../../../test/unit/component-table.js';
import { app } from './index.js';

const steps = ['bake:app.war', 'bake:app.keystore', 'bake:app.jdbc'];
const LAB = '/usr/local/lib/cocca/cocca-lab-keystore';
const PIN = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

translateTable(app, [
  {
    name: 'the registry role: ROOT.war owned by resin, JDBC 42.5.0',
    profile: '',
    steps,
    files: [LAB],
    has: {
      'app.war': [`fetch https://mirror.example/ROOT.war ${PIN} /opt/resin/webapps/ROOT.war`, 'chown resin:resin /opt/resin/webapps/ROOT.war'],
      'app.keystore': [`${LAB} https://mirror.example/star.jks ${PIN} /opt/resin/conf/keys/cocca-lab.jks /opt/resin/conf/keys/cocca-lab.jks.alias`],
      [LAB]: ['fetch "$url" "$sum" "$keystore"', "printf '%s\\n' \"$alias\" >\"$alias_file\""],
      'app.jdbc': [`fetch https://mirror.example/postgresql-42.5.0.jar ${PIN} /opt/resin/lib/postgresql-42.5.0.jar`],
    },
  },
  {
    name: 'the whois-dr role with Resin as root',
    profile: 'role: whois-dr\nresin:\n  runAs: root\n',
    steps,
    has: { 'app.war': ['chown root:root /opt/resin/webapps/ROOT.war'] },
  },
  {
    name: 'another JDBC driver version, named in its jar',
    profile: `jdbc:\n  version: 42.7.3\nartifacts:\n  jdbc: {url: https://mirror.example/postgresql-42.7.3.jar, sha256: ${PIN}}\n`,
    steps,
    has: { 'app.jdbc': [`fetch https://mirror.example/postgresql-42.7.3.jar ${PIN} /opt/resin/lib/postgresql-42.7.3.jar`, 'chmod 0644 /opt/resin/lib/postgresql-42.7.3.jar'] },
  },
]);
