// The image's last step: forget everything that belongs to the build machine (cocca-generalize),
// then prove it (cocca-generalize-check); both scripts beside this file.
import { BUILD_USER } from '../../build-user.js';
import { SNAKEOIL_CERT, SNAKEOIL_KEY } from '../host/index.js';
import { RESIN_HOME } from '../resin/index.js';
import { COCCA_LIB, componentFile, type Component } from '../model.js';

/** The units as the bake left them, for systemd's first-boot presets (see the seal). */
export const IMAGE_PRESET = '/etc/systemd/system-preset/00-cocca-image.preset';

/** What one machine holds for itself: removed at seal, made anew by each instance. */
const PER_MACHINE = [
  '/var/lib/systemd/random-seed',
  '/var/lib/systemd/credential.secret',
  '/var/lib/fail2ban/fail2ban.sqlite3',
];

const CLEAN = `${COCCA_LIB}/cocca-generalize`;
const CHECK = `${COCCA_LIB}/cocca-generalize-check`;

/** How both scripts are called: the image's fixed names by environment, the per-machine files as arguments. */
const call = (script: string) =>
  `BUILD_USER=${BUILD_USER} IMAGE_PRESET=${IMAGE_PRESET} RESIN_HOME=${RESIN_HOME} SNAKEOIL_KEY=${SNAKEOIL_KEY} SNAKEOIL_CERT=${SNAKEOIL_CERT} ${script} ${PER_MACHINE.join(' ')}`;

export const generalize: Component = {
  name: 'generalize',
  files: () => [
    { path: CLEAN, mode: '0755', content: componentFile('generalize', 'cocca-generalize') },
    { path: CHECK, mode: '0755', content: componentFile('generalize', 'cocca-generalize-check') },
  ],
  steps: () => [
    { component: 'generalize', name: 'clean', phase: 'seal', title: 'Generalize the image', script: call(CLEAN) },
    { component: 'generalize', name: 'verify', phase: 'seal', title: 'Check the image holds nothing of the build machine', script: call(CHECK) },
  ],
};
