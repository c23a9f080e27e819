// The seed's compiler tools and what the steps themselves use (curl, gpg, python3 for the
// template filler), plus the operator's choice on unattended security upgrades. The keys of
// apt.keys are instance files, so they are in place before the first step sets the sources.
// A frozen bake (--frozen) pins every recorded version before the first apt-get update.
import { FROZEN_LIST } from '../../instance/paths.js';
import { COCCA_LIB, componentFile, lines, shq, type Component, type FrozenPackages } from '../model.js';
import { APT_KEYRINGS, checkAptKeys } from './rules.js';

const SOURCES = `${COCCA_LIB}/cocca-apt-sources`;
const UNATTENDED = `${COCCA_LIB}/cocca-unattended`;
/** pin, check PACKAGE..., unpin (lib.sh's apt_install runs check; inventory unpins). */
export const FROZEN_PIN = `${COCCA_LIB}/cocca-apt-frozen`;

/**
 * "name<TAB>version" lines, sorted. apt pins by package name: the versions hold "name:arch"
 * keys, and an image holds one version of a name (Multi-Arch: same packages share it).
 */
export function frozenList(frozen: FrozenPackages): string {
  const byName = new Map<string, string>();
  for (const [key, version] of Object.entries(frozen.versions)) {
    const name = key.replace(/:[^:]*$/, '');
    const seen = byName.get(name);
    if (seen !== undefined && seen !== version) throw new Error(`internal: frozen ${name} has two versions (${seen}, ${version})`);
    byName.set(name, version);
  }
  return [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, v]) => `${n}\t${v}\n`).join('');
}

export const base: Component = {
  name: 'base',
  rules: [checkAptKeys],
  files: ({ profile, frozen }) => [
    ...Object.entries(profile.apt.keys ?? {}).map(([name, key]) => ({ path: `${APT_KEYRINGS}/${name}.asc`, mode: '0644' as const, content: key.endsWith('\n') ? key : `${key}\n` })),
    ...(frozen
      ? [
          { path: FROZEN_PIN, mode: '0755' as const, content: componentFile('base', 'cocca-apt-frozen') },
          { path: FROZEN_LIST, mode: '0644' as const, content: frozenList(frozen) },
        ]
      : []),
    ...(profile.apt.sources ? [{ path: SOURCES, mode: '0755' as const, content: componentFile('base', 'cocca-apt-sources') }] : []),
    { path: UNATTENDED, mode: '0755', content: componentFile('base', 'cocca-unattended') },
  ],
  steps: ({ profile, os, frozen }) => [
    {
      component: 'base',
      name: 'packages',
      phase: 'bake',
      title: 'Install build tools and base packages',
      script: lines(
        profile.apt.sources && `${SOURCES} ${profile.apt.sources.map(shq).join(' ')}`,
        frozen && `${FROZEN_PIN} pin`,
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
