// After Packer: make the AMI what the profile says (encrypted, IMDSv2 only, shared with exactly
// the listed accounts, public only when asked), tag it with what Packer could not know (the
// build record digest), then copy it to the other regions, each on its own.
//
// An image is reported good only after every one of these steps succeeded in its region. A
// failure leaves the image where it is and reports its id with the error: never as good.
import { createHash } from 'node:crypto';
import {
  CopyImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  ModifyImageAttributeCommand,
  paginateDescribeImages,
  type EC2Client,
  type LaunchPermission,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { AwsTarget } from '../profile/types.js';
import { AwsStepError, step, type Ec2Factory, type ImageInfoLike, type WaitOptions } from './client.js';
import { copyKmsKeys } from '../profile/kms.js';
import { RECORD_TAG, SOURCE_IMAGE_TAG, SOURCE_REGION_TAG, imageInfo, newestFirst, snapshotProgress, waitForImage, type ImageInfo } from './images.js';

export interface Sharing {
  /** AWS account ids allowed to launch the image: exactly these, no others. */
  shareWith: string[];
  /** Launchable by everyone. Only with the profile's explicit `public: true`. */
  public: boolean;
}

export interface PermissionChange {
  added: string[];
  removed: string[];
}

const permKey = (p: LaunchPermission): string =>
  p.UserId ? `account ${p.UserId}` : p.Group ? `group ${p.Group}` : p.OrganizationArn ? `organization ${p.OrganizationArn}` : p.OrganizationalUnitArn ? `organizational unit ${p.OrganizationalUnitArn}` : JSON.stringify(p);

/**
 * Makes the launch permissions exactly the profile's: its accounts, plus everyone only when
 * public. Anything else (another account, an organization, the public group) is removed
 * first, so the image is never more widely shared than asked, not even between two calls.
 */
export async function ensureLaunchPermissions(ec2: EC2Client, region: string, imageId: string, sharing: Sharing): Promise<PermissionChange> {
  const attr = await step(`DescribeImageAttribute launchPermission of ${imageId}`, region, () =>
    ec2.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' })),
  );
  const current = attr.LaunchPermissions ?? [];
  const want: LaunchPermission[] = [...new Set(sharing.shareWith)].map((UserId) => ({ UserId }));
  if (sharing.public) want.push({ Group: 'all' });
  const has = new Set(current.map(permKey));
  const wanted = new Set(want.map(permKey));
  const remove = current.filter((p) => !wanted.has(permKey(p)));
  const add = want.filter((p) => !has.has(permKey(p)));
  if (remove.length > 0) {
    await step(`removing launch permissions (${remove.map(permKey).join(', ')}) from ${imageId}`, region, () =>
      ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Remove: remove } })),
    );
  }
  if (add.length > 0) {
    await step(`adding launch permissions (${add.map(permKey).join(', ')}) to ${imageId}`, region, () =>
      ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: add } })),
    );
  }
  return { added: add.map(permKey), removed: remove.map(permKey) };
}

/** Instances of the image must use IMDSv2 tokens. Packer 1.6.6 (legacy flavor) cannot set it; AWS does not let it be unset. */
export async function ensureImdsV2(ec2: EC2Client, image: ImageInfo): Promise<boolean> {
  if (image.imdsSupport === 'v2.0') return false;
  await step(`setting IMDSv2 (imds-support v2.0) on ${image.imageId}`, image.region, () =>
    ec2.send(new ModifyImageAttributeCommand({ ImageId: image.imageId, ImdsSupport: { Value: 'v2.0' } })),
  );
  return true;
}

const toTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

async function tagImage(ec2: EC2Client, image: ImageInfo, tags: Record<string, string>): Promise<void> {
  if (Object.keys(tags).length === 0) return;
  await step(`tagging ${image.imageId} and its snapshots`, image.region, () =>
    ec2.send(new CreateTagsCommand({ Resources: [image.imageId, ...image.snapshotIds], Tags: toTags(tags) })),
  );
}

/** AWS refuses to publish encrypted snapshots; a private image must be encrypted. */
function checkEncryption(image: ImageInfo, publicImage: boolean): void {
  if (!publicImage && !image.encrypted) {
    throw new AwsStepError(`image ${image.imageId} in ${image.region} has unencrypted snapshots (${image.snapshotIds.join(', ') || 'none'}): a private cocca-bake image must be encrypted; not publishing it`, 'image.unencrypted');
  }
  if (publicImage && image.encrypted) {
    throw new AwsStepError(
      `image ${image.imageId} in ${image.region} is encrypted, and AWS cannot make an image with encrypted snapshots public (is EBS encryption by default on for this account?); not publishing it`,
      'image.encrypted-public',
    );
  }
}

