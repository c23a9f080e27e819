// The base image, a profile's images per region, and waiting for an image: with
// aws-sdk-client-mock, one mocked client instance per region.
import { DescribeImagesCommand, DescribeRegionsCommand, EC2Client, EC2ServiceException, type DescribeImagesCommandInput, type Image } from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveBaseImage } from '../../generator/aws/base-image.js';
import { type Ec2Factory } from '../../generator/aws/client.js';
import { formatImages, listImages, targetRegions, waitForImage } from '../../generator/aws/images.js';
import { checkRegions } from '../../generator/aws/regions.js';

type Mock = AwsClientStub<EC2Client>;
const restore: Array<() => void> = [];
afterEach(() => {
  for (const r of restore.splice(0)) r();
});

/** One real client per region, each with its own mock. */
function regions(...names: string[]): { factory: Ec2Factory; mocks: Record<string, Mock>; clients: Record<string, EC2Client> } {
  const clients: Record<string, EC2Client> = {};
  const mocks: Record<string, Mock> = {};
  for (const name of names) {
    clients[name] = new EC2Client({ region: name, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } });
    const m: Mock = mockClient(clients[name]);
    mocks[name] = m;
    restore.push(() => m.restore());
  }
  return {
    clients,
    mocks,
    factory: (region) => {
      const c = clients[region];
      if (!c) throw new Error(`test asked for an unexpected region ${region}`);
      return c;
    },
  };
}

const awsError = (name: string, message: string) => new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 1 }, message });

/**
 * Answers like EC2 does: the page a NextToken names. (The SDK's paginators reuse one input
 * object, so recorded call inputs all show the last token; `tokens` records each as sent.)
 */
function paged<T extends object>(pages: T[], tokens: Array<string | undefined> = []) {
  return (input: { NextToken?: string }) => {
    tokens.push(input.NextToken);
    const i = input.NextToken === undefined ? 0 : Number(input.NextToken.replace(/^p/, ''));
    const page = pages[i];
    if (!page) throw new Error(`no page for token ${input.NextToken}`);
    return { ...page, ...(i + 1 < pages.length ? { NextToken: `p${i + 1}` } : {}) };
  };
}

const img = (id: string, date: string, extra: Partial<Image> = {}): Image => ({ ImageId: id, Name: `cocca-za-${id}`, State: 'available', CreationDate: date, ...extra });

