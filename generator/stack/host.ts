// The instance's own name, settled by first boot (instance.env, the profile, or detection).
import { lines, type Component } from './step.js';

export const host: Component = {
  name: 'host',
  steps: () => [
    {
      component: 'host',
      name: 'name',
      phase: 'boot',
      title: 'Set the host name',
      script: lines(
        'fqdn=$(value FQDN)',
        'short=${fqdn%%.*}',
        'if [ "$(hostname)" != "$short" ]; then',
        '  echo "$short" >/etc/hostname',
        '  hostname "$short"',
        'fi',
        // cloud-init's own /etc/hosts management is off (preserve_hostname); keep the name resolvable.
        "sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts",
        'printf "127.0.1.1 %s %s\\n" "$fqdn" "$short" >>/etc/hosts',
      ),
    },
  ],
};
