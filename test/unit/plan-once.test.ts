// A build plans once: the planner is counted through the public buildProfile, and what the
// build wrote (Packer's install list) is that one plan's files. Packer is the stand-in of
// test/fixtures/fake-packer (a real Packer build needs a VM; test/e2e does that).
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as components from '../../generator/components/index.js';
import { checkProfile } from '../../generator/check/index.js';
import { buildProfile } from '../../generator/commands/build/index.js';
import { findPacker } from '../../generator/commands/build/packer-cli.js';
import { QEMU_PROFILE } from '../helpers/qemu-profile.js';

vi.mock('../../generator/components/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../generator/components/index.js')>();
  return { ...real, plan: vi.fn(real.plan) };
});

const FAKE = path.resolve('test/fixtures/fake-packer/packer');
let work: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-plan-once-'));
  process.env.FAKE_PACKER_LOG = path.join(work, 'calls.log');
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('the pipeline plans once', () => {
  it('a build plans once and renders, records and counts progress from that plan', async () => {
    const file = path.join(work, 'q.yaml');
    await fs.writeFile(file, QEMU_PROFILE);
    const { profile, os: osm } = checkProfile(file);
    const planner = vi.mocked(components.plan);
    planner.mockClear();

    const record = await buildProfile(profile!, osm!, { buildRoot: work, packer: await findPacker(FAKE), onProgress: () => {} });
    expect(record.result).toBe('ok');
    expect(planner).toHaveBeenCalledTimes(1);
    expect(planner).toHaveBeenCalledWith(profile, osm, { frozen: undefined });

    const planned = planner.mock.results[0]!.value as components.Plan;
    const install = await fs.readFile(path.join(path.dirname(record.log), 'packer', 'files', 'install.sh'), 'utf8');
    const installed = install.split('\n').filter((l) => l.startsWith('install ')).map((l) => l.split(' ').at(-1));
    expect(installed).toEqual(planned.files.map((f) => f.path));
    expect(installed.length).toBeGreaterThan(5);
  });
});
