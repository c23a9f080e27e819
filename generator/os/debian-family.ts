// What Debian and Ubuntu releases share, for their modules to take or leave.

/** The seed's compiler tools and what the steps themselves use (curl, gpg, python3, jq). */
export const DEBIAN_BASE_PACKAGES: readonly string[] = ['build-essential', 'checkinstall', 'zlib1g-dev', 'ca-certificates', 'curl', 'gnupg', 'python3', 'jq'];

/** The apt packages of PostgreSQL MAJOR, as the distributions and PGDG name them. */
export const debianPostgresPackages = (major: number): string[] => [`postgresql-${major}`, `postgresql-client-${major}`];

/** Ubuntu's /etc/environment PATH: snapd is part of its server images, hence /snap/bin. */
export const UBUNTU_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin';

/** Debian's PATH (its /etc/profile's for root, with the games directories): no snap. */
export const DEBIAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/games:/usr/games';
