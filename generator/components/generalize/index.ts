// The image's last step: forget everything that belongs to the build machine, then prove it.
import { COCCA_CACHE, COCCA_ETC, COCCA_STATE, INSTANCE_ENV, SECRETS_ENV, VALUES_ENV } from '../../instance/paths.js';
import { SNAKEOIL_CERT, SNAKEOIL_KEY } from '../host/index.js';
import { RESIN_HOME } from '../resin/index.js';
import { lines, type Component } from '../model.js';

/** The units as the bake left them, for systemd's first-boot presets (see the seal). */
export const IMAGE_PRESET = '/etc/systemd/system-preset/00-cocca-image.preset';

/** What one machine holds for itself: removed at seal, made anew by each instance. */
const PER_MACHINE = [
  '/var/lib/systemd/random-seed',
  '/var/lib/systemd/credential.secret',
  '/var/lib/fail2ban/fail2ban.sqlite3',
];

/** The qemu build's throwaway login; the seal removes it. */
export const BUILD_USER = 'cocca-build';

export const generalize: Component = {
  name: 'generalize',
  steps: () => [
    {
      component: 'generalize',
      name: 'clean',
      phase: 'seal',
      title: 'Generalize the image',
      script: lines(
        // Nothing may write /var/log after it is emptied but journald, whose files are rotated away
        // first: once cloud-init removes the machine-id, journalctl no longer finds them.
        'systemctl stop rsyslog.service syslog.socket >/dev/null 2>&1 || true',
        'journalctl --rotate >/dev/null 2>&1 || true',
        'for d in /var/log/journal/*/; do journalctl --directory="$d" --vacuum-time=1s >/dev/null 2>&1 || true; done',
        'cloud-init clean --logs --machine-id --seed',
        'rm -f /etc/ssh/ssh_host_*',
        // Stopped first: each writes its file again when it stops, at the power-off that follows.
        'systemctl stop systemd-random-seed.service fail2ban.service >/dev/null 2>&1 || true',
        `rm -f ${PER_MACHINE.join(' ')}`,
        // dbus keeps a copy of the machine id where it is not a link to /etc/machine-id.
        '[ -L /var/lib/dbus/machine-id ] || rm -f /var/lib/dbus/machine-id',
        // The build's name: each instance sets its own (host.name), and nothing resolves it meanwhile.
        'echo localhost >/etc/hostname',
        "sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts",
        // Each instance makes its own (host.snakeoil) before PostgreSQL's ssl = on reads it.
        `rm -f ${SNAKEOIL_KEY} ${SNAKEOIL_CERT}`,
        // Resin's runtime state (caches, sessions) of the build machine.
        `rm -rf ${RESIN_HOME}/resin-data/* ${RESIN_HOME}/watchdog-data/*`,
        // The build user's keys (Packer's temporary key) and every shell history.
        'for home in /root /home/*; do rm -f "$home/.ssh/authorized_keys" "$home/.bash_history" "$home/.lesshst" "$home/.viminfo"; done',
        // The qemu build's throwaway user (the AMI build logs in as the image's own user).
        `if id ${BUILD_USER} >/dev/null 2>&1; then userdel --force --remove ${BUILD_USER} 2>/dev/null || userdel --force ${BUILD_USER}; fi`,
        // shadow's backups (passwd-, shadow-, ...) still hold the user and its password hash.
        'rm -f /etc/passwd- /etc/shadow- /etc/group- /etc/gshadow- /etc/subuid- /etc/subgid-',
        // cloud-init writes it again for the next instance's default user.
        'rm -f /etc/sudoers.d/90-cloud-init-users',
        `rm -f ${INSTANCE_ENV} ${VALUES_ENV} ${SECRETS_ENV}`,
        `rm -rf /usr/local/src/* ${COCCA_CACHE} ${COCCA_STATE}/done/boot`,
        'apt-get clean',
        'rm -rf /var/lib/apt/lists/*',
        'find /var/log -type f \\( -name "*.gz" -o -name "*.[0-9]" -o -name "*.old" \\) -delete',
        // --no-create: no O_CREAT, which fs.protected_regular refuses even to root on files
        // owned by others in sticky group-writable directories (/var/log/postgresql).
        'find /var/log -path /var/log/journal -prune -o -type f -exec truncate --no-create -s 0 {} +',
        'rm -rf /tmp/* /var/tmp/*',
        // systemd applies its presets at an image's first boot (machine-id "uninitialized"),
        // enabling what the distribution ships disabled: ssh.socket, which then holds port 22
        // whatever sshd_config says, among others. The instance keeps the units as baked.
        'mkdir -p /etc/systemd/system-preset',
        `systemctl list-unit-files --no-legend --no-pager --state=enabled,disabled | awk '{ print ($2 == "enabled" ? "enable" : "disable"), $1 }' >${IMAGE_PRESET}`,
        // Last: every boot of an instance starts firewalled, before first boot or anything else
        // runs (the rules are the profile's, written by the bake; a running ufw would cut Packer).
        "sed -i 's/^ENABLED=.*/ENABLED=yes/' /etc/ufw/ufw.conf",
      ),
    },
    {
      component: 'generalize',
      name: 'verify',
      phase: 'seal',
      title: 'Check the image holds nothing of the build machine',
      script: lines(
        'problems=0',
        'bad() { log "NOT GENERALIZED: $*"; problems=$((problems + 1)); }',
        'mid=$(cat /etc/machine-id 2>/dev/null || true)',
        '[ -z "$mid" ] || [ "$mid" = uninitialized ] || bad "/etc/machine-id is set"',
        'compgen -G "/etc/ssh/ssh_host_*" >/dev/null && bad "ssh host keys are left"',
        `for f in ${PER_MACHINE.join(' ')}; do [ -e "$f" ] && bad "$f is left"; done`,
        '[ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ] && bad "/var/lib/dbus/machine-id is left"',
        '[ "$(cat /etc/hostname)" = localhost ] || bad "/etc/hostname holds the build machine\'s name"',
        "grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts && bad \"/etc/hosts names the build machine\"",
        `[ -e ${SNAKEOIL_KEY} ] && bad "the snakeoil key is left"`,
        `compgen -G "${RESIN_HOME}/resin-data/*" >/dev/null && bad "Resin's runtime data is left"`,
        `id ${BUILD_USER} >/dev/null 2>&1 && bad "the build user ${BUILD_USER} is left"`,
        `grep -qs "^${BUILD_USER}:" /etc/passwd- /etc/shadow- /etc/group- /etc/gshadow- && bad "the build user ${BUILD_USER} is left in a shadow backup"`,
        'for home in /root /home/*; do [ -e "$home/.ssh/authorized_keys" ] && bad "$home/.ssh/authorized_keys is left"; [ -e "$home/.bash_history" ] && bad "$home/.bash_history is left"; done',
        'compgen -G "/var/lib/cloud/instances/*" >/dev/null && bad "cloud-init instance data is left"',
        `compgen -G "${COCCA_ETC}/*.env" >/dev/null && bad "per-instance values or secrets are left in ${COCCA_ETC}"`,
        'compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null && bad "apt lists are left"',
        'compgen -G "/var/cache/apt/archives/*.deb" >/dev/null && bad "apt caches are left"',
        'compgen -G "/usr/local/src/*" >/dev/null && bad "build trees are left in /usr/local/src"',
        // journald's active file holds only what was logged since the rotation above.
        // -quit, not `| grep -q .`: under pipefail grep's early exit would fail the pipeline and pass the check.
        'if [ -n "$(find /var/log -path /var/log/journal -prune -o -type f -size +0 -print -quit)" ]; then bad "log files are not empty: $(find /var/log -path /var/log/journal -prune -o -type f -size +0 -print | head -3 | tr \'\\n\' \' \')"; fi',
        'if [ -n "$(find /var/log/journal -name "*@*.journal*" -print -quit 2>/dev/null)" ]; then bad "archived journal files are left"; fi',
        "grep -qx 'ENABLED=yes' /etc/ufw/ufw.conf || bad \"ufw is not set to start with the instance\"",
        `grep -q '^enable cocca-firstboot.service$' ${IMAGE_PRESET} || bad "the units are not kept as baked (${IMAGE_PRESET})"`,
        '[ "$problems" -eq 0 ] || die "$problems generalization check(s) failed"',
        'log "image generalized"',
      ),
    },
  ],
};