const JAMMY = { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' };

describe('resolveBaseImage', () => {
  it('reads every page and picks the most recent by creation date, not by page or name order', async () => {
    const { factory, mocks } = regions('af-south-1');
    const m = mocks['af-south-1']!;
    const tokens: Array<string | undefined> = [];
    m.on(DescribeImagesCommand).callsFake(
      paged(
        [
          { Images: [img('ami-01', '2024-01-10T10:00:00.000Z'), img('ami-09', '2023-12-01T00:00:00.000Z')] },
          { Images: [img('ami-05', '2024-03-02T08:00:00.000Z')] },
          { Images: [img('ami-02', '2024-02-29T23:59:59.000Z')] },
        ],
        tokens,
      ),
    );
    const base = await resolveBaseImage(factory('af-south-1'), JAMMY);
    expect(base).toEqual({ imageId: 'ami-05', name: 'cocca-za-ami-05', creationDate: '2024-03-02T08:00:00.000Z', owner: '099720109477', region: 'af-south-1' });
    const calls = m.commandCalls(DescribeImagesCommand);
    expect(calls).toHaveLength(3);
    expect(tokens).toEqual([undefined, 'p1', 'p2']);
    const input = calls[0]!.args[0].input;
    expect(input.Owners).toEqual(['099720109477']);
    expect(Object.fromEntries((input.Filters ?? []).map((f) => [f.Name, f.Values]))).toEqual({
      name: [JAMMY.namePattern],
      state: ['available'],
      architecture: ['x86_64'],
      'root-device-type': ['ebs'],
      'virtualization-type': ['hvm'],
    });
  });

  it('fails clearly when nothing matches', async () => {
    const { factory, mocks } = regions('af-south-1');
    mocks['af-south-1']!.on(DescribeImagesCommand).resolves({ Images: [] });
    await expect(resolveBaseImage(factory('af-south-1'), JAMMY)).rejects.toThrow(
      'no available x86_64 EBS/HVM image owned by 099720109477 matches "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*" in af-south-1',
    );
  });

  it('does not pick an image EC2 returned in another state', async () => {
    const { factory, mocks } = regions('af-south-1');
    mocks['af-south-1']!.on(DescribeImagesCommand).resolves({ Images: [img('ami-07', '2025-01-01T00:00:00.000Z', { State: 'pending' }), img('ami-06', '2024-01-01T00:00:00.000Z')] });
    expect((await resolveBaseImage(factory('af-south-1'), JAMMY)).imageId).toBe('ami-06');
  });
});

describe('listImages (cocca-bake images)', () => {
  const tagged = (id: string, date: string, extra: Partial<Image> = {}) =>
    img(id, date, {
      Tags: [
        { Key: 'cocca-bake:profile', Value: 'za-registry' },
        { Key: 'cocca-bake:version', Value: '0.1.0' },
      ],
      BlockDeviceMappings: [
        { DeviceName: '/dev/sda1', Ebs: { SnapshotId: `snap-${id.slice(4)}`, Encrypted: true } },
        { DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' },
      ],
      ...extra,
    });

  it('lists every page of every region, newest first, with state, snapshots and tags, asking only for this profile', async () => {
    const { factory, mocks } = regions('af-south-1', 'eu-west-1');
    const tokens: Array<string | undefined> = [];
    mocks['af-south-1']!.on(DescribeImagesCommand).callsFake(
      paged(
        [
          { Images: [tagged('ami-0a1', '2024-01-01T00:00:00.000Z')] },
          { Images: [tagged('ami-0a3', '2024-03-01T00:00:00.000Z', { State: 'pending' })] },
          { Images: [tagged('ami-0a2', '2024-02-01T00:00:00.000Z')] },
        ],
        tokens,
      ),
    );
    mocks['eu-west-1']!.on(DescribeImagesCommand).resolves({ Images: [tagged('ami-0e1', '2024-01-02T00:00:00.000Z')] });
    const listing = await listImages(factory, ['af-south-1', 'eu-west-1'], 'za-registry');
    expect(listing.map((r) => r.region)).toEqual(['af-south-1', 'eu-west-1']);
    const af = listing[0]!;
    expect(af.ok).toBe(true);
    if (!af.ok) return;
    expect(af.images.map((i) => [i.imageId, i.state])).toEqual([
      ['ami-0a3', 'pending'],
      ['ami-0a2', 'available'],
      ['ami-0a1', 'available'],
    ]);
    expect(af.images[1]).toMatchObject({ region: 'af-south-1', snapshotIds: ['snap-0a2'], encrypted: true, public: false, tags: { 'cocca-bake:profile': 'za-registry', 'cocca-bake:version': '0.1.0' } });
    const input: DescribeImagesCommandInput = mocks['af-south-1']!.commandCalls(DescribeImagesCommand)[0]!.args[0].input;
    expect(input.Owners).toEqual(['self']);
    expect(input.Filters).toEqual([{ Name: 'tag:cocca-bake:profile', Values: ['za-registry'] }]);
    expect(tokens).toEqual([undefined, 'p1', 'p2']);
  });

  it('reports a failing region and still lists the others', async () => {
    const { factory, mocks } = regions('af-south-1', 'eu-west-1', 'us-east-1');
    mocks['af-south-1']!.on(DescribeImagesCommand).resolves({ Images: [tagged('ami-0a1', '2024-01-01T00:00:00.000Z')] });
    mocks['eu-west-1']!.on(DescribeImagesCommand).rejects(awsError('AuthFailure', 'AWS was not able to validate the provided access credentials'));
    mocks['us-east-1']!.on(DescribeImagesCommand).resolves({ Images: [] });
    const listing = await listImages(factory, ['af-south-1', 'eu-west-1', 'us-east-1'], 'za-registry');
    expect(listing.map((r) => [r.region, r.ok])).toEqual([
      ['af-south-1', true],
      ['eu-west-1', false],
      ['us-east-1', true],
    ]);
    expect(listing[1]).toEqual({ region: 'eu-west-1', ok: false, error: 'listing the images of profile za-registry in eu-west-1: AuthFailure: AWS was not able to validate the provided access credentials' });
    const text = formatImages('za-registry', listing);
    expect(text).toContain('af-south-1: 1 image of profile za-registry\n  ami-0a1  available  2024-01-01T00:00:00.000Z  cocca-za-ami-0a1  [encrypted, cocca-bake 0.1.0]');
    expect(text).toContain('eu-west-1: ERROR listing the images');
    expect(text).toContain('us-east-1: 0 images of profile za-registry');
  });

  it('targetRegions: the build region first, then the copies, once each', () => {
    expect(targetRegions({ region: 'af-south-1', copyTo: ['eu-west-1', 'af-south-1', 'us-east-1'] })).toEqual(['af-south-1', 'eu-west-1', 'us-east-1']);
  });
});

describe('waitForImage', () => {
  const sleeps: number[] = [];
  const fast = { minDelay: 1, maxDelay: 4, timeout: 30, sleep: async (ms: number) => void sleeps.push(ms) };
  afterEach(() => void sleeps.splice(0));

  it('waits out "not found yet" and pending, with growing delays, until available', async () => {
    const { factory, mocks } = regions('eu-west-1');
    mocks['eu-west-1']!.on(DescribeImagesCommand)
      .rejectsOnce(awsError('InvalidAMIID.NotFound', "The image id '[ami-0c1]' does not exist"))
      .resolvesOnce({ Images: [img('ami-0c1', '2024-01-01T00:00:00.000Z', { State: 'pending' })] })
      .resolvesOnce({ Images: [img('ami-0c1', '2024-01-01T00:00:00.000Z', { State: 'pending' })] })
      .resolves({ Images: [img('ami-0c1', '2024-01-01T00:00:00.000Z')] });
    const image = await waitForImage(factory('eu-west-1'), 'eu-west-1', 'ami-0c1', fast);
    expect(image.state).toBe('available');
    expect(sleeps).toEqual([1000, 1500, 2250]);
  });

  it('stops at once when the image failed, with EC2 reason', async () => {
    const { factory, mocks } = regions('eu-west-1');
    mocks['eu-west-1']!.on(DescribeImagesCommand).resolves({ Images: [img('ami-0c1', '2024-01-01T00:00:00.000Z', { State: 'failed', StateReason: { Code: 'Client.KmsKeyNotFound', Message: 'Client.KmsKeyNotFound: the KMS key does not exist' } })] });
    await expect(waitForImage(factory('eu-west-1'), 'eu-west-1', 'ami-0c1', fast)).rejects.toThrow('image ami-0c1 in eu-west-1 is failed: Client.KmsKeyNotFound: the KMS key does not exist');
    expect(sleeps).toEqual([]);
  });

  it('stops at once on an error that waiting will not cure', async () => {
    const { factory, mocks } = regions('eu-west-1');
    mocks['eu-west-1']!.on(DescribeImagesCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    await expect(waitForImage(factory('eu-west-1'), 'eu-west-1', 'ami-0c1', fast)).rejects.toThrow('DescribeImages ami-0c1 in eu-west-1: UnauthorizedOperation');
    expect(sleeps).toEqual([]);
  });

  it('gives up after the timeout, saying the state it saw', async () => {
    const { factory, mocks } = regions('eu-west-1');
    mocks['eu-west-1']!.on(DescribeImagesCommand).resolves({ Images: [img('ami-0c1', '2024-01-01T00:00:00.000Z', { State: 'pending' })] });
    await expect(waitForImage(factory('eu-west-1'), 'eu-west-1', 'ami-0c1', { ...fast, timeout: 10 })).rejects.toThrow('image ami-0c1 in eu-west-1 is still pending after 8 s');
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
  });
});

describe('checkRegions', () => {
  it('flags an opt-in region that is not enabled and an unknown one', async () => {
    const { clients, mocks } = regions('af-south-1');
    mocks['af-south-1']!.on(DescribeRegionsCommand, { AllRegions: true }).resolves({
      Regions: [
        { RegionName: 'af-south-1', OptInStatus: 'opted-in' },
        { RegionName: 'me-south-1', OptInStatus: 'not-opted-in' },
        { RegionName: 'eu-west-1', OptInStatus: 'opt-in-not-required' },
      ],
    });
    const problems = await checkRegions(clients['af-south-1']!, ['af-south-1', 'eu-west-1', 'me-south-1', 'xx-nowhere-1']);
    expect(problems.map((p) => p.region)).toEqual(['me-south-1', 'xx-nowhere-1']);
    expect(problems[0]!.problem).toContain('opt-in region not enabled');
  });
});
