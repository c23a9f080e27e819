// inventory: the bake's last step records the installed packages where the build downloads them.
import { translateTable } from '../../../test/unit/component-table.js';
import { inventory } from './index.js';

const INVENTORY = '/usr/local/lib/cocca/cocca-inventory';
const RECORD = `${INVENTORY} /usr/local/share/cocca/image-packages.tsv`;

translateTable(inventory, [
  {
    name: 'every bake: dpkg-query of the installed ("ii") packages, sorted, into the image',
    profile: '',
    steps: ['bake:inventory.packages'],
    files: [INVENTORY],
    has: {
      'inventory.packages': [RECORD],
      [INVENTORY]: [
        "dpkg-query -W -f='${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\n' |",
        'awk -F\'\\t\' \'$1 ~ /^ii/ { print $2 "\\t" $3 "\\t" $4 "\\t" $5 "\\t" $6 }\' |',
        'mv "$out.tmp" "$out"',
      ],
    },
    lacks: { 'inventory.packages': [/unpin/] },
  },
  {
    name: '--frozen: the pins go once the list is written, so instances take updates',
    profile: 'os: debian-12\nssh:\n  allowUsers: [admin]\n',
    frozen: { versions: { 'bash:amd64': '5.2.15-2+b7' } },
    steps: ['bake:inventory.packages'],
    has: { 'inventory.packages': [RECORD, '/usr/local/lib/cocca/cocca-apt-frozen unpin'] },
  },
]);