export interface FinishedImage {
  region: string;
  imageId: string;
  name: string;
  snapshotIds: string[];
  encrypted: boolean;
  public: boolean;
  sharedWith: string[];
  imdsSet: boolean;
  permissions: PermissionChange;
  warnings: string[];
}

export interface FinishInput {
  region: string;
  imageId: string;
  target: Pick<AwsTarget, 'shareWith' | 'public'>;
  /** Profile, role, versions, cocca-bake version, build record digest: set on the image and its snapshots. */
  tags: Record<string, string>;
  wait?: WaitOptions;
}

function publicWarning(imageId: string, region: string): string {
  return `image ${imageId} in ${region} is PUBLIC: any AWS account can launch your registry image (targets.aws.public is true)`;
}

/** One image in one region: available, checked, IMDSv2, shared exactly (not yet tagged). */
async function shareIn(ec2: EC2Client, region: string, imageId: string, sharing: Sharing, wait: WaitOptions | undefined): Promise<{ image: ImageInfo; finished: FinishedImage }> {
  const image = await waitForImage(ec2, region, imageId, wait);
  checkEncryption(image, sharing.public);
  const imdsSet = await ensureImdsV2(ec2, image);
  const permissions = await ensureLaunchPermissions(ec2, region, imageId, sharing);
  const finished: FinishedImage = {
    region,
    imageId,
    name: image.name,
    snapshotIds: image.snapshotIds,
    encrypted: image.encrypted,
    public: sharing.public,
    sharedWith: [...new Set(sharing.shareWith)],
    imdsSet,
    permissions,
    warnings: sharing.public ? [publicWarning(imageId, region)] : [],
  };
  return { image, finished };
}

/** One image in one region: available, checked, IMDSv2, shared exactly, tagged. */
async function finishIn(ec2: EC2Client, region: string, imageId: string, sharing: Sharing, tags: Record<string, string>, wait: WaitOptions | undefined): Promise<FinishedImage> {
  const { image, finished } = await shareIn(ec2, region, imageId, sharing, wait);
  await tagImage(ec2, image, tags);
  return finished;
}

/** The AMI Packer made in the build region. Throws when any step fails. */
export async function finishImage(factory: Ec2Factory, input: FinishInput): Promise<FinishedImage> {
  return finishIn(factory(input.region), input.region, input.imageId, input.target, input.tags, input.wait);
}

/** The build stage 'share' alone: available, checked, IMDSv2, launch permissions exactly the profile's. */
export async function shareImage(factory: Ec2Factory, input: Omit<FinishInput, 'tags'>): Promise<FinishedImage> {
  return (await shareIn(factory(input.region), input.region, input.imageId, input.target, input.wait)).finished;
}

/** The build stage 'tags' alone: the image and its snapshots get the build's tags. */
export async function tagSourceImage(factory: Ec2Factory, region: string, imageId: string, tags: Record<string, string>, wait?: WaitOptions): Promise<void> {
  const ec2 = factory(region);
  await tagImage(ec2, await waitForImage(ec2, region, imageId, wait), tags);
}

/**
 * Same source image, region and build record: same token, so a re-run never starts a second
 * copy. A replaced failed copy changes it, and so does another record (its copy is not ours).
 */
export function copyToken(sourceImageId: string, region: string, recordDigest: string, replaced: string[] = []): string {
  const h = createHash('sha256').update(`${sourceImageId}\n${region}\n${recordDigest}\n${[...replaced].sort().join(',')}`).digest('hex');
  return `cocca-bake-${h.slice(0, 48)}`;
}

export interface CopyInput extends Sharing {
  sourceRegion: string;
  imageId: string;
  name: string;
  description?: string;
  regions: string[];
  /** Encrypt the copies (true unless public). */
  encrypted: boolean;
  kmsKeyIds?: Record<string, string>;
  tags: Record<string, string>;
  /** The build record the copies belong to: an earlier copy is reused only when it carries the same one. */
  recordDigest: string;
  wait?: WaitOptions;
  /** Each region's progress while the copies run. */
  onProgress?: (e: CopyProgress) => void;
  /** Each region's outcome as soon as it is known (the build record is written then). */
  onResult?: (r: CopyResult) => void;
  now?: () => Date;
}

export interface CopyProgress {
  region: string;
  imageId?: string;
  /** started/reused: the copy exists; waiting: still pending (percent when EC2 says); then available or failed. */
  state: 'started' | 'reused' | 'waiting' | 'available' | 'failed';
  /** How far its snapshots are, from DescribeSnapshots' Progress. */
  percent?: number;
  elapsedMs: number;
  error?: string;
}

