// keep: N. The plan is pure and tested as such; applyRetention is tested against mocked
// clients for what it asks (every page of instances and launch template versions) and what
// it deletes (only the plan's images, their snapshots only after deregistration).
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  EC2ServiceException,
  type DescribeInstancesCommandInput,
  type DescribeLaunchTemplateVersionsCommandInput,
  type Image,
  type Instance,
  type LaunchTemplateVersion,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageInfo } from '../../generator/aws/images.js';
import { applyRetention, applyRetentionInRegions, formatRetention, planRetention } from '../../generator/aws/retention.js';

const restore: Array<() => void> = [];
afterEach(() => {
  for (const r of restore.splice(0)) r();
});

const awsError = (name: string, message: string) => new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 1 }, message });

const info = (id: string, day: number, state = 'available'): ImageInfo => ({
  region: 'af-south-1',
  imageId: id,
  name: `cocca-za-${id}`,
  state,
  creationDate: `2024-05-${String(day).padStart(2, '0')}T10:00:00.000Z`,
  tags: { 'cocca-bake:profile': 'za-registry' },
  snapshotIds: [`snap-${id.slice(4)}`],
  encrypted: true,
  public: false,
});

const decided = (plan: ReturnType<typeof planRetention>) => Object.fromEntries(plan.map((d) => [d.image.imageId, d.action]));

describe('planRetention', () => {
  const five = [info('ami-03', 3), info('ami-05', 5), info('ami-01', 1), info('ami-04', 4), info('ami-02', 2)];

  it('keeps the N newest, whatever order EC2 listed them in, and deletes the rest', () => {
    const plan = planRetention(five, 2, new Map());
    expect(plan.map((d) => d.image.imageId)).toEqual(['ami-05', 'ami-04', 'ami-03', 'ami-02', 'ami-01']);
    expect(decided(plan)).toEqual({ 'ami-05': 'keep', 'ami-04': 'keep', 'ami-03': 'delete', 'ami-02': 'delete', 'ami-01': 'delete' });
    expect(plan[0]!.reasons).toEqual(['one of the 2 newest']);
    expect(plan[2]!.reasons).toEqual(['older than the 2 newest']);
  });

  it('keeps an older image in use, with what uses it, on top of the N newest', () => {
    const plan = planRetention(five, 2, new Map([['ami-01', ['instance i-0abc (stopped)', 'launch template web (lt-1) version 3']]]));
    expect(decided(plan)).toEqual({ 'ami-05': 'keep', 'ami-04': 'keep', 'ami-03': 'delete', 'ami-02': 'delete', 'ami-01': 'keep' });
    expect(plan.find((d) => d.image.imageId === 'ami-01')!.reasons).toEqual(['in use by instance i-0abc (stopped)', 'in use by launch template web (lt-1) version 3']);
  });

  it('never deletes a protected (just built) image, even when it is not among the newest', () => {
    const plan = planRetention(five, 1, new Map(), { protect: new Set(['ami-02']) });
    expect(decided(plan)).toMatchObject({ 'ami-05': 'keep', 'ami-02': 'keep', 'ami-04': 'delete' });
    expect(plan.find((d) => d.image.imageId === 'ami-02')!.reasons).toEqual(['just built']);
  });

  it('counts only available (or disabled) images toward N; pending stays, failed goes', () => {
    const plan = planRetention([info('ami-09', 9, 'failed'), info('ami-08', 8, 'pending'), info('ami-07', 7), info('ami-06', 6), info('ami-05', 5, 'deregistered')], 2, new Map());
    expect(decided(plan)).toEqual({ 'ami-09': 'delete', 'ami-08': 'keep', 'ami-07': 'keep', 'ami-06': 'keep' });
    expect(plan[0]!.reasons).toEqual(['failed']);
    expect(plan[1]!.reasons).toEqual(['still pending']);
  });

  it('deletes nothing when blocked', () => {
    const plan = planRetention(five, 1, new Map(), { blocked: ['unknown launch template image'] });
    expect(plan.every((d) => d.action === 'keep')).toBe(true);
    expect(plan[4]!.reasons).toEqual(['not deleted: unknown launch template image']);
  });

  it('refuses keep below 1', () => {
    expect(() => planRetention(five, 0, new Map())).toThrow('keep must be a whole number of at least 1');
  });
});

