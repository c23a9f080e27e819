// Resin's HTTPS key store. Whatever the mode, Resin reads one file, conf/keys/instance.jks,
// protected by a password generated on the instance at first boot:
//   lab: CoCCA's lab keystore, re-keyed; letsencrypt: lab first, then certbot's certificate
//   once DNS points here; custom: the operator's keystore handed in through first boot.
import { contractValue, readValue, userDataFlag } from '../../instance/contract.js';
import { LAB_KEYSTORE, LAB_KEYSTORE_ALIAS } from '../app/index.js';
import { COCCA_LIB, componentFile, lines, type Component, type InstanceFile } from '../model.js';
import { checkLetsEncryptEmail, checkLetsEncryptName, checkTls } from './rules.js';

/** The operator's keystore (tls.mode custom), where first boot puts it. */
const JKS = contractValue('KEYSTORE_JKS');
export const CUSTOM_KEYSTORE = JKS.file!;
const SOURCE_PASSWORD = contractValue('SOURCE_KEYSTORE_PASSWORD');
/** cocca-keystore SRC SRCTYPE [ALIAS] (beside this file): the key entry of SRC into Resin's instance.jks. */
const REKEY = `${COCCA_LIB}/cocca-keystore`;
/** What cocca-keystore takes from the profile: the owner of instance.jks. */
const TLS_ENV = `${COCCA_LIB}/tls.env`;
const CERTBOT = '/usr/local/sbin/cocca-certbot';
const DEPLOY_HOOK = '/etc/letsencrypt/renewal-hooks/deploy/cocca-keystore';

function letsencryptFiles(): InstanceFile[] {
  return [
    { path: CERTBOT, mode: '0755', content: componentFile('tls', 'cocca-certbot') },
    { path: DEPLOY_HOOK, mode: '0755', content: componentFile('tls', 'cocca-certbot-deploy') },
    // The unit runs CERTBOT (cocca-certbot.service names it).
    { path: '/etc/systemd/system/cocca-certbot.service', mode: '0644', content: componentFile('tls', 'cocca-certbot.service') },
    { path: '/etc/systemd/system/cocca-certbot.timer', mode: '0644', content: componentFile('tls', 'cocca-certbot.timer') },
  ];
}

export const tls: Component = {
  name: 'tls',
  rules: [checkTls, checkLetsEncryptName, checkLetsEncryptEmail],
  files: (ctx) => [
    { path: REKEY, mode: '0755', content: componentFile('tls', 'cocca-keystore') },
    { path: TLS_ENV, mode: '0644', content: `KEYSTORE_OWNER=${ctx.profile.resin.runAs === 'resin' ? 'root:resin' : 'root:root'}\n` },
    ...(ctx.profile.tls.mode === 'letsencrypt' ? letsencryptFiles() : []),
  ],
  steps: ({ profile }) => {
    const mode = profile.tls.mode;
    const source = mode === 'custom' ? CUSTOM_KEYSTORE : LAB_KEYSTORE;
    return [
      ...(mode === 'letsencrypt'
        ? [{ component: 'tls', name: 'certbot', phase: 'bake' as const, title: 'Install certbot, and dig for its DNS check', script: 'apt_install certbot bind9-dnsutils' }]
        : []),
      {
        component: 'tls',
        name: 'keystore',
        phase: 'boot',
        title: mode === 'custom' ? "Install the operator's keystore for Resin" : 'Re-key the CoCCA lab keystore for Resin',
        script: lines(
          `[ -s ${source} ] || die "${source} is missing${mode === 'custom' ? `: hand the keystore in through the first-boot user-data (${userDataFlag(JKS)}) or the secrets store (${JKS.name})` : ''}"`,
          // Settled by first boot: handed in, or from the profile's secrets store.
          `SRCPW=${readValue(SOURCE_PASSWORD.name)} ||`,
          `  die "the password of ${source} is not set (${SOURCE_PASSWORD.name})"`,
          'export SRCPW',
          mode === 'custom' ? `${REKEY} ${source} JKS` : `${REKEY} ${source} JKS "$(<${LAB_KEYSTORE_ALIAS})"`,
          mode === 'custom' && `shred -u ${CUSTOM_KEYSTORE} 2>/dev/null || rm -f ${CUSTOM_KEYSTORE}`,
        ),
      },
      ...(mode === 'letsencrypt'
        ? [
            {
              component: 'tls',
              name: 'letsencrypt',
              phase: 'boot' as const,
              title: "Start retrying Let's Encrypt for this host",
              script: lines('systemctl daemon-reload', 'systemctl enable --now cocca-certbot.timer'),
            },
          ]
        : []),
    ];
  },
};
