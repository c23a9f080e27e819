// debian-13 (trixie): what a profile naming it gets, through the real checker, the components
// and the Packer emitter. It boots for real in test/e2e/debian-13.test.ts.
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { translate } from '../../test/unit/component-table.js';
import { checkFragment } from '../../test/unit/profile-helpers.js';
import { java } from '../components/java/index.js';
import { postgres } from '../components/postgres/index.js';
import { packerHcl } from '../emit/packer.js';
import { osModule, OS_MODULES } from './index.js';

type Json = Record<string, unknown>;

/** The profile through the checker (no error allowed) and the modern HCL, as JSON. */
async function hclOf(yaml: string): Promise<{ aws?: Json; qemu?: Json }> {
  const r = checkFragment({ yaml });
  expect(r.findings.filter((f) => f.severity === 'error').map((f) => `${f.path}: ${f.message}`)).toEqual([]);
  const json = (await parse('cocca.pkr.hcl', packerHcl(r.profile!, r.os!, 'modern')!)) as { source: Record<string, Record<string, Json[]>> };
  return { aws: json.source['amazon-ebs']?.cocca?.[0], qemu: json.source.qemu?.cocca?.[0] };
}

describe('debian-13 (trixie)', () => {
  it('is a registered OS, beside debian-12, with its own codename', () => {
    expect(OS_MODULES.map((m) => m.name)).toContain('debian-13');
    expect(osModule('debian-13').codename).toBe('trixie');
    expect(checkFragment({ yaml: 'os: windows\n' }).findings.map((f) => f.message)).toContainEqual(expect.stringContaining('"debian-13"'));
  });

  it("AWS: the Debian cloud team's trixie AMI, booted from /dev/xvda, reached as admin", async () => {
    const { aws } = await hclOf('os: debian-13\n');
    const filter = (aws!.source_ami_filter as Json[])[0]!;
    expect(filter.owners).toEqual(['136693071363']);
    expect(filter.filters).toMatchObject({ name: 'debian-13-amd64-*' });
    expect((aws!.launch_block_device_mappings as Json[]).map((m) => m.device_name)).toEqual(['/dev/xvda']);
    expect(aws!.ssh_username).toBe('admin');
    expect(checkFragment({ yaml: 'os: debian-13\n' }).profile!.ssh.allowUsers).toEqual(['admin']);
  });

  it("qemu: trixie's genericcloud qcow2, checked against Debian's SHA512SUMS; its user is debian", async () => {
    const yaml = 'os: debian-13\ntargets:\n  qemu: {}\n';
    const { qemu } = await hclOf(yaml);
    expect(qemu!.iso_url).toBe('https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2');
    expect(qemu!.iso_checksum).toBe('file:https://cloud.debian.org/images/cloud/trixie/latest/SHA512SUMS');
    // Both images' users may log in: the AMI's admin and the qcow2's debian.
    expect(checkFragment({ yaml }).profile!.ssh.allowUsers).toEqual(['admin', 'debian']);
  });

  it('PGDG: the trixie-pgdg suite', () => {
    const t = translate(postgres, 'os: debian-13\nssh:\n  allowUsers: [admin]\n');
    const repo = t.steps.find((s) => s.name === 'repository')!.script;
    expect(repo).toContain('https://apt.postgresql.org/pub/repos/apt trixie-pgdg main');
  });

  it("the OS archive's own packages: PostgreSQL 17 (trixie has no postgresql-15) and OpenJDK 21 (no openjdk-17)", () => {
    const yaml = 'os: debian-13\nssh:\n  allowUsers: [admin]\npostgres: {version: 17, source: apt}\njava: {source: apt, package: openjdk-21-jdk-headless}\n';
    const pg = translate(postgres, yaml).steps;
    expect(pg.map((s) => s.name)).not.toContain('repository');
    expect(pg.find((s) => s.name === 'install')!.script).toContain('apt_install postgresql-17 postgresql-client-17');
    expect(pg.find((s) => s.name === 'tune')!.script).toContain('--pgtune-out /etc/postgresql/17/main/conf.d/50-pgtune.conf');
    expect(pg.find((s) => s.name === 'start')!.script).toContain('svc start postgresql@17-main.service');
    expect(translate(java, yaml).steps.map((s) => s.script).join('\n')).toContain('apt_install openjdk-21-jdk-headless');
  });
});
