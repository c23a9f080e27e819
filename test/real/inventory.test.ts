// The bake's last step (inventory.packages) run as rendered, with the runner's real lib.sh, in
// the sandbox (test/real/sandbox.ts) on THIS host: the list it leaves is every installed
// package with its version, and the SBOM made from it is valid CycloneDX 1.6.
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageSbom } from '../../generator/sbom/cyclonedx.js';
import { parsePackageList } from '../../generator/sbom/package-list.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';
import { renderInstanceTree, runSandboxed } from './sandbox.js';
import { hasTool, isRoot } from './tools.js';

const canRun = isRoot() && (await hasTool('unshare'));
let work: string;

describe.skipIf(!canRun)('inventory.packages (sandboxed)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-inventory-'));
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('records every installed package with its exact version; the SBOM of it is valid', async () => {
    const rootfs = await renderInstanceTree(work, QEMU_PROFILE);
    const out = path.join(work, 'image-packages.tsv');
    const r = await runSandboxed(rootfs, `bash -euo pipefail /usr/local/lib/cocca/steps/bake/*-inventory.packages.sh\ncp /usr/local/share/cocca/image-packages.tsv ${out}\nstat -c %a /usr/local/share/cocca/image-packages.tsv`);
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toMatch(/cocca\[cocca\]: recorded \d+ installed packages in \/usr\/local\/share\/cocca\/image-packages\.tsv/);
    expect(r.output.trim().split('\n').at(-1)).toBe('644');
    const packages = parsePackageList(await fs.readFile(out, 'utf8'), out);
    const dpkg = await execa('dpkg-query', ['-W', '-f=${db:Status-Abbrev}|${Package}:${Architecture}=${Version}\n']);
    const installed = dpkg.stdout.split('\n').filter((l) => l.startsWith('ii')).map((l) => l.slice(l.indexOf('|') + 1)).sort();
    expect(packages.map((p) => `${p.name}:${p.arch}=${p.version}`).sort()).toEqual(installed);
    const json = imageSbom({ profile: { name: 'q', digest: '0'.repeat(64), os: 'debian-12' }, image: 'cocca-q.qcow2', target: 'qemu', coccaBake: '0.1.0', builtAt: '2026-11-30T06:00:00.000Z', packages, artifacts: [] });
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json)).toBeNull();
  });
});
