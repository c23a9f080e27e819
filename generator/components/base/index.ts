// The seed's compiler tools and what the steps themselves use (curl, gpg, python3 for the
// template filler), plus the operator's choice on unattended security upgrades.
import { lines, shq, type Component } from '../model.js';

export const base: Component = {
  name: 'base',
  steps: ({ profile, os }) => [
    {
      component: 'base',
      name: 'packages',
      phase: 'bake',
      title: 'Install build tools and base packages',
      script: lines(
        profile.apt.sources &&
          lines(
            // The operator's sources replace the image's; the originals are kept aside, not deleted.
            'mkdir -p /etc/apt/sources-replaced-by-cocca',
            'for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do',
            '  case $f in */cocca.list | */pgdg.list) continue ;; esac',
            '  if [ -f "$f" ]; then mv -f "$f" /etc/apt/sources-replaced-by-cocca/; fi',
            'done',
            `printf '%s\\n' ${profile.apt.sources.map(shq).join(' ')} >/etc/apt/sources.list.d/cocca.list`,
          ),
        'apt_get update',
        `apt_install ${os.basePackages.map(shq).join(' ')}`,
      ),
    },
    {
      component: 'base',
      name: 'updates',
      phase: 'bake',
      title: profile.updates.unattendedSecurity ? 'Turn on unattended security upgrades' : 'Turn off unattended upgrades',
      script: profile.updates.unattendedSecurity
        ? lines(
            'apt_install unattended-upgrades',
            "printf 'APT::Periodic::Update-Package-Lists \"1\";\\nAPT::Periodic::Unattended-Upgrade \"1\";\\n' >/etc/apt/apt.conf.d/20auto-upgrades",
          )
        : lines(
            // CoCCA's 2024 guide disables them; the operator chose that here.
            "printf 'APT::Periodic::Update-Package-Lists \"0\";\\nAPT::Periodic::Unattended-Upgrade \"0\";\\n' >/etc/apt/apt.conf.d/20auto-upgrades",
            'if systemctl list-unit-files unattended-upgrades.service >/dev/null 2>&1; then systemctl disable unattended-upgrades.service || true; fi',
          ),
    },
  ],
};
