// The SBOM maker (generator/sbom): the package list read strictly, deb purls as scanners read
// them, the downloads with how they went in, the same bytes for the same input, and valid
// CycloneDX 1.6 (the schema the library ships, through its ajv validator).
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { debPurl, imageSbom, type SbomInput } from '../../generator/sbom/cyclonedx.js';
import { PackageListError, parsePackageList } from '../../generator/sbom/package-list.js';

const LIST = [
  'base-files\t12.4+deb12u8\tamd64\tbase-files\t12.4+deb12u8',
  'libssl3\t3.0.15-1~deb12u1\tamd64\topenssl\t3.0.15-1~deb12u1',
  'libc6\t2.36-9+deb12u9\tamd64\tglibc\t2.36-9+deb12u9',
  'perl-base\t5.36.0-7+deb12u1\tamd64\tperl\t5.36.0-7+deb12u1',
  'tzdata\t2024b-0+deb12u1\tall\ttzdata\t2024b-0+deb12u1',
  'libgcc-s1\t12.2.0-14\tamd64\tgcc-12\t12.2.0-14',
  'bsdutils\t1:2.38.1-5+deb12u2\tamd64\tutil-linux\t2.38.1-5+deb12u2',
  'ca-certificates-java\t20230710~deb12u1\tall\t\t',
].join('\n') + '\n';

const input = (over: Partial<SbomInput> = {}): SbomInput => ({
  profile: { name: 'ke', digest: 'd'.repeat(64), os: 'debian-12' },
  image: 'ami-0123456789abcdef0 in af-south-1',
  target: 'aws',
  coccaBake: '0.1.0',
  builtAt: '2026-11-30T06:00:00.000Z',
  packages: parsePackageList(LIST, 'image-packages.tsv'),
  artifacts: [
    { name: 'openssl', url: 'https://www.openssl.org/source/openssl-1.1.1w.tar.gz', sha256: 'cf3098950cb4d853ad95c0841f1f9c6d3dc102dccfcacd521d93925208b76ac8', version: '1.1.1w' },
    { name: 'war', url: 'https://downloads.cocca.org.nz/ROOT.war', sha256: 'unpinned' },
  ],
  ...over,
});

describe('the package list', () => {
  it('reads name, version, arch and source; an empty source field is the binary itself', () => {
    const p = parsePackageList(LIST, 'f');
    expect(p).toHaveLength(8);
    expect(p[1]).toEqual({ name: 'libssl3', version: '3.0.15-1~deb12u1', arch: 'amd64', source: 'openssl', sourceVersion: '3.0.15-1~deb12u1' });
    expect(p[7]).toMatchObject({ name: 'ca-certificates-java', source: 'ca-certificates-java', sourceVersion: '20230710~deb12u1' });
  });

  it.each([
    ['bash\t5.2\tamd64\tbash\n', 'f:1: expected 5 tab-separated fields (name, version, arch, source, source version), found 4'],
    ['bash\t5.2\tamd64\tbash\t5.2\nBash\t5.2\tamd64\tbash\t5.2\n', 'f:2: not a package name: "Bash"'],
    ['bash\tfive\tamd64\tbash\t5.2\n', 'f:1: bash: not a package version: "five"'],
    ['bash\t5.2\tAMD 64\tbash\t5.2\n', 'f:1: bash: not an architecture: "AMD 64"'],
    ['', 'f: no packages'],
  ])('refuses %j', (text, message) => {
    expect(() => parsePackageList(text, 'f')).toThrow(new PackageListError(message));
  });
});

describe('the CycloneDX SBOM', () => {
  it('is valid CycloneDX 1.6', async () => {
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(imageSbom(input()))).toBeNull();
  });

  it('a validator that would catch a broken one (a hash that is not hex)', async () => {
    const bom = JSON.parse(imageSbom(input()));
    bom.components.find((c: { name: string }) => c.name === 'openssl' && c['bom-ref' as 'name'] === 'artifact:openssl').hashes[0].content = 'not-hex';
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(bom))).not.toBeNull();
  });

  it('is the same bytes for the same input, and another serial number for another', () => {
    expect(imageSbom(input())).toBe(imageSbom(input()));
    const serial = (s: string) => JSON.parse(s).serialNumber as string;
    expect(serial(imageSbom(input()))).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(serial(imageSbom(input({ image: 'ami-0fedcba9876543210 in af-south-1' })))).not.toBe(serial(imageSbom(input())));
  });

  it.each([
    [{ name: 'bsdutils', version: '1:2.38.1-5+deb12u2', arch: 'amd64' }, 'debian-12', 'pkg:deb/debian/bsdutils@1:2.38.1-5+deb12u2?arch=amd64&distro=debian-12'],
    [{ name: 'libssl3', version: '3.0.2-0ubuntu1.18', arch: 'amd64' }, 'ubuntu-22.04', 'pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.18?arch=amd64&distro=ubuntu-22.04'],
    [{ name: 'tzdata', version: '2025b-0+deb13u1', arch: 'all' }, 'debian-13', 'pkg:deb/debian/tzdata@2025b-0+deb13u1?arch=all&distro=debian-13'],
  ])('purl of %j on %s', (p, os, purl) => {
    expect(debPurl(p, os)).toBe(purl);
  });

  it('every package once, with its version, purl and source package; the downloads with URL, SHA-256 and how they went in', () => {
    const bom = JSON.parse(imageSbom(input()));
    const debs = bom.components.filter((c: { purl?: string }) => c.purl);
    expect(debs.map((c: { name: string; version: string }) => `${c.name}=${c.version}`).sort()).toEqual(LIST.trim().split('\n').map((l) => l.split('\t').slice(0, 2).join('=')).sort());
    const libssl = debs.find((c: { name: string }) => c.name === 'libssl3');
    expect(libssl.properties).toEqual(expect.arrayContaining([{ name: 'cocca-bake:deb:source', value: 'openssl' }, { name: 'cocca-bake:source', value: 'dpkg' }]));
    const openssl = bom.components.find((c: { 'bom-ref': string }) => c['bom-ref'] === 'artifact:openssl');
    expect(openssl).toMatchObject({ type: 'library', version: '1.1.1w', hashes: [{ alg: 'SHA-256', content: input().artifacts[0]!.sha256 }], externalReferences: [{ type: 'distribution', url: 'https://www.openssl.org/source/openssl-1.1.1w.tar.gz' }] });
    expect(openssl.properties).toContainEqual({ name: 'cocca-bake:provenance', value: 'built from source' });
    // An unpinned download has no hash to claim: the SBOM says so instead.
    const war = bom.components.find((c: { 'bom-ref': string }) => c['bom-ref'] === 'artifact:war');
    expect(war.hashes).toBeUndefined();
    expect(war.properties).toEqual(expect.arrayContaining([{ name: 'cocca-bake:sha256', value: 'unpinned' }, { name: 'cocca-bake:provenance', value: 'copied' }]));
    // The image depends on all of them.
    const image = bom.dependencies.find((d: { ref: string }) => d.ref === 'image');
    expect(image.dependsOn).toHaveLength(LIST.trim().split('\n').length + 2);
    expect(bom.metadata.timestamp).toBe('2026-11-30T06:00:00.000Z');
  });
});
