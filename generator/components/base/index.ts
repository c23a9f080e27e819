// The seed's compiler tools and what the steps themselves use (curl, gpg, python3 for the
// template filler), plus the operator's choice on unattended security upgrades. The keys of
// apt.keys are instance files, so they are in place before the first step sets the sources.
import { COCCA_LIB, componentFile, lines, shq, type Component } from '../model.js';
import { APT_KEYRINGS, checkAptKeys } from './rules.js';

const SOURCES = `${COCCA_LIB}/cocca-apt-sources`;
const UNATTENDED = `${COCCA_LIB}/cocca-unattended`;

export const base: Component = {
  name: 'base',
  rules: [checkAptKeys],
  files: ({ profile }) => [
    ...Object.entries(profile.apt.keys ?? {}).map(([name, key]) => ({ path: `${APT_KEYRINGS}/${name}.asc`, mode: '0644' as const, content: key.endsWith('\n') ? key : `${key}\n` })),
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
