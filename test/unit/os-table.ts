// The OS modules' tests (generator/os/NAME.test.ts): what each module answers, written out in
// the test (never read back from the module), and that the answers land where a render uses
// them: the AMI lookup and root device and the qcow2's image in the Packer HCL (read with
// HashiCorp's parser), the login users, the PATH, the PGDG suite and PostgreSQL's packages,
// and how sshd is restarted. The profile goes through the real checker first.
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { plan } from '../../generator/components/index.js';
import { renderOutputs } from '../../generator/emit/output.js';
import { OS_NAMES, osModule } from '../../generator/os/index.js';
import type { OsModule } from '../../generator/os/types.js';
import { profileSchema } from '../../generator/profile/schema.js';
import { checkFragment } from './profile-helpers.js';

export interface OsWant {
  users: { aws: string; qemu: string };
  ami: { owner: string; namePattern: string; rootDevice: string };
  qemuImage: { url: string; checksum: string; checksumFileName: string };
  pgdgSuite: string;
  /** java.package's default; absent: the release has no JDK 8 package. */
  jdk8Package?: string;
  /** The distribution's PATH, after the stack's OpenSSL and JDK. */
  path: string;
  /** The third argument of cocca-sshd-apply: sshd's service, or the socket that starts it. */
  sshdUnit: string;
}

interface Source {
  ssh_username?: string;
  source_ami_filter?: Array<{ filters: Record<string, string>; owners: string[] }>;
  launch_block_device_mappings?: Array<{ device_name: string }>;
  iso_url?: string;
  iso_checksum?: string;
}

/** Both targets (the qemu one as given: by default the module's own image), every other choice the clean base's. */
export function renderFor(name: string, opts: { qemu?: string; ssh?: string } = {}) {
  const m = osModule(name as never);
  const users = [...new Set([m.users.aws, m.users.qemu])];
  const r = checkFragment({ yaml: `os: ${name}\nssh:\n  allowUsers: [${users.join(', ')}]\n${opts.ssh ?? ''}targets:\n  qemu: ${opts.qemu ?? '{}'}\n` });
  const errors = r.findings.filter((f) => f.severity === 'error').map((f) => `${f.path}: ${f.message}`);
  expect(errors, 'the checker accepts the profile').toEqual([]);
  const p = plan(r.profile!, r.os!);
  return { ...r, out: { ...renderOutputs(r.profile!, r.os!, p, { packerFlavor: 'modern' }), plan: p } };
}

export function osTable(module: OsModule, want: OsWant): void {
  describe(`OS module ${module.name}`, () => {
    it('is registered under its name, and the schema offers it', () => {
      expect(osModule(module.name as never)).toBe(module);
      expect(OS_NAMES).toContain(module.name);
      const os = (profileSchema() as { properties: { os: { enum: string[] } } }).properties.os;
      expect(os.enum).toContain(module.name);
    });

    it('answers its users, image lookup, root device, suites, PATH and sshd unit', () => {
      expect(module.users).toEqual(want.users);
      expect(module.awsBaseImage).toEqual({ owner: want.ami.owner, namePattern: want.ami.namePattern });
      expect(module.awsRootDevice).toBe(want.ami.rootDevice);
      expect(module.cloudImage.url).toBe(want.qemuImage.url);
      expect(module.pgdgSuite).toBe(want.pgdgSuite);
      expect(module.jdk8Package).toBe(want.jdk8Package);
      expect(module.path).toBe(want.path);
      expect(module.sshd.socket ?? module.sshd.service).toBe(want.sshdUnit);
    });

    it('its answers land in a render: Packer sources, PATH, PGDG, PostgreSQL packages, sshd', async () => {
      const { out } = renderFor(module.name);
      const text = (rel: string) => {
        const f = out.files.find((x) => x.path === rel);
        if (!f) throw new Error(`the render has no ${rel}`);
        return f.data.toString('utf8');
      };
      const hcl = (await parse('cocca.pkr.hcl', text('packer/cocca.pkr.hcl'))) as { source: Record<string, Record<string, Source[]>> };
      const ebs = hcl.source['amazon-ebs']!.cocca![0]!;
      expect(ebs.ssh_username).toBe(want.users.aws);
      expect(ebs.source_ami_filter![0]!.filters.name).toBe(want.ami.namePattern);
      expect(ebs.source_ami_filter![0]!.owners).toEqual([want.ami.owner]);
      expect(ebs.launch_block_device_mappings![0]!.device_name).toBe(want.ami.rootDevice);
      const qemu = hcl.source.qemu!.cocca![0]!;
      expect(qemu.iso_url).toBe(want.qemuImage.url);
      expect(qemu.iso_checksum).toBe(want.qemuImage.checksum);
      // A mirror's copy of the image, unpinned: the publisher's kind of checksum file beside it.
      const mirror = renderFor(module.name, { qemu: '{baseImage: {url: "https://mirror.example/os/base.img", sha256: unpinned}}' });
      const mirrorHcl = (await parse('cocca.pkr.hcl', mirror.out.files.find((f) => f.path === 'packer/cocca.pkr.hcl')!.data.toString('utf8'))) as typeof hcl;
      expect(mirrorHcl.source.qemu!.cocca![0]!.iso_checksum).toBe(`file:https://mirror.example/os/${want.qemuImage.checksumFileName}`);

      const rootfs = 'packer/files/rootfs';
      expect(text(`${rootfs}/etc/environment`)).toBe(`PATH="/usr/local/ssl/bin:/usr/lib/jvm/cocca-java/bin:${want.path}"\nJAVA_HOME="/usr/lib/jvm/cocca-java"\n`);
      const steps = out.plan.steps;
      const step = (id: string) => [...steps.bake, ...steps.harden].find((s) => `${s.component}.${s.name}` === id)!.script;
      expect(step('postgres.repository')).toMatch(new RegExp(`^/usr/local/lib/cocca/cocca-pgdg ${want.pgdgSuite} `));
      expect(step('postgres.install')).toMatch(/ postgresql-15 postgresql-client-15$/);
      expect(step('sshd.harden')).toBe(`/usr/local/lib/cocca/cocca-sshd-apply /usr/local/lib/cocca/sshd-hardening.conf 22 ${want.sshdUnit}`);
    });
  });
}
