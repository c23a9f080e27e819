// The CoCCA application (ROOT.war per role), the lab keystore and the JDBC driver into Resin.
import { RESIN_HOME } from '../resin/index.js';
import { COCCA_LIB, componentFile, lines, shq, type Component } from '../model.js';

export const LAB_KEYSTORE = `${RESIN_HOME}/conf/keys/cocca-lab.jks`;
export const LAB_KEYSTORE_ALIAS = `${LAB_KEYSTORE}.alias`;

const LAB = `${COCCA_LIB}/cocca-lab-keystore`;

export const app: Component = {
  name: 'app',
  files: () => [{ path: LAB, mode: '0755', content: componentFile('app', 'cocca-lab-keystore') }],
  steps: ({ profile }) => {
    const d = profile.downloads;
    const owner = profile.resin.runAs === 'resin' ? 'resin:resin' : 'root:root';
    return [
      {
        component: 'app',
        name: 'war',
        phase: 'bake',
        title: `Install the CoCCA ${profile.role === 'whois-dr' ? 'WHOIS/DR ' : ''}ROOT.war`,
        script: lines(`fetch ${shq(d.war.url)} ${d.war.sha256} ${RESIN_HOME}/webapps/ROOT.war`, `chown ${owner} ${RESIN_HOME}/webapps/ROOT.war`),
      },
      {
        component: 'app',
        name: 'keystore',
        phase: 'bake',
        title: 'Install the CoCCA lab keystore',
        script: `${LAB} ${shq(d.keystore.url)} ${d.keystore.sha256} ${LAB_KEYSTORE} ${LAB_KEYSTORE_ALIAS}`,
      },
      {
        component: 'app',
        name: 'jdbc',
        phase: 'bake',
        title: `Install the PostgreSQL JDBC driver ${profile.jdbc.version}`,
        script: lines(`fetch ${shq(d.jdbc.url)} ${d.jdbc.sha256} ${RESIN_HOME}/lib/postgresql-${profile.jdbc.version}.jar`, `chmod 0644 ${RESIN_HOME}/lib/postgresql-${profile.jdbc.version}.jar`),
      },
    ];
  },
};
