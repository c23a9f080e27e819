// Resin's HTTPS key store. Whatever the mode, Resin reads one file, conf/keys/instance.jks,
// protected by a password generated on the instance at first boot:
//   lab: CoCCA's lab keystore, re-keyed; letsencrypt: lab first, then certbot's certificate
//   once DNS points here; custom: the operator's keystore handed in through first boot.
import { readFileSync } from 'node:fs';
import { packageFile } from '../../paths.js';
import { LAB_KEYSTORE, LAB_KEYSTORE_ALIAS } from '../app/index.js';
import { INSTANCE_KEYSTORE } from '../resin/index.js';
import { COCCA_LIB, lines, type Component, type InstanceFile, type StackContext } from '../model.js';
import { checkLetsEncryptEmail, checkLetsEncryptName, checkTls } from './rules.js';

export const CUSTOM_KEYSTORE = '/etc/cocca/keystore.jks';
const REKEY = `${COCCA_LIB}/cocca-keystore`;
const CERTBOT = '/usr/local/sbin/cocca-certbot';
const DEPLOY_HOOK = '/etc/letsencrypt/renewal-hooks/deploy/cocca-keystore';

/** cocca-keystore SRC SRCTYPE: copy the key entry of SRC into instance.jks under the instance's password. */
const rekeyScript = (owner: string) =>
  lines(
    '#!/bin/bash',
    '# cocca-keystore SRC SRCTYPE [ALIAS]: put the key entry of SRC into Resin\'s instance.jks,',
    "# under this instance's generated password (Resin wants key and store passwords equal).",
    '# Without ALIAS, the first private key entry of SRC.',
    'set -euo pipefail',
    '. /usr/local/lib/cocca/lib.sh',
    'src=$1 srctype=$2 alias=${3:-}',
    'SRCPW=${SRCPW:?the source keystore password is not set}',
    'NEWPW=$(secret KEYSTORE_PASSWORD)',
    'export SRCPW NEWPW',
    // Two short-lived JVMs on the first boot's path: the quick-start JIT and the serial GC take a
    // third off each (both flags exist in Java 8 as in 17).
    'kt() { keytool -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@"; }',
    // keytool says why it cannot open the store (a wrong password among others): pass that on.
    'refused() { die "cannot open $src with the password given for it ($(printf "%s" "$1" | grep -m1 "keytool error" | sed "s/^keytool error: //"))"; }',
    'if [ -z "$alias" ]; then',
    '  listing=$(kt -list -keystore "$src" -storetype "$srctype" -storepass:env SRCPW 2>&1) || refused "$listing"',
    '  alias=$(printf "%s\\n" "$listing" | awk -F, \'/PrivateKeyEntry/ && !n++ {print $1}\')',
    '  [ -n "$alias" ] || die "no private key entry in $src"',
    'fi',
    `dest=${INSTANCE_KEYSTORE}`,
    'rm -f "$dest.new"',
    'out=$(kt -importkeystore -noprompt -srckeystore "$src" -srcstoretype "$srctype" -srcstorepass:env SRCPW -srckeypass:env SRCPW \\',
    '  -srcalias "$alias" -destkeystore "$dest.new" -deststoretype JKS -deststorepass:env NEWPW -destkeypass:env NEWPW -destalias "$alias" 2>&1) || {',
    '  rm -f "$dest.new"',
    '  refused "$out"',
    '}',
    `chown ${owner} "$dest.new"`,
    'chmod 0640 "$dest.new"',
    'mv -f "$dest.new" "$dest"',
    '',
  );

function letsencryptFiles(): InstanceFile[] {
  return [
    { path: CERTBOT, mode: '0755', content: readFileSync(packageFile('cloud-init/scripts/cocca-certbot'), 'utf8') },
    {
      path: DEPLOY_HOOK,
      mode: '0755',
      content: lines(
        '#!/bin/bash',
        '# certbot deploy hook: rebuild Resin\'s keystore from the new certificate.',
        'set -euo pipefail',
        '. /usr/local/lib/cocca/lib.sh',
        'COCCA_STEP=certbot-deploy',
        'live=${RENEWED_LINEAGE:?run by certbot}',
        'umask 077',
        'p12=$(mktemp /run/cocca-le.XXXXXX)',
        'trap \'rm -f "$p12"\' EXIT',
        'SRCPW=$(random_password)',
        'export SRCPW',
        // Java 8 keytool reads 1.1.1-style PKCS12; OpenSSL 3 needs -legacy for that.
        'legacy=(); openssl version | grep -q "^OpenSSL 3" && legacy=(-legacy)',
        'openssl pkcs12 -export "${legacy[@]}" -name cocca -in "$live/fullchain.pem" -inkey "$live/privkey.pem" -out "$p12" -passout env:SRCPW',
        `${REKEY} "$p12" PKCS12`,
        'systemctl try-restart resin.service',
        '',
      ),
    },
    {
      path: '/etc/systemd/system/cocca-certbot.service',
      mode: '0644',
      content: lines('[Unit]', "Description=Get this host's Let's Encrypt certificate (cocca-bake)", 'After=network-online.target', 'Wants=network-online.target', '', '[Service]', 'Type=oneshot', `ExecStart=${CERTBOT}`, ''),
    },
    {
      path: '/etc/systemd/system/cocca-certbot.timer',
      mode: '0644',
      content: lines('[Unit]', "Description=Retry Let's Encrypt until DNS points here (cocca-bake)", '', '[Timer]', 'OnActiveSec=1min', 'OnUnitInactiveSec=15min', 'RandomizedDelaySec=60', '', '[Install]', 'WantedBy=timers.target', ''),
    },
  ];
}

export const tls: Component = {
  name: 'tls',
  rules: [checkTls, checkLetsEncryptName, checkLetsEncryptEmail],
  files: (ctx) => [
    { path: REKEY, mode: '0755', content: rekeyScript(ctx.profile.resin.runAs === 'resin' ? 'root:resin' : 'root:root') },
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
          `[ -s ${source} ] || die "${source} is missing${mode === 'custom' ? ': hand the keystore in through the first-boot user-data (--keystore) or the secrets store (KEYSTORE_JKS)' : ''}"`,
          // Settled by first boot: handed in, or from the profile's secrets store.
          'SRCPW=$(secret SOURCE_KEYSTORE_PASSWORD) ||',
          `  die "the password of ${source} is not set (SOURCE_KEYSTORE_PASSWORD)"`,
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
