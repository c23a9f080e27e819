// What Debian and Ubuntu releases share, for their modules to take or leave.
import type { AptArchive } from './types.js';

/** The seed's compiler tools and what the steps themselves use (curl, gpg, python3, jq). */
export const DEBIAN_BASE_PACKAGES: readonly string[] = ['build-essential', 'checkinstall', 'zlib1g-dev', 'ca-certificates', 'curl', 'gnupg', 'python3', 'jq'];

/** The apt packages of PostgreSQL MAJOR, as the distributions and PGDG name them. */
export const debianPostgresPackages = (major: number): string[] => [`postgresql-${major}`, `postgresql-client-${major}`];

/** Ubuntu's /etc/environment PATH: snapd is part of its server images, hence /snap/bin. */
export const UBUNTU_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin';

/** Debian's PATH (its /etc/profile's for root, with the games directories): no snap. */
export const DEBIAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/games:/usr/games';

const DEBIAN_KEYRING = { path: '/usr/share/keyrings/debian-archive-keyring.gpg', package: 'debian-archive-keyring' };
const UBUNTU_KEYRING = { path: '/usr/share/keyrings/ubuntu-archive-keyring.gpg', package: 'ubuntu-keyring' };

/** Debian's archive for a release: main of the release, its -updates and its -security suites. */
export function debianArchive(codename: string): AptArchive {
  const by = `[signed-by=${DEBIAN_KEYRING.path}]`;
  return {
    sources: [
      `deb ${by} http://deb.debian.org/debian ${codename} main`,
      `deb ${by} http://deb.debian.org/debian ${codename}-updates main`,
      `deb ${by} http://deb.debian.org/debian-security ${codename}-security main`,
    ],
    keyring: DEBIAN_KEYRING,
  };
}

/** Ubuntu's archive for a release: main and universe (fail2ban, JDK 8) of the release, -updates and -security. */
export function ubuntuArchive(codename: string): AptArchive {
  const by = `[signed-by=${UBUNTU_KEYRING.path}]`;
  return {
    sources: [
      `deb ${by} http://archive.ubuntu.com/ubuntu ${codename} main universe`,
      `deb ${by} http://archive.ubuntu.com/ubuntu ${codename}-updates main universe`,
      `deb ${by} http://security.ubuntu.com/ubuntu ${codename}-security main universe`,
    ],
    keyring: UBUNTU_KEYRING,
  };
}