/** EC2 in one region for retention: images of the profile, instances and launch templates, in pages. */
function fakeRegion(region: string, opts: { images: Image[]; instancePages?: Instance[][]; templates?: Array<{ id: string; name: string; latest: number; versionPages: LaunchTemplateVersion[][] }> }) {
  const client = new EC2Client({ region, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } });
  const mock: AwsClientStub<EC2Client> = mockClient(client);
  restore.push(() => mock.restore());
  const log: string[] = [];
  const instanceTokens: Array<string | undefined> = [];
  const versionTokens: Array<string | undefined> = [];
  const instanceFilters: DescribeInstancesCommandInput['Filters'][] = [];
  mock.on(DescribeImagesCommand).callsFake(() => ({ Images: opts.images }));
  mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    instanceTokens.push(input.NextToken);
    instanceFilters.push(structuredClone(input.Filters));
    const pages = opts.instancePages ?? [[]];
    const i = input.NextToken ? Number(input.NextToken.slice(1)) : 0;
    return { Reservations: [{ Instances: pages[i] }], ...(i + 1 < pages.length ? { NextToken: `i${i + 1}` } : {}) };
  });
  mock.on(DescribeLaunchTemplatesCommand).callsFake((input: { NextToken?: string }) => {
    const all = opts.templates ?? [];
    // One template per page, to exercise pagination.
    const i = input.NextToken ? Number(input.NextToken.slice(1)) : 0;
    const t = all[i];
    return { LaunchTemplates: t ? [{ LaunchTemplateId: t.id, LaunchTemplateName: t.name, LatestVersionNumber: t.latest }] : [], ...(i + 1 < all.length ? { NextToken: `t${i + 1}` } : {}) };
  });
  mock.on(DescribeLaunchTemplateVersionsCommand).callsFake((input: DescribeLaunchTemplateVersionsCommandInput) => {
    versionTokens.push(input.NextToken);
    expect(input.Versions).toBeUndefined();
    expect(input.ResolveAlias).toBe(true);
    const t = (opts.templates ?? []).find((x) => x.id === input.LaunchTemplateId)!;
    const i = input.NextToken ? Number(input.NextToken.split(':')[1]) : 0;
    return { LaunchTemplateVersions: t.versionPages[i], ...(i + 1 < t.versionPages.length ? { NextToken: `${t.id}:${i + 1}` } : {}) };
  });
  mock.on(DeregisterImageCommand).callsFake((input: { ImageId: string }) => {
    log.push(`deregister ${input.ImageId}`);
    return {};
  });
  mock.on(DeleteSnapshotCommand).callsFake((input: { SnapshotId: string }) => {
    log.push(`delete ${input.SnapshotId}`);
    return {};
  });
  return { client, mock, log, instanceTokens, versionTokens, instanceFilters };
}

const image = (id: string, day: number, state = 'available'): Image => ({
  ImageId: id,
  Name: `cocca-za-${id}`,
  State: state as Image['State'],
  CreationDate: `2024-05-${String(day).padStart(2, '0')}T10:00:00.000Z`,
  Tags: [{ Key: 'cocca-bake:profile', Value: 'za-registry' }],
  BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: `snap-${id.slice(4)}a`, Encrypted: true } }, { DeviceName: '/dev/sdb', Ebs: { SnapshotId: `snap-${id.slice(4)}b`, Encrypted: true } }],
});

const version = (n: number, imageId: string | undefined, isDefault = false): LaunchTemplateVersion => ({ VersionNumber: n, DefaultVersion: isDefault, LaunchTemplateData: imageId ? { ImageId: imageId } : {} });

