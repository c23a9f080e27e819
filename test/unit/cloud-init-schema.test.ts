/**
 * Every example profile's user-data against cloud-init's own JSON schema
 * (the draft-04 file cloud-init 22.4 ships), compiled with ajv: the full and
 * the first-boot user-data, the gzip copy, and the `#cloud-config` header.
 * Negative controls prove the validator can say no.
 *
 * Needs the Debian cloud-init package (test/setup/deps.sh) for the schema file.
 */
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { load } from 'js-yaml';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { userData } from '../../generator/emit/cloud-init.js';
import { EC2_USER_DATA_LIMIT } from '../../generator/emit/output.js';
import { plan, STEPS_DIR } from '../../generator/components/index.js';
import { exampleProfiles, outFile, renderInProcess } from '../helpers/outputs.js';

const SCHEMA_FILE = '/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json';

// ajv-draft-04 and ajv-formats are CommonJS with `exports.default`; under NodeNext the
// default import is module.exports, whose `.default` is the class / plugin.
const Ajv04 = AjvDraft04.default;
const addFormats = addFormatsModule.default;

type Validate = ((doc: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
let validate: Validate;

beforeAll(() => {
  if (!existsSync(SCHEMA_FILE)) {
    throw new Error(`cloud-init's JSON schema is missing (${SCHEMA_FILE}): install cloud-init with test/setup/deps.sh`);
  }
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  // strict:false: the schema uses cloud-init's own keywords (deprecated, ...), as §5 of test-tools.md says.
  const ajv = new Ajv04({ strict: false, allErrors: true });
  addFormats(ajv);
  validate = ajv.compile(schema) as Validate;
});

function schemaErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/** Header check plus YAML parse: the document as cloud-init would get it. */
function parseUserData(text: string, what: string): Record<string, unknown> {
  expect(text.split('\n')[0], `${what}: the first line must be exactly #cloud-config`).toBe('#cloud-config');
  expect(text.includes('\r'), `${what}: has a carriage return`).toBe(false);
  const doc = load(text);
  expect(doc !== null && typeof doc === 'object' && !Array.isArray(doc), `${what}: top level is not a mapping`).toBe(true);
  return doc as Record<string, unknown>;
}

describe('negative controls: the schema check can fail', () => {
  it('rejects a deliberately broken cloud-config with the errors cloud-init itself reports', () => {
    const broken = parseUserData(
      [
        '#cloud-config',
        'packages: postgresql',
        'runcmd: notalist',
        'write_files:',
        '  - path: 1',
        '    permissions: 644',
        '    content: x',
        '',
      ].join('\n'),
      'broken',
    );
    const errors = schemaErrors(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        '/packages must be array',
        '/runcmd must be array',
        '/write_files/0/path must be string',
        '/write_files/0/permissions must be string',
      ]),
    );
  });

  it('rejects a rendered user-data once one value in it is broken', () => {
    const [first] = exampleProfiles();
    const files = renderInProcess(first!, 'modern');
    const doc = parseUserData(outFile(files, 'cloud-init/full.yaml').toString('utf8'), 'full.yaml');
    expect(schemaErrors(doc)).toEqual([]);
    const wf = doc.write_files as Record<string, unknown>[];
    wf[0]!.permissions = 644;
    doc.runcmd = [['/usr/local/sbin/cocca-run', 'bake'], false];
    const errors = schemaErrors(doc);
    expect(errors).toContain('/write_files/0/permissions must be string');
    expect(errors.some((e) => e.startsWith('/runcmd/1 '))).toBe(true);
  });

  it('notices a missing #cloud-config header', () => {
    expect(() => parseUserData('preserve_hostname: true\n', 'headerless')).toThrow(/#cloud-config/);
  });
});

describe.each(exampleProfiles().map((p) => [p.name, p] as const))('profile %s', (_name, p) => {
  const files = renderInProcess(p, 'modern');
  // With secrets from user-data, render writes none (it never writes a secret): each instance's
  // comes from `cocca-bake user-data --secrets`, the same emitter with the secret handed in.
  const fromUserData = p.profile.secrets.source === 'user-data';
  const handedIn = (mode: 'full' | 'firstboot') => userData(p.profile, plan(p.profile, p.os), mode, { values: { SOURCE_KEYSTORE_PASSWORD: 'a-secret-for-the-test' } });
  const fullText = fromUserData ? handedIn('full') : outFile(files, 'cloud-init/full.yaml').toString('utf8');
  const firstbootText = fromUserData ? handedIn('firstboot') : outFile(files, 'cloud-init/firstboot.yaml').toString('utf8');

  it(`render writes ${fromUserData ? 'no user-data: its first boot needs a secret only user-data can carry' : "the user-data: first boot's secrets come from a store"}`, () => {
    const written = [...files.keys()].filter((f) => f.startsWith('cloud-init/'));
    expect(written.length > 0).toBe(!fromUserData);
    if (!fromUserData) expect(firstbootText).not.toMatch(/SOURCE_KEYSTORE_PASSWORD/);
  });

  it('full.yaml starts with #cloud-config and passes cloud-init\'s JSON schema', () => {
    const doc = parseUserData(fullText, 'full.yaml');
    expect(schemaErrors(doc), 'schema errors in full.yaml').toEqual([]);
    // The full user-data is the one that installs everything: files, then the bake.
    expect(Array.isArray(doc.write_files) && doc.write_files.length > 1).toBe(true);
    // One command, so first boot never starts after a failed bake (runcmd is run without -e).
    expect(doc.runcmd).toEqual([['sh', '-c', '/usr/local/sbin/cocca-run bake && exec systemctl start cocca-firstboot.service']]);
  });

  it('firstboot.yaml starts with #cloud-config and passes cloud-init\'s JSON schema', () => {
    const doc = parseUserData(firstbootText, 'firstboot.yaml');
    expect(schemaErrors(doc), 'schema errors in firstboot.yaml').toEqual([]);
    // Only this instance's values: no instance files, no bake.
    expect((doc.write_files as { path: string }[]).map((f) => f.path)).toEqual(['/etc/cocca/instance.env']);
    expect(doc.runcmd).toBeUndefined();
  });

  it.skipIf(fromUserData)('full.yaml.gz is there exactly when full.yaml is over 16 KiB, and gunzips to full.yaml', () => {
    const full = outFile(files, 'cloud-init/full.yaml');
    const gz = files.get('cloud-init/full.yaml.gz');
    expect(gz !== undefined, `full.yaml is ${full.length} bytes; .gz present: ${String(gz !== undefined)}`).toBe(full.length > EC2_USER_DATA_LIMIT);
    if (gz) expect(gunzipSync(gz.data).equals(full), 'gunzip(full.yaml.gz) differs from full.yaml').toBe(true);
  });

  it('the full user-data writes exactly the instance files Packer uploads (same paths, modes, bytes), but the seal', () => {
    const doc = parseUserData(fullText, 'full.yaml');
    const written = (doc.write_files as { path: string; permissions: string; content: string; owner: string }[])
      .filter((f) => f.path !== '/etc/cocca/instance.env')
      .map((f) => ({ path: f.path, mode: f.permissions, owner: f.owner, content: f.content }));
    // A full install never seals itself: the seal steps are Packer's only.
    const uploaded = [...files.values()]
      .filter((f) => f.path.startsWith('packer/files/rootfs/') && !f.path.startsWith(`packer/files/rootfs${STEPS_DIR}/seal/`))
      .map((f) => ({
        path: f.path.slice('packer/files/rootfs'.length),
        mode: `0${(f.mode & 0o777).toString(8)}`,
        owner: 'root:root',
        content: f.data.toString('utf8'),
      }));
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    expect(written.sort(byPath)).toEqual(uploaded.sort(byPath));
  });
});
