// tls: Resin's keystore re-keyed at first boot: the lab keystore, the operator's, or Let's Encrypt.
import { translateTable } from '../../../test/unit/component-table.js';
import { INSTANCE_KEYSTORE } from '../resin/index.js';
import { tls } from './index.js';

const REKEY = '/usr/local/lib/cocca/cocca-keystore';
const TLS_ENV = '/usr/local/lib/cocca/tls.env';
const LE_FILES = [REKEY, TLS_ENV, '/usr/local/sbin/cocca-certbot', '/etc/letsencrypt/renewal-hooks/deploy/cocca-keystore', '/etc/systemd/system/cocca-certbot.service', '/etc/systemd/system/cocca-certbot.timer'];

translateTable(tls, [
  {
    name: "the seed's lab mode: the lab keystore re-keyed with its alias",
    profile: '',
    steps: ['boot:tls.keystore'],
    files: [REKEY, TLS_ENV],
    has: {
      'tls.keystore': [`${REKEY} /opt/resin/conf/keys/cocca-lab.jks JKS "$(</opt/resin/conf/keys/cocca-lab.jks.alias)"`, 'SRCPW=$(secret SOURCE_KEYSTORE_PASSWORD) ||'],
      [TLS_ENV]: ['KEYSTORE_OWNER=root:resin'],
      // The script beside this test writes the keystore resin.xml names.
      [REKEY]: [`dest=${INSTANCE_KEYSTORE}`, 'owner=$(kv_get "$COCCA_LIB/tls.env" KEYSTORE_OWNER) || die "$COCCA_LIB/tls.env names no KEYSTORE_OWNER"'],
    },
    lacks: { 'tls.keystore': [/shred/] },
  },
  {
    name: "custom: the operator's keystore handed in, re-keyed, then shredded",
    profile: 'tls:\n  mode: custom\n',
    steps: ['boot:tls.keystore'],
    has: { 'tls.keystore': [/^\[ -s \/\S+ \] \|\| die ".*--keystore/, /^shred -u \S+ 2>\/dev\/null \|\| rm -f \S+$/] },
  },
  {
    name: "letsencrypt: certbot baked in, a timer retrying until DNS points here, a deploy hook; root-owned with runAs root",
    profile: 'host:\n  fqdn: srs.coccaregistry.org\ntls:\n  mode: letsencrypt\n  email: hostmaster@coccaregistry.org\nresin:\n  runAs: root\n',
    steps: ['bake:tls.certbot', 'boot:tls.keystore', 'boot:tls.letsencrypt'],
    files: LE_FILES,
    has: { 'tls.certbot': ['apt_install certbot bind9-dnsutils'], 'tls.letsencrypt': ['systemctl enable --now cocca-certbot.timer'], '/etc/systemd/system/cocca-certbot.timer': ['OnUnitInactiveSec=15min'], [TLS_ENV]: ['KEYSTORE_OWNER=root:root'] },
  },
]);
