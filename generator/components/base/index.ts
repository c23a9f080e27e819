// The seed's compiler tools and what the steps themselves use (curl, gpg, python3 for the
// template filler), plus the operator's choice on unattended security upgrades.
import { COCCA_LIB, componentFile, lines, shq, type Component } from '../model.js';

const SOURCES = `${COCCA_LIB}/cocca-apt-sources`;
const UNATTENDED = `${COCCA_LIB}/cocca-unattended`;

export const base: Component = {
  name: 'base',
  files: ({ profile }) => [
    ...(profile.apt.sources ? [{ path: SOURCES, mode: '0755' as const, content: componentFile('base', 'cocca-apt-sources') }] : []),
    { path: UNATTENDED, mode: '0755', content: componentFile('base', 'cocca-unattended') },
  ],
  steps: ({ profile, os }) => [
    {
      component: 'base',
      name: 'packages',
      phase: 'bake',
      title: 'Install build tools and base packages',
      script: lines(
        profile.apt.sources && `${SOURCES} ${profile.apt.sources.map(shq).join(' ')}`,
        'apt_get update',
        `apt_install ${os.basePackages.map(shq).join(' ')}`,
      ),
    },
    {
      component: 'base',
      name: 'updates',
      phase: 'bake',
      title: profile.updates.unattendedSecurity ? 'Turn on unattended security upgrades' : 'Turn off unattended upgrades',
      script: `${UNATTENDED} ${profile.updates.unattendedSecurity ? 'on' : 'off'}`,
      packages: profile.updates.unattendedSecurity ? ['unattended-upgrades'] : [],
    },
  ],
};
