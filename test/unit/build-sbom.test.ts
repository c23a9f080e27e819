// A build writes the image's SBOM beside its record, from the package list Packer downloads from
// the image (here the Packer stand-in, test/fixtures/fake-packer: the package list is THIS
// host's real `dpkg-query` output, in cocca-inventory's format), valid against the CycloneDX 1.6
// schema the library ships; a list that did not come back leaves no SBOM, and the record says so.
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProfile } from '../../generator/commands/build/index.js';
import { findPacker } from '../../generator/commands/build/packer-cli.js';
import { checkProfile } from '../../generator/check/index.js';
import { publisherWith } from '../../generator/commands/build/aws.js';
import { world } from '../helpers/ec2-fake.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';
import { hostPackageList } from '../helpers/host-packages.js';

const FAKE = path.resolve('test/fixtures/fake-packer/packer');
let work: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-build-sbom-'));
  delete process.env.FAKE_PACKER_FAIL_AT;
  delete process.env.FAKE_PACKER_VERSION;
  delete process.env.FAKE_PACKER_LOG;
});
afterEach(async () => {
  delete process.env.FAKE_PACKER_PACKAGES;
  await fs.rm(work, { recursive: true, force: true });
});

async function qemuBuild() {
  const file = path.join(work, 'q.yaml');
  await fs.writeFile(file, QEMU_PROFILE);
  const r = checkProfile(file);
  return buildProfile(r.profile!, r.os!, { buildRoot: path.join(work, 'builds'), packer: await findPacker(FAKE), onProgress: () => {} });
}

describe('build: the SBOM beside the record', () => {
  it('qemu: sbom.cdx.json and image-packages.tsv beside build-record.json, named with their digests, every package with its purl', async () => {
    const list = path.join(work, 'image-packages.tsv');
    const text = await hostPackageList();
    await fs.writeFile(list, text);
    process.env.FAKE_PACKER_PACKAGES = list;
    const record = await qemuBuild();
    expect(record.result).toBe('ok');
    const dir = path.dirname(record.log);
    const sbom = record.sbom!;
    if ('missing' in sbom) throw new Error(sbom.missing);
    expect(sbom.file).toBe(path.join(dir, 'sbom.cdx.json'));
    const json = await fs.readFile(sbom.file, 'utf8');
    expect(sbom.sha256).toBe(createHash('sha256').update(json).digest('hex'));
    expect(await fs.readFile(sbom.packageList.file, 'utf8')).toBe(text);
    const lines = text.trimEnd().split('\n');
    expect(sbom.packages).toBe(lines.length);
    // The record on disk says the same.
    const onDisk = JSON.parse(await fs.readFile(path.join(dir, 'build-record.json'), 'utf8'));
    expect(onDisk.sbom).toEqual(sbom);

    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json)).toBeNull();
    const bom = JSON.parse(json);
    expect(bom.metadata.component.properties).toContainEqual({ name: 'cocca-bake:image', value: 'cocca-q.qcow2' });
    const debs = bom.components.filter((c: { purl?: string }) => c.purl?.startsWith('pkg:deb/'));
    expect(debs).toHaveLength(lines.length);
    const [name, version, arch] = lines.find((l) => l.startsWith('dpkg\t'))!.split('\t');
    const dpkg = debs.find((c: { name: string }) => c.name === name);
    expect(dpkg.version).toBe(version);
    expect(dpkg.purl).toBe(`pkg:deb/debian/dpkg@${version}?arch=${arch}&distro=debian-12`);
    // The downloads this build put in (no OpenSSL, no JDK tarball in this profile).
    const downloads = bom.components.filter((c: { bom_ref?: string; 'bom-ref': string }) => c['bom-ref'].startsWith('artifact:'));
    expect(downloads.map((c: { name: string }) => c.name).sort()).toEqual(['jdbc', 'keystore', 'resin', 'war']);
    const resin = downloads.find((c: { name: string }) => c.name === 'resin');
    expect(resin.properties).toContainEqual({ name: 'cocca-bake:provenance', value: 'built from source' });
    expect(resin.externalReferences[0]).toMatchObject({ type: 'distribution', url: record.artifacts.resin!.url });
    const war = downloads.find((c: { name: string }) => c.name === 'war');
    expect(war.properties).toContainEqual({ name: 'cocca-bake:provenance', value: 'copied' });
  });

  it('aws: the SBOM names the AMI and its region, and the record digest the AMI is tagged with covers it', async () => {
    const list = path.join(work, 'image-packages.tsv');
    await fs.writeFile(list, await hostPackageList());
    process.env.FAKE_PACKER_PACKAGES = list;
    const r = checkProfile('profiles/af-south-1.yaml');
    // The in-memory EC2 of test/helpers/ec2-fake.ts holds the AMI the Packer stand-in reports.
    const w = world('af-south-1', 'eu-west-1');
    w.r['af-south-1']!.add({ id: 'ami-0new000000000001', name: 'cocca-af-south-1-20240501', tags: { 'cocca-bake:profile': 'af-south-1' } });
    const { preflight: _none, ...aws } = publisherWith(w.factory, { minDelay: 1, maxDelay: 2, timeout: 60, sleep: async () => {} });
    const record = await buildProfile(r.profile!, r.os!, { buildRoot: path.join(work, 'builds'), packer: await findPacker(FAKE), aws, onProgress: () => {} });
    expect(record.result).toBe('ok');
    const sbom = record.sbom!;
    if ('missing' in sbom) throw new Error(sbom.missing);
    const json = await fs.readFile(sbom.file, 'utf8');
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json)).toBeNull();
    expect(JSON.parse(json).metadata.component.properties).toContainEqual({ name: 'cocca-bake:image', value: 'ami-0new000000000001 in af-south-1' });
    // af-south-1 builds OpenSSL and uses the JDK tarball: all six downloads.
    const downloads = JSON.parse(json).components.filter((c: { 'bom-ref': string }) => c['bom-ref'].startsWith('artifact:'));
    expect(downloads.map((c: { name: string }) => c.name).sort()).toEqual(['jdbc', 'jdk', 'keystore', 'openssl', 'resin', 'war']);
  });

  it('no package list back from the image: the build is ok, the SBOM missing and the record says why', async () => {
    const record = await qemuBuild();
    expect(record.result).toBe('ok');
    expect(record.sbom).toEqual({ missing: expect.stringMatching(/^the image's package list did not come back from the build \(no .*image-packages\.tsv\)$/) });
    await expect(fs.stat(path.join(path.dirname(record.log), 'sbom.cdx.json'))).rejects.toThrow(/ENOENT/);
  });

  it('a package list that is not one: no SBOM, the file and line named', async () => {
    const list = path.join(work, 'image-packages.tsv');
    await fs.writeFile(list, 'bash\t5.2.15-2+b7\tamd64\tbash\t5.2.15-2\nnot a line\n');
    process.env.FAKE_PACKER_PACKAGES = list;
    const record = await qemuBuild();
    expect(record.sbom).toEqual({ missing: expect.stringMatching(/cannot be read: .*image-packages\.tsv:2: expected 5 tab-separated fields/) });
  });
});

// Kept honest: the stand-in's list is what cocca-inventory writes on this host.
it('the host list has the packages dpkg-query -W lists as installed', async () => {
  const text = await hostPackageList();
  const r = await execa('dpkg-query', ['-W', '-f=${db:Status-Abbrev}${Package}\n']);
  expect(text.trimEnd().split('\n')).toHaveLength(r.stdout.split('\n').filter((l) => l.startsWith('ii')).length);
});
