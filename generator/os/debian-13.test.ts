// debian-13 (trixie): the same images' users and root device as bookworm, its own suite, and an
// archive that carries PostgreSQL 17 and OpenJDK 21 only (no 15, no 17, no 8). Booted for real in
// test/e2e/debian-13.test.ts.
import { describe, expect, it } from 'vitest';
import { osTable } from '../../test/unit/os-table.js';
import { translate } from '../../test/unit/component-table.js';
import { java } from '../components/java/index.js';
import { postgres } from '../components/postgres/index.js';
import { debian13 } from './debian-13.js';

osTable(debian13, {
  users: { aws: 'admin', qemu: 'debian' },
  ami: { owner: '136693071363', namePattern: 'debian-13-amd64-*', rootDevice: '/dev/xvda' },
  qemuImage: {
    url: 'https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2',
    checksum: 'file:https://cloud.debian.org/images/cloud/trixie/latest/SHA512SUMS',
    checksumFileName: 'SHA512SUMS',
  },
  pgdgSuite: 'trixie-pgdg',
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/games:/usr/games',
  sshdUnit: 'ssh',
});

describe("debian-13: the OS archive's own packages", () => {
  it('PostgreSQL 17 (trixie has no postgresql-15) and OpenJDK 21 (no openjdk-17, no openjdk-8)', () => {
    const yaml = 'os: debian-13\nssh:\n  allowUsers: [admin]\npostgres: {version: 17, source: apt}\njava: {source: apt, package: openjdk-21-jdk-headless}\n';
    const pg = translate(postgres, yaml).steps;
    expect(pg.map((s) => s.name)).not.toContain('repository');
    expect(pg.find((s) => s.name === 'install')!.script).toBe('/usr/local/lib/cocca/cocca-pg-install 17 registry postgresql-17 postgresql-client-17');
    expect(pg.find((s) => s.name === 'start')!.script).toContain('postgresql@17-main.service');
    expect(translate(java, yaml).steps.map((s) => s.script).join('\n')).toMatch(/ apt '?openjdk-21-jdk-headless'?$/);
    expect(debian13.jdk8Package).toBeUndefined();
  });
});
