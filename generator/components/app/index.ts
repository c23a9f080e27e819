// The CoCCA application (ROOT.war per role), the lab keystore and the JDBC driver into Resin.
import { RESIN_HOME } from '../resin/index.js';
import { lines, shq, type Component } from '../model.js';

export const LAB_KEYSTORE = `${RESIN_HOME}/conf/keys/cocca-lab.jks`;
export const LAB_KEYSTORE_ALIAS = `${LAB_KEYSTORE}.alias`;

export const app: Component = {
  name: 'app',
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
        script: lines(
          `fetch ${shq(d.keystore.url)} ${d.keystore.sha256} ${LAB_KEYSTORE}`,
          `chmod 0600 ${LAB_KEYSTORE}`,
          // Its key's alias, read now (a JKS lists its entries without the password, which only
          // first boot has), so first boot re-keys it with one keytool run instead of two.
          `alias=$(keytool -list -keystore ${LAB_KEYSTORE} -storetype JKS </dev/null 2>/dev/null | awk -F, '/PrivateKeyEntry/ && !n++ {print $1}') || true`,
          `[ -n "$alias" ] || die "${LAB_KEYSTORE} holds no private key entry (CoCCA's lab keystore is a JKS with one)"`,
          `printf '%s\\n' "$alias" >${LAB_KEYSTORE_ALIAS}`,
        ),
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
