// Versions are data: the files each known release is downloaded from, and their SHA-256
// where a publisher or an independent pin exists. `unpinned` marks files nobody publishes a
// checksum for (Caucho's Resin tarball, CoCCA's downloads): validate warns, --strict refuses.
import type { Artifact, Role } from './profile/types.js';

export const UNPINNED = 'unpinned';

export const catalog = {
  openssl: {
    // openssl.org moved 1.1.1 releases under source/old/ at end of life.
    '1.1.1s': {
      url: 'https://www.openssl.org/source/old/1.1.1/openssl-1.1.1s.tar.gz',
      sha256: 'c5ac01e760ee6ff0dab61d6b2bbd30146724d063eb322180c6f18a6f74e4b6aa',
    },
    '1.1.1w': {
      url: 'https://www.openssl.org/source/old/1.1.1/openssl-1.1.1w.tar.gz',
      sha256: 'cf3098950cb4d853ad95c0841f1f9c6d3dc102dccfcacd521d93925208b76ac8',
    },
  },
  jdk: {
    // The seed's Oracle build, as CoCCA serves it; Oracle JDK 8 after 8u202 needs an OTN licence.
    '8u351': { url: 'https://updates.coccaregistry.org/jdk-8u351-linux-x64.tar.gz', sha256: UNPINNED, home: 'jdk1.8.0_351' },
    // The OpenJDK build of the same quarterly update (Oracle's odd 8u351 = OpenJDK's 8u352).
    '8u352-temurin': {
      url: 'https://github.com/adoptium/temurin8-binaries/releases/download/jdk8u352-b08/OpenJDK8U-jdk_x64_linux_hotspot_8u352b08.tar.gz',
      sha256: '1633bd7590cb1cd72f5a1378ae8294451028b274d798e2a4ac672059a2f00fee',
      home: 'jdk8u352-b08',
    },
  },
  resin: {
    '4.0.66': { url: 'https://caucho.com/download/resin-4.0.66.tar.gz', sha256: UNPINNED },
    // CoCCA's 2024 guides build this one.
    '4.0.67': { url: 'https://caucho.com/download/resin-4.0.67.tar.gz', sha256: UNPINNED },
  },
  jdbc: {
    '42.5.0': { url: 'https://jdbc.postgresql.org/download/postgresql-42.5.0.jar', sha256: UNPINNED },
  },
} satisfies Record<string, Record<string, Artifact & { home?: string }>>;

/**
 * PostgreSQL majors a profile may choose (postgres.version; the schema fragment's enum is this
 * list, a test holds them equal). Apt packages, not downloads: PGDG builds each for every OS
 * here. The seed's 15 stays the default; CoCCA's 2024 guides name 16 and 17.
 */
export const POSTGRES_MAJORS = [15, 16, 17] as const;

/** CoCCA's own downloads: always the latest build, never checksummed by CoCCA. */
export const coccaDownloads: { war: Record<Role, Artifact>; keystore: Artifact } = {
  war: {
    registry: { url: 'https://updates.coccaregistry.org/ROOT.war', sha256: UNPINNED },
    'whois-dr': { url: 'https://updates.coccaregistry.org/whois-dr/ROOT.war', sha256: UNPINNED },
  },
  keystore: { url: 'https://updates.coccaregistry.org/star_coccaregistry_org.jks', sha256: UNPINNED },
};

export type CatalogKind = keyof typeof catalog;

export function lookup(kind: CatalogKind, version: string): (Artifact & { home?: string }) | undefined {
  return (catalog[kind] as Record<string, Artifact & { home?: string }>)[version];
}
