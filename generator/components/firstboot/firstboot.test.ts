// firstboot: the runner, the first-boot service, the contract, the profile's defaults for first boot.
import { translateTable } from '../../../test/unit/component-table.js';
import { firstboot } from './index.js';

const L = '/usr/local/lib/cocca';
const files = (secrets: boolean) => [
  `${L}/lib.sh`,
  `${L}/paths.sh`,
  `${L}/contract.sh`,
  ...(secrets ? [`${L}/cocca-secrets`] : []),
  '/usr/local/sbin/cocca-run',
  '/usr/local/sbin/cocca-firstboot',
  `${L}/cocca-fill-template`,
  `${L}/defaults.env`,
  '/etc/update-motd.d/60-cocca',
  '/etc/systemd/system/cocca-firstboot.service',
];

translateTable(firstboot, [
  {
    name: 'secrets handed in through user-data: no secrets reader on the instance',
    profile: '',
    steps: ['bake:firstboot.enable'],
    files: files(false),
    has: {
      'firstboot.enable': ['systemctl enable cocca-firstboot.service'],
      [`${L}/defaults.env`]: ['PROFILE=t', 'ROLE=registry', 'FQDN=registry.nic.example', 'RESIN_PORTS=80 443', 'SECRETS_SOURCE=user-data', /^NEEDED_SECRETS=SOURCE_KEYSTORE_PASSWORD:tls\.keystore/],
      '/etc/systemd/system/cocca-firstboot.service': ['ExecStart=/usr/local/sbin/cocca-firstboot run', 'ConditionPathExists=!/var/lib/cocca/firstboot.done'],
    },
    lacks: { [`${L}/defaults.env`]: [/^SECRETS_PARAMETER_PATH=/, /^LE_/] },
  },
  {
    name: 'secrets from SSM: the reader installed, the path and region for it',
    profile: 'secrets:\n  source: aws-ssm\n  parameterPath: /cocca/t/\n  region: eu-west-1\n',
    steps: ['bake:firstboot.enable'],
    files: files(true),
    has: { [`${L}/defaults.env`]: ['SECRETS_SOURCE=aws-ssm', 'SECRETS_PARAMETER_PATH=/cocca/t/', 'SECRETS_REGION=eu-west-1'] },
  },
  {
    name: "letsencrypt, whois-dr: the contact and staging flag for certbot, the role's name",
    profile: 'role: whois-dr\nhost:\n  fqdn: srs.coccaregistry.org\ntls:\n  mode: letsencrypt\n  email: hostmaster@coccaregistry.org\n  staging: true\n',
    steps: ['bake:firstboot.enable'],
    files: files(false),
    has: { [`${L}/defaults.env`]: ['ROLE=whois-dr', 'FQDN=srs.coccaregistry.org', 'LE_EMAIL=hostmaster@coccaregistry.org', 'LE_STAGING=true'] },
  },
  {
    name: "tls custom: first boot also needs the keystore itself, for the same step; the paths for the scripts",
    profile: 'tls:\n  mode: custom\n',
    steps: ['bake:firstboot.enable'],
    files: files(false),
    has: {
      [`${L}/defaults.env`]: ['NEEDED_SECRETS=SOURCE_KEYSTORE_PASSWORD:tls.keystore KEYSTORE_JKS:tls.keystore'],
      [`${L}/paths.sh`]: ['export COCCA_LIB=/usr/local/lib/cocca', 'export COCCA_ETC=/etc/cocca', 'export COCCA_STATE=/var/lib/cocca', 'export COCCA_VALUES_ENV=/etc/cocca/values.env', 'export COCCA_RUNNER=/usr/local/sbin/cocca-run'],
      [`${L}/contract.sh`]: [/^declare -gA CONTRACT_FILE=\(.*\[KEYSTORE_JKS\]=\/etc\/cocca\/keystore\.jks/, /^declare -gA CONTRACT_INPUT=\(\[FQDN\]='--fqdn NAME' /],
    },
  },
]);
