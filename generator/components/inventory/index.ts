// The bake's last step: record what the image holds from apt (cocca-inventory), for the build's
// SBOM and for a later frozen bake; a frozen bake's pins go here too, so instances take updates.
import { IMAGE_PACKAGES } from '../../instance/paths.js';
import { FROZEN_PIN } from '../base/index.js';
import { COCCA_LIB, componentFile, lines, type Component } from '../model.js';

const INVENTORY = `${COCCA_LIB}/cocca-inventory`;

export const inventory: Component = {
  name: 'inventory',
  files: () => [{ path: INVENTORY, mode: '0755', content: componentFile('inventory', 'cocca-inventory') }],
  steps: ({ frozen }) => [
    {
      component: 'inventory',
      name: 'packages',
      phase: 'bake',
      title: 'Record the installed packages',
      script: lines(`${INVENTORY} ${IMAGE_PACKAGES}`, frozen && `${FROZEN_PIN} unpin`),
    },
  ],
};