export interface CopyResult {
  region: string;
  ok: boolean;
  /** The copy, when one exists: also on failure, so it can be found and cleaned up. */
  imageId?: string;
  /** An earlier run's copy was picked up instead of starting a new one. */
  reused?: 'available' | 'pending';
  /** Failed copies of an earlier run, deregistered before copying again. */
  replaced?: string[];
  error?: string;
  warnings: string[];
  startedAt?: string;
  finishedAt?: string;
}

/** Copies of this source image already in the region (an earlier, interrupted run of any record), newest first. */
async function findCopies(ec2: EC2Client, region: string, sourceImageId: string): Promise<ImageInfo[]> {
  return step(`looking for earlier copies of ${sourceImageId}`, region, async () => {
    const found: ImageInfo[] = [];
    const pages = paginateDescribeImages({ client: ec2 }, { Owners: ['self'], Filters: [{ Name: `tag:${SOURCE_IMAGE_TAG}`, Values: [sourceImageId] }], IncludeDisabled: true, IncludeDeprecated: true });
    for await (const page of pages) for (const image of page.Images ?? []) found.push(imageInfo(region, image));
    return newestFirst(found);
  });
}

/** A failed copy holds its name; it goes, with whatever snapshots it has, before the copy is tried again. */
async function removeFailedCopy(ec2: EC2Client, image: ImageInfo): Promise<void> {
  await step(`deregistering the failed copy ${image.imageId}`, image.region, () => ec2.send(new DeregisterImageCommand({ ImageId: image.imageId })));
  for (const snapshotId of image.snapshotIds) {
    await step(`deleting snapshot ${snapshotId} of the failed copy ${image.imageId}`, image.region, () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })));
  }
}