describe('applyRetention', () => {
  const six = [image('ami-06', 6), image('ami-05', 5), image('ami-04', 4), image('ami-03', 3), image('ami-02', 2), image('ami-01', 1)];

  it('reads every page of instances and launch template versions, and spares what they use', async () => {
    const r = fakeRegion('af-south-1', {
      images: six,
      instancePages: [[{ InstanceId: 'i-1', ImageId: 'ami-zzz', State: { Name: 'running' } }], [], [{ InstanceId: 'i-3', ImageId: 'ami-01', State: { Name: 'stopped' } }]],
      templates: [
        { id: 'lt-a', name: 'other', latest: 2, versionPages: [[version(1, 'ami-zzz', true)], [version(2, undefined)]] },
        { id: 'lt-b', name: 'registry', latest: 9, versionPages: [[version(9, 'ami-06', true)], [version(4, 'ami-zzz')], [version(3, 'ami-02')]] },
      ],
    });
    const report = await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 2 });
    expect(r.instanceTokens).toEqual([undefined, 'i1', 'i2']);
    expect(r.versionTokens).toEqual([undefined, 'lt-a:1', undefined, 'lt-b:1', 'lt-b:2']);
    // Asked only about the candidates, and only in states where an instance may still need them.
    expect(r.instanceFilters[0]).toEqual([
      { Name: 'image-id', Values: ['ami-04', 'ami-03', 'ami-02', 'ami-01'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ]);
    expect(Object.fromEntries(report.outcomes.map((o) => [o.imageId, o.action]))).toEqual({ 'ami-06': 'kept', 'ami-05': 'kept', 'ami-04': 'deleted', 'ami-03': 'deleted', 'ami-02': 'kept', 'ami-01': 'kept' });
    expect(report.outcomes.find((o) => o.imageId === 'ami-01')!.reasons).toEqual(['in use by instance i-3 (stopped)']);
    expect(report.outcomes.find((o) => o.imageId === 'ami-02')!.reasons).toEqual(['in use by launch template registry (lt-b) version 3']);
    expect(r.log).toEqual(['deregister ami-04', 'delete snap-04a', 'delete snap-04b', 'deregister ami-03', 'delete snap-03a', 'delete snap-03b']);
    expect(report.ok).toBe(true);
  });

  it('names $Latest and $Default versions in the reason', async () => {
    const r = fakeRegion('af-south-1', { images: six, templates: [{ id: 'lt-b', name: 'registry', latest: 7, versionPages: [[version(7, 'ami-01'), version(6, 'ami-03', true)]] }] });
    const report = await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 2 });
    expect(report.outcomes.find((o) => o.imageId === 'ami-01')!.reasons).toEqual(['in use by launch template registry (lt-b) version 7 ($Latest)']);
    expect(report.outcomes.find((o) => o.imageId === 'ami-03')!.reasons).toEqual(['in use by launch template registry (lt-b) version 6 ($Default)']);
    expect(r.log.filter((l) => l.startsWith('deregister'))).toEqual(['deregister ami-04', 'deregister ami-02']);
  });

  it('never deletes the image just built', async () => {
    const r = fakeRegion('af-south-1', { images: six });
    const report = await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 1, protect: ['ami-03'] });
    expect(r.log).not.toContain('deregister ami-03');
    expect(r.log.filter((l) => l.startsWith('deregister'))).toEqual(['deregister ami-05', 'deregister ami-04', 'deregister ami-02', 'deregister ami-01']);
    expect(report.outcomes.find((o) => o.imageId === 'ami-03')!.reasons).toEqual(['just built']);
  });

  it('leaves the snapshots of an image whose deregistration failed, and goes on with the others', async () => {
    const r = fakeRegion('af-south-1', { images: six.slice(0, 4) });
    r.mock.on(DeregisterImageCommand, { ImageId: 'ami-04' }).rejects(awsError('InvalidImage.DeregistrationProtected', 'deregistration protection is on'));
    const report = await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 2 });
    expect(r.log).toEqual(['deregister ami-03', 'delete snap-03a', 'delete snap-03b']);
    const failed = report.outcomes.find((o) => o.imageId === 'ami-04')!;
    expect(failed).toMatchObject({ action: 'failed', snapshots: [] });
    expect(failed.error).toContain('InvalidImage.DeregistrationProtected');
    expect(report.ok).toBe(false);
    expect(formatRetention([report])).toContain('failed       ami-04');
  });

  it('reports a snapshot that could not be deleted', async () => {
    const r = fakeRegion('af-south-1', { images: six.slice(0, 3) });
    r.mock.on(DeleteSnapshotCommand, { SnapshotId: 'snap-04b' }).rejects(awsError('InvalidSnapshot.InUse', 'snap-04b is in use by ami-x'));
    const report = await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 2 });
    expect(report.outcomes.find((o) => o.imageId === 'ami-04')!.snapshots).toEqual([
      { snapshotId: 'snap-04a', deleted: true },
      { snapshotId: 'snap-04b', deleted: false, error: 'DeleteSnapshot snap-04b: InvalidSnapshot.InUse: snap-04b is in use by ami-x' },
    ]);
    expect(report.ok).toBe(false);
  });

  it('deletes nothing when a launch template image is an SSM parameter EC2 did not resolve', async () => {
    const r = fakeRegion('af-south-1', { images: six, templates: [{ id: 'lt-s', name: 'ssm', latest: 1, versionPages: [[version(1, 'resolve:ssm:/cocca/ami', true)]] }] });
    const report = await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 2 });
    expect(r.log).toEqual([]);
    expect(report.warnings[0]).toContain('launch template ssm (lt-s) version 1 ($Default, $Latest) takes its image from resolve:ssm:/cocca/ami');
  });

  it('asks nothing about use, and deletes nothing, when there are no more than N images', async () => {
    const r = fakeRegion('af-south-1', { images: six.slice(0, 3) });
    await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 3 });
    expect(r.mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    expect(r.log).toEqual([]);
  });

  it('dry run: plans, deletes nothing', async () => {
    const r = fakeRegion('af-south-1', { images: six });
    const report = await applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 4, dryRun: true });
    expect(report.outcomes.filter((o) => o.action === 'would-delete').map((o) => o.imageId)).toEqual(['ami-02', 'ami-01']);
    expect(r.log).toEqual([]);
  });

  it('deletes nothing when what uses the images cannot be listed', async () => {
    const r = fakeRegion('af-south-1', { images: six });
    r.mock.on(DescribeLaunchTemplatesCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    await expect(applyRetention(() => r.client, { region: 'af-south-1', profileName: 'za-registry', keep: 2 })).rejects.toThrow('DescribeLaunchTemplates in af-south-1: UnauthorizedOperation');
    expect(r.log).toEqual([]);
  });

  it('in several regions: one failing is reported, the others are handled', async () => {
    const good = fakeRegion('af-south-1', { images: six.slice(0, 3) });
    const bad = fakeRegion('eu-west-1', { images: [] });
    bad.mock.on(DescribeImagesCommand).rejects(awsError('AuthFailure', 'bad credentials'));
    const reports = await applyRetentionInRegions((region) => (region === 'af-south-1' ? good.client : bad.client), ['af-south-1', 'eu-west-1'], { profileName: 'za-registry', keep: 2 });
    expect(reports.map((x) => [x.region, x.ok])).toEqual([
      ['af-south-1', true],
      ['eu-west-1', false],
    ]);
    expect(good.log).toEqual(['deregister ami-04', 'delete snap-04a', 'delete snap-04b']);
    expect(formatRetention(reports)).toContain('eu-west-1: ERROR listing the images of profile za-registry in eu-west-1: AuthFailure: bad credentials (nothing deleted)');
  });
});
