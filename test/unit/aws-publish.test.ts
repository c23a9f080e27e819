// finishImage, copyToRegions, publishImage against a small in-memory EC2 per region, wired
// through aws-sdk-client-mock (test/helpers/ec2-fake.ts).
import { CreateTagsCommand, ModifyImageAttributeCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { WaitOptions } from '../../generator/aws/client.js';
import { copyKmsKeys, kmsKeyForRegion } from '../../generator/profile/kms.js';
import { copyToRegions, copyToken, finishImage, formatPublish, publishImage, type CopyInput } from '../../generator/aws/publish.js';
import type { AwsTarget } from '../../generator/profile/types.js';
import { awsError, events, permText, world } from '../helpers/ec2-fake.js';

const fast: WaitOptions = { minDelay: 1, maxDelay: 2, timeout: 60, sleep: async () => {} };
const DIGEST = 'sha256:abc';
const T0 = '2024-05-01T12:00:00.000Z';
const at = { startedAt: T0, finishedAt: T0 };
const TAGS = { 'cocca-bake:profile': 'za-registry', 'cocca-bake:role': 'registry', 'cocca-bake:version': '0.1.0', 'cocca-bake:build-record': 'sha256:abc' };
const A = '111111111111';
const B = '222222222222';
const MRK = 'arn:aws:kms:af-south-1:123456789012:key/mrk-1234abcd';

function target(over: Partial<AwsTarget> = {}): AwsTarget {
  return { region: 'af-south-1', instanceType: 't3.xlarge', volumeSizeGiB: 150, volumeType: 'gp3', copyTo: [], shareWith: [], public: false, keep: 3, ...over };
}

describe('finishImage', () => {
  it('makes the launch permissions exactly the profile accounts: strangers and the public group removed first', async () => {
    const { factory, r } = world('af-south-1');
    const af = r['af-south-1']!;
    af.add({ id: 'ami-0src', perms: [{ UserId: '999999999999' }, { Group: 'all' }, { UserId: A }, { OrganizationArn: 'arn:aws:organizations::1:organization/o-x' }] });
    const done = await finishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: { shareWith: [A, B], public: false }, tags: TAGS, wait: fast });
    expect(af.images.get('ami-0src')!.perms.map(permText).sort()).toEqual([`account ${A}`, `account ${B}`]);
    expect(done.permissions).toEqual({ removed: ['account 999999999999', 'group all', 'organization arn:aws:organizations::1:organization/o-x'], added: [`account ${B}`] });
    const order = events.filter((e) => / (add|remove) /.test(e));
    expect(order).toEqual(['af-south-1 remove account 999999999999', 'af-south-1 remove group all', 'af-south-1 remove org arn:aws:organizations::1:organization/o-x', `af-south-1 add account ${B}`]);
    expect(done.warnings).toEqual([]);
    expect(done.public).toBe(false);
  });

  it('sets IMDSv2 when Packer did not, and tags the image and its snapshots with the build tags', async () => {
    const { factory, r } = world('af-south-1');
    const af = r['af-south-1']!;
    af.add({ id: 'ami-0src', snapshots: ['snap-root', 'snap-data'] });
    const done = await finishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: { shareWith: [], public: false }, tags: TAGS, wait: fast });
    expect(done.imdsSet).toBe(true);
    expect(af.images.get('ami-0src')!.imds).toBe('v2.0');
    expect(af.images.get('ami-0src')!.tags).toEqual(TAGS);
    expect(af.snapshotTags.get('snap-root')).toEqual(TAGS);
    expect(af.snapshotTags.get('snap-data')).toEqual(TAGS);
    expect(done.snapshotIds).toEqual(['snap-root', 'snap-data']);
  });

  it('changes nothing that is already right', async () => {
    const { factory, r } = world('af-south-1');
    const af = r['af-south-1']!;
    af.add({ id: 'ami-0src', perms: [{ UserId: A }], imds: 'v2.0' });
    const done = await finishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: { shareWith: [A], public: false }, tags: TAGS, wait: fast });
    expect(af.mock.commandCalls(ModifyImageAttributeCommand)).toHaveLength(0);
    expect(done).toMatchObject({ imdsSet: false, permissions: { added: [], removed: [] } });
  });

  it('makes the image public only when asked, and warns', async () => {
    const { factory, r } = world('af-south-1');
    const af = r['af-south-1']!;
    af.add({ id: 'ami-0src', encrypted: false });
    const done = await finishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: { shareWith: [A], public: true }, tags: TAGS, wait: fast });
    expect(af.images.get('ami-0src')!.perms.map(permText).sort()).toEqual([`account ${A}`, 'group all']);
    expect(done.warnings).toEqual(['image ami-0src in af-south-1 is PUBLIC: any AWS account can launch your registry image (targets.aws.public is true)']);
  });

  it('refuses a private image with unencrypted snapshots before sharing or tagging anything', async () => {
    const { factory, r } = world('af-south-1');
    const af = r['af-south-1']!;
    af.add({ id: 'ami-0src', encrypted: false, perms: [{ Group: 'all' }] });
    await expect(finishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: { shareWith: [A], public: false }, tags: TAGS, wait: fast })).rejects.toThrow(
      'image ami-0src in af-south-1 has unencrypted snapshots (snap-0src): a private cocca-bake image must be encrypted; not publishing it',
    );
    expect(af.mock.commandCalls(ModifyImageAttributeCommand)).toHaveLength(0);
    expect(af.mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it('refuses to publish an encrypted image, which AWS cannot make public', async () => {
    const { factory, r } = world('af-south-1');
    r['af-south-1']!.add({ id: 'ami-0src', encrypted: true });
    await expect(finishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: { shareWith: [], public: true }, tags: TAGS, wait: fast })).rejects.toThrow('is encrypted, and AWS cannot make an image with encrypted snapshots public');
  });

  it('waits for a pending image, and a failed one is an error, never finished', async () => {
    const { factory, r } = world('af-south-1');
    const af = r['af-south-1']!;
    af.add({ id: 'ami-0ok', state: 'pending', pollsLeft: 3 });
    af.add({ id: 'ami-0bad', state: 'pending', pollsLeft: 1, endState: 'failed' });
    expect((await finishImage(factory, { region: 'af-south-1', imageId: 'ami-0ok', target: { shareWith: [], public: false }, tags: TAGS, wait: fast })).imageId).toBe('ami-0ok');
    await expect(finishImage(factory, { region: 'af-south-1', imageId: 'ami-0bad', target: { shareWith: [], public: false }, tags: TAGS, wait: fast })).rejects.toThrow('image ami-0bad in af-south-1 is failed: Copy failed');
    expect(af.images.get('ami-0bad')!.tags).toEqual({});
  });
});