async function copyOne(factory: Ec2Factory, input: CopyInput, region: string, result: CopyResult): Promise<void> {
  const ec2 = factory(region);
  const kmsKeyId = input.kmsKeyIds?.[region];
  if (input.encrypted && input.shareWith.length > 0 && !kmsKeyId) {
    throw new AwsStepError(
      `an encrypted copy in ${region} shared with other accounts needs a customer-managed KMS key there (the default EBS key cannot be shared); use a multi-Region key (mrk-...) for targets.aws.kmsKeyId, with a replica in ${region}`,
      'copy.no-kms-key',
    );
  }
  const tags = { ...input.tags, [RECORD_TAG]: input.recordDigest, [SOURCE_IMAGE_TAG]: input.imageId, [SOURCE_REGION_TAG]: input.sourceRegion };
  const started = Date.now();
  const progress = (state: CopyProgress['state'], extra: Partial<CopyProgress> = {}) =>
    input.onProgress?.({ region, ...(result.imageId ? { imageId: result.imageId } : {}), state, elapsedMs: Date.now() - started, ...extra });
  const all = await findCopies(ec2, region, input.imageId);
  // Another record's copy is left alone, and its name stands in the way of a new copy: say so.
  const others = all.filter((i) => i.tags[RECORD_TAG] !== input.recordDigest && i.state !== 'deregistered');
  const existing = all.filter((i) => i.tags[RECORD_TAG] === input.recordDigest);
  if (others.length > 0 && !existing.some((i) => i.state === 'available' || i.state === 'pending')) {
    const o = others[0]!;
    throw new AwsStepError(
      `a copy ${o.imageId} (${o.state}) of ${input.imageId} in ${region} belongs to another build record (${o.tags[RECORD_TAG] ?? 'untagged'}), not this one (${input.recordDigest}): resume that record (build --resume), or deregister it, then run again`,
      'copy.other-record',
    );
  }
  const usable = existing.find((i) => i.state === 'available') ?? existing.find((i) => i.state === 'pending');
  if (usable) {
    result.imageId = usable.imageId;
    result.reused = usable.state === 'available' ? 'available' : 'pending';
    progress('reused');
  } else {
    const stuck = existing.find((i) => !['failed', 'error', 'invalid', 'deregistered'].includes(i.state));
    if (stuck) throw new AwsStepError(`an earlier copy ${stuck.imageId} of ${input.imageId} in ${region} is ${stuck.state}: neither usable nor failed; enable or deregister it, then run again`, 'copy.stuck');
    const failed = existing.filter((i) => i.state !== 'deregistered');
    for (const image of failed) await removeFailedCopy(ec2, image);
    if (failed.length > 0) result.replaced = failed.map((i) => i.imageId);
    const out = await step(`CopyImage ${input.imageId} from ${input.sourceRegion}`, region, () =>
      ec2.send(
        new CopyImageCommand({
          SourceImageId: input.imageId,
          SourceRegion: input.sourceRegion,
          Name: input.name,
          ...(input.description ? { Description: input.description } : {}),
          ...(input.encrypted ? { Encrypted: true } : {}),
          ...(input.encrypted && kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
          ClientToken: copyToken(input.imageId, region, input.recordDigest, result.replaced),
          // Tagged as it is created: an interrupted run's copy is found again by its source tag.
          TagSpecifications: [
            { ResourceType: 'image', Tags: toTags(tags) },
            { ResourceType: 'snapshot', Tags: toTags(tags) },
          ],
        }),
      ),
    );
    if (!out.ImageId) throw new AwsStepError(`CopyImage in ${region} returned no image id`, 'copy.no-id');
    result.imageId = out.ImageId;
    progress('started');
  }
  // EC2 says nothing about a copy's progress on the image: its snapshots carry it.
  const onPoll = async (image: ImageInfoLike | undefined) => {
    if (image?.state !== 'pending') return;
    const percent = await snapshotProgress(ec2, image.snapshotIds);
    progress('waiting', percent === undefined ? {} : { percent });
  };
  const finished = await finishIn(ec2, region, result.imageId, input, tags, { ...input.wait, onPoll });
  result.warnings.push(...finished.warnings);
  progress('available');
}

/** Every region at once; each reports its own outcome, and one failing never stops or hides the others. */
export async function copyToRegions(factory: Ec2Factory, input: CopyInput): Promise<CopyResult[]> {
  const regions = [...new Set(input.regions)].filter((r) => r !== input.sourceRegion);
  const now = input.now ?? (() => new Date());
  const results = regions.map((region): CopyResult => ({ region, ok: false, warnings: [] }));
  const one = async (region: string, r: CopyResult) => {
    r.startedAt = now().toISOString();
    try {
      await copyOne(factory, input, region, r);
      r.ok = true;
    } catch (err) {
      r.error = err instanceof Error ? err.message : String(err);
      input.onProgress?.({ region, ...(r.imageId ? { imageId: r.imageId } : {}), state: 'failed', elapsedMs: Date.now() - Date.parse(r.startedAt), error: r.error });
    }
    r.finishedAt = now().toISOString();
    input.onResult?.(r);
  };
  await Promise.all(regions.map((region, i) => one(region, results[i]!)));
  return results;
}

export interface PublishInput {
  region: string;
  imageId: string;
  target: AwsTarget;
  tags: Record<string, string>;
  /** The build record these images belong to (tagged; copies are reused only within it). */
  recordDigest: string;
  /** Per-region keys for the copies; default: copyKmsKeys(target). */
  kmsKeyIds?: Record<string, string>;
  wait?: WaitOptions;
}

export interface PublishResult {
  /** True only when the build region's image and every copy are finished. */
  ok: boolean;
  source: FinishedImage;
  copies: CopyResult[];
  warnings: string[];
}

/** finishImage, then copyToRegions. A build-region failure throws: there is nothing to copy. */
export async function publishImage(factory: Ec2Factory, input: PublishInput): Promise<PublishResult> {
  const { target } = input;
  const source = await finishImage(factory, { ...input, tags: { ...input.tags, [RECORD_TAG]: input.recordDigest } });
  const kmsKeyIds = input.kmsKeyIds ?? copyKmsKeys(target);
  const copies = await copyToRegions(factory, {
    sourceRegion: input.region,
    imageId: source.imageId,
    name: source.name,
    regions: target.copyTo,
    encrypted: !target.public,
    kmsKeyIds,
    tags: input.tags,
    recordDigest: input.recordDigest,
    shareWith: target.shareWith,
    public: target.public,
    ...(input.wait ? { wait: input.wait } : {}),
  });
  return { ok: copies.every((c) => c.ok), source, copies, warnings: [...source.warnings, ...copies.flatMap((c) => c.warnings)] };
}

/** Each region's outcome, one line each. */
export function formatPublish(result: PublishResult): string {
  const lines = [`${result.source.region}: ${result.source.imageId} ok (build region)`];
  for (const c of result.copies) {
    lines.push(
      c.ok
        ? `${c.region}: ${c.imageId} ok${c.reused ? ` (reused the ${c.reused} copy of an earlier run)` : ''}${c.replaced ? ` (replaced failed ${c.replaced.join(', ')})` : ''}`
        : `${c.region}: FAILED${c.imageId ? ` (${c.imageId} left as is, not recorded as good)` : ''}: ${c.error}`,
    );
  }
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  const failed = result.copies.filter((c) => !c.ok).length;
  lines.push(failed === 0 ? 'all regions ok' : `${failed} of ${result.copies.length + 1} regions failed`);
  return `${lines.join('\n')}\n`;
}