describe('kmsKeyForRegion and copyToken', () => {
  it('moves a multi-Region key ARN to the region; a single-region key has no counterpart', () => {
    expect(kmsKeyForRegion(MRK, 'eu-west-1')).toBe('arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd');
    expect(kmsKeyForRegion('mrk-1234abcd', 'eu-west-1')).toBe('mrk-1234abcd');
    expect(kmsKeyForRegion('arn:aws:kms:af-south-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'eu-west-1')).toBeUndefined();
    expect(kmsKeyForRegion('alias/cocca', 'eu-west-1')).toBeUndefined();
    expect(kmsKeyForRegion(undefined, 'eu-west-1')).toBeUndefined();
  });

  it("takes the profile's key for a region first, else the multi-Region key's replica, else none", () => {
    const keys = copyKmsKeys({ copyTo: ['eu-west-1', 'us-east-1', 'ap-south-1'], kmsKeyId: MRK, copyKmsKeyIds: { 'us-east-1': 'arn:aws:kms:us-east-1:123456789012:key/own-us' } });
    expect(keys).toEqual({ 'eu-west-1': 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd', 'us-east-1': 'arn:aws:kms:us-east-1:123456789012:key/own-us', 'ap-south-1': 'arn:aws:kms:ap-south-1:123456789012:key/mrk-1234abcd' });
    expect(copyKmsKeys({ copyTo: ['eu-west-1', 'us-east-1'], kmsKeyId: 'alias/cocca', copyKmsKeyIds: { 'eu-west-1': 'alias/cocca-eu' } })).toEqual({ 'eu-west-1': 'alias/cocca-eu' });
  });

  it('gives the same token for the same source, region and record, another for another region, record or after a replaced copy', () => {
    const t = copyToken('ami-0src', 'eu-west-1', DIGEST);
    expect(copyToken('ami-0src', 'eu-west-1', DIGEST)).toBe(t);
    expect(copyToken('ami-0src', 'us-east-1', DIGEST)).not.toBe(t);
    expect(copyToken('ami-0other', 'eu-west-1', DIGEST)).not.toBe(t);
    expect(copyToken('ami-0src', 'eu-west-1', 'sha256:other')).not.toBe(t);
    expect(copyToken('ami-0src', 'eu-west-1', DIGEST, ['ami-0failed'])).not.toBe(t);
    expect(t.length).toBeLessThanOrEqual(64);
  });
});

function copyInput(over: Partial<CopyInput> = {}): CopyInput {
  return { sourceRegion: 'af-south-1', imageId: 'ami-0src', name: 'cocca-za-20240501', regions: ['eu-west-1', 'us-east-1'], encrypted: true, kmsKeyIds: { 'eu-west-1': 'kms-eu', 'us-east-1': 'kms-us' }, tags: TAGS, recordDigest: DIGEST, shareWith: [A], public: false, wait: fast, now: () => new Date(T0), ...over };
}

describe('copyToRegions', () => {
  it('copies to every region at once: encrypted with that region key, idempotent token, tagged at creation, then shared and tagged', async () => {
    const { factory, r } = world('eu-west-1', 'us-east-1');
    const results = await copyToRegions(factory, copyInput());
    expect(results).toEqual([
      { region: 'eu-west-1', ok: true, imageId: 'ami-euwest11', warnings: [], ...at },
      { region: 'us-east-1', ok: true, imageId: 'ami-useast11', warnings: [], ...at },
    ]);
    for (const [region, key] of [['eu-west-1', 'kms-eu'], ['us-east-1', 'kms-us']] as const) {
      const fr = r[region]!;
      const [input, ...more] = fr.copies();
      expect(more).toEqual([]);
      expect(input).toMatchObject({ SourceImageId: 'ami-0src', SourceRegion: 'af-south-1', Name: 'cocca-za-20240501', Encrypted: true, KmsKeyId: key, ClientToken: copyToken('ami-0src', region, DIGEST) });
      const copy = fr.live()[0]!;
      const expected = { ...TAGS, 'cocca-bake:source-image': 'ami-0src', 'cocca-bake:source-region': 'af-south-1' };
      expect(copy.tags).toEqual(expected);
      expect(fr.snapshotTags.get(copy.snapshots[0]!)).toEqual(expected);
      expect(input!.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['image', 'snapshot']);
      expect(copy.perms).toEqual([{ UserId: A }]);
      expect(copy.imds).toBe('v2.0');
      expect(copy.state).toBe('available');
    }
    // In parallel: the second region had started its copy before the first one was done.
    expect(events.indexOf('us-east-1 CopyImage')).toBeLessThan(events.findIndex((e) => e.startsWith('eu-west-1 CreateTags')));
  });

  it('one region failing does not fail or hide the others, and is reported with its error', async () => {
    const { factory, r } = world('eu-west-1', 'us-east-1', 'ap-south-1');
    r['us-east-1']!.copyError = awsError('InvalidParameterValue', 'Invalid KMS key kms-us');
    const results = await copyToRegions(factory, copyInput({ regions: ['eu-west-1', 'us-east-1', 'ap-south-1'], kmsKeyIds: { 'eu-west-1': 'k1', 'us-east-1': 'k2', 'ap-south-1': 'k3' } }));
    expect(results.map((c) => [c.region, c.ok])).toEqual([
      ['eu-west-1', true],
      ['us-east-1', false],
      ['ap-south-1', true],
    ]);
    expect(results[1]!.error).toBe('CopyImage ami-0src from af-south-1 in us-east-1: InvalidParameterValue: Invalid KMS key kms-us');
    expect(r['ap-south-1']!.live()[0]!.perms).toEqual([{ UserId: A }]);
  });

  it('a copy that ends failed is reported with its id, not as good, and is not shared', async () => {
    const { factory, r } = world('eu-west-1', 'us-east-1');
    r['eu-west-1']!.copyEnds = 'failed';
    const results = await copyToRegions(factory, copyInput());
    expect(results[0]).toEqual({ region: 'eu-west-1', ok: false, imageId: 'ami-euwest11', error: 'image ami-euwest11 in eu-west-1 is failed: Copy failed: snapshot copy error', warnings: [], ...at });
    expect(r['eu-west-1']!.images.get('ami-euwest11')!.perms).toEqual([]);
    expect(results[1]!.ok).toBe(true);
  });

  it('a re-run after a partial failure reuses the good copy and replaces the failed one', async () => {
    const { factory, r } = world('eu-west-1', 'us-east-1');
    r['eu-west-1']!.copyEnds = 'failed';
    const first = await copyToRegions(factory, copyInput());
    expect(first.map((c) => c.ok)).toEqual([false, true]);

    r['eu-west-1']!.copyEnds = 'available';
    const second = await copyToRegions(factory, copyInput());
    expect(second.map((c) => c.ok)).toEqual([true, true]);
    // us-east-1: the first run's copy, no second CopyImage.
    expect(r['us-east-1']!.copies()).toHaveLength(1);
    expect(second[1]).toMatchObject({ imageId: first[1]!.imageId, reused: 'available' });
    // eu-west-1: the failed copy deregistered (its snapshot deleted) before a new copy, with a new token.
    const eu = r['eu-west-1']!;
    expect(eu.copies()).toHaveLength(2);
    expect(second[0]).toMatchObject({ imageId: 'ami-euwest12', replaced: ['ami-euwest11'] });
    expect(eu.images.get('ami-euwest11')!.state).toBe('deregistered');
    expect(eu.deletedSnapshots).toEqual(['snap-euwest11']);
    expect(events.indexOf('eu-west-1 DeregisterImage ami-euwest11')).toBeLessThan(events.lastIndexOf('eu-west-1 CopyImage'));
    expect(eu.copies()[1]!.ClientToken).toBe(copyToken('ami-0src', 'eu-west-1', DIGEST, ['ami-euwest11']));
    expect(eu.live().map((i) => i.id)).toEqual(['ami-euwest12']);
  });

  it('a re-run after a timed-out wait picks up the pending copy instead of starting another', async () => {
    const { factory, r } = world('eu-west-1');
    r['eu-west-1']!.copyPolls = 50;
    const first = await copyToRegions(factory, copyInput({ regions: ['eu-west-1'], wait: { ...fast, timeout: 5 } }));
    expect(first[0]).toMatchObject({ ok: false, imageId: 'ami-euwest11' });
    expect(first[0]!.error).toContain('still pending');
    const second = await copyToRegions(factory, copyInput({ regions: ['eu-west-1'], wait: { ...fast, timeout: 1000 } }));
    expect(second[0]).toMatchObject({ ok: true, imageId: 'ami-euwest11', reused: 'pending' });
    expect(r['eu-west-1']!.copies()).toHaveLength(1);
  });

  it('an earlier copy neither usable nor failed (disabled) stops that region: nothing deregistered, no new copy', async () => {
    const { factory, r } = world('eu-west-1');
    const eu = r['eu-west-1']!;
    eu.add({ id: 'ami-0old', state: 'disabled', tags: { 'cocca-bake:source-image': 'ami-0src', 'cocca-bake:build-record': DIGEST } });
    const results = await copyToRegions(factory, copyInput({ regions: ['eu-west-1'] }));
    expect(results[0]).toMatchObject({ ok: false, error: 'an earlier copy ami-0old of ami-0src in eu-west-1 is disabled: neither usable nor failed; enable or deregister it, then run again' });
    expect(eu.copies()).toHaveLength(0);
    expect(eu.images.get('ami-0old')!.state).toBe('disabled');
  });

  it('an encrypted copy shared with accounts needs a key in that region: that region fails before copying', async () => {
    const { factory, r } = world('eu-west-1', 'us-east-1');
    const results = await copyToRegions(factory, copyInput({ kmsKeyIds: { 'eu-west-1': 'k1' } }));
    expect(results[0]!.ok).toBe(true);
    expect(results[1]).toMatchObject({ ok: false });
    expect(results[1]!.error).toContain('an encrypted copy in us-east-1 shared with other accounts needs a customer-managed KMS key there');
    expect(r['us-east-1']!.copies()).toHaveLength(0);
  });

  it('an unshared encrypted copy without a key uses the region default key', async () => {
    const { factory, r } = world('eu-west-1');
    const results = await copyToRegions(factory, copyInput({ regions: ['eu-west-1'], kmsKeyIds: {}, shareWith: [] }));
    expect(results[0]!.ok).toBe(true);
    expect(r['eu-west-1']!.copies()[0]).toMatchObject({ Encrypted: true });
    expect(r['eu-west-1']!.copies()[0]!.KmsKeyId).toBeUndefined();
  });

  it('a name already taken in the region (say, by a Packer ami_regions copy) is reported', async () => {
    const { factory, r } = world('eu-west-1');
    r['eu-west-1']!.add({ id: 'ami-0packer', name: 'cocca-za-20240501' });
    const results = await copyToRegions(factory, copyInput({ regions: ['eu-west-1'] }));
    expect(results[0]!.error).toContain('InvalidAMIName.Duplicate');
  });

  it('leaves out the source region', async () => {
    const { factory, r } = world('eu-west-1');
    const results = await copyToRegions(factory, copyInput({ regions: ['af-south-1', 'eu-west-1'] }));
    expect(results.map((c) => c.region)).toEqual(['eu-west-1']);
    expect(r['eu-west-1']!.copies()).toHaveLength(1);
  });
});

describe('publishImage', () => {
  it('finishes the build region, copies with the multi-Region key, and is not ok when one region failed', async () => {
    const { factory, r } = world('af-south-1', 'eu-west-1', 'us-east-1');
    r['af-south-1']!.add({ id: 'ami-0src', name: 'cocca-za-20240501' });
    r['us-east-1']!.copyError = awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.');
    const result = await publishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: target({ copyTo: ['eu-west-1', 'us-east-1'], shareWith: [A], kmsKeyId: MRK }), tags: TAGS, recordDigest: DIGEST, wait: fast });
    expect(result.ok).toBe(false);
    expect(result.source.imageId).toBe('ami-0src');
    expect(r['eu-west-1']!.copies()[0]!.KmsKeyId).toBe('arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd');
    expect(formatPublish(result)).toBe(
      [
        'af-south-1: ami-0src ok (build region)',
        'eu-west-1: ami-euwest11 ok',
        'us-east-1: FAILED: CopyImage ami-0src from af-south-1 in us-east-1: UnauthorizedOperation: You are not authorized to perform this operation.',
        '1 of 3 regions failed',
        '',
      ].join('\n'),
    );
  });

  it('public: unencrypted copies, the public group everywhere, and a warning per region', async () => {
    const { factory, r } = world('af-south-1', 'eu-west-1');
    r['af-south-1']!.add({ id: 'ami-0src', encrypted: false });
    const result = await publishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: target({ copyTo: ['eu-west-1'], public: true }), tags: TAGS, recordDigest: DIGEST, wait: fast });
    expect(result.ok).toBe(true);
    expect(r['eu-west-1']!.copies()[0]!.Encrypted).toBeUndefined();
    expect(r['eu-west-1']!.live()[0]!.perms).toEqual([{ Group: 'all' }]);
    expect(result.warnings).toHaveLength(2);
    expect(formatPublish(result)).toContain('all regions ok');
  });

  it('a build-region failure throws before any copy', async () => {
    const { factory, r } = world('af-south-1', 'eu-west-1');
    r['af-south-1']!.add({ id: 'ami-0src', state: 'failed' });
    await expect(publishImage(factory, { region: 'af-south-1', imageId: 'ami-0src', target: target({ copyTo: ['eu-west-1'] }), tags: TAGS, recordDigest: DIGEST, wait: fast })).rejects.toThrow('image ami-0src in af-south-1 is failed');
    expect(r['eu-west-1']!.copies()).toHaveLength(0);
  });
});
