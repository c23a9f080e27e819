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
import { AwsStepError, step, type Ec2Factory, type WaitOptions } from './client.js';
import { copyKmsKeys } from './kms.js';
import { SOURCE_IMAGE_TAG, SOURCE_REGION_TAG, imageInfo, newestFirst, waitForImage, type ImageInfo } from './images.js';

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

/** One image in one region: available, checked, IMDSv2, shared exactly, tagged. */
async function finishIn(ec2: EC2Client, region: string, imageId: string, sharing: Sharing, tags: Record<string, string>, wait: WaitOptions | undefined): Promise<FinishedImage> {
  const image = await waitForImage(ec2, region, imageId, wait);
  checkEncryption(image, sharing.public);
  const imdsSet = await ensureImdsV2(ec2, image);
  const permissions = await ensureLaunchPermissions(ec2, region, imageId, sharing);
  await tagImage(ec2, image, tags);
  return {
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
}

/** The AMI Packer made in the build region. Throws when any step fails. */
export async function finishImage(factory: Ec2Factory, input: FinishInput): Promise<FinishedImage> {
  return finishIn(factory(input.region), input.region, input.imageId, input.target, input.tags, input.wait);
}

/** Same source image and region: same token, so a re-run never starts a second copy. A replaced failed copy changes it. */
export function copyToken(sourceImageId: string, region: string, replaced: string[] = []): string {
  const h = createHash('sha256').update(`${sourceImageId}\n${region}\n${[...replaced].sort().join(',')}`).digest('hex');
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
  wait?: WaitOptions;
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
}

/** Copies of this source image already in the region (an earlier, interrupted run), newest first. */
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
  const existing = await findCopies(ec2, region, input.imageId);
  const usable = existing.find((i) => i.state === 'available') ?? existing.find((i) => i.state === 'pending');
  if (usable) {
    result.imageId = usable.imageId;
    result.reused = usable.state === 'available' ? 'available' : 'pending';
  } else {
    const stuck = existing.find((i) => !['failed', 'error', 'invalid', 'deregistered'].includes(i.state));
    if (stuck) throw new AwsStepError(`an earlier copy ${stuck.imageId} of ${input.imageId} in ${region} is ${stuck.state}: neither usable nor failed; enable or deregister it, then run again`, 'copy.stuck');
    const failed = existing.filter((i) => i.state !== 'deregistered');
    for (const image of failed) await removeFailedCopy(ec2, image);
    if (failed.length > 0) result.replaced = failed.map((i) => i.imageId);
    const tags = toTags({ ...input.tags, [SOURCE_IMAGE_TAG]: input.imageId, [SOURCE_REGION_TAG]: input.sourceRegion });
    const out = await step(`CopyImage ${input.imageId} from ${input.sourceRegion}`, region, () =>
      ec2.send(
        new CopyImageCommand({
          SourceImageId: input.imageId,
          SourceRegion: input.sourceRegion,
          Name: input.name,
          ...(input.description ? { Description: input.description } : {}),
          ...(input.encrypted ? { Encrypted: true } : {}),
          ...(input.encrypted && kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
          ClientToken: copyToken(input.imageId, region, result.replaced),
          // Tagged as it is created: an interrupted run's copy is found again by its source tag.
          TagSpecifications: [
            { ResourceType: 'image', Tags: tags },
            { ResourceType: 'snapshot', Tags: tags },
          ],
        }),
      ),
    );
    if (!out.ImageId) throw new AwsStepError(`CopyImage in ${region} returned no image id`, 'copy.no-id');
    result.imageId = out.ImageId;
  }
  const finished = await finishIn(ec2, region, result.imageId, input, { ...input.tags, [SOURCE_IMAGE_TAG]: input.imageId, [SOURCE_REGION_TAG]: input.sourceRegion }, input.wait);
  result.warnings.push(...finished.warnings);
}

/** Every region at once; each reports its own outcome, and one failing never stops or hides the others. */
export async function copyToRegions(factory: Ec2Factory, input: CopyInput): Promise<CopyResult[]> {
  const regions = [...new Set(input.regions)].filter((r) => r !== input.sourceRegion);
  const results = regions.map((region): CopyResult => ({ region, ok: false, warnings: [] }));
  const settled = await Promise.allSettled(regions.map((region, i) => copyOne(factory, input, region, results[i]!)));
  settled.forEach((s, i) => {
    const r = results[i]!;
    if (s.status === 'fulfilled') r.ok = true;
    else r.error = s.reason instanceof Error ? s.reason.message : String(s.reason);
  });
  return results;
}

export interface PublishInput {
  region: string;
  imageId: string;
  target: AwsTarget;
  tags: Record<string, string>;
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
  const source = await finishImage(factory, input);
  const kmsKeyIds = input.kmsKeyIds ?? copyKmsKeys(target);
  const copies = await copyToRegions(factory, {
    sourceRegion: input.region,
    imageId: source.imageId,
    name: source.name,
    regions: target.copyTo,
    encrypted: !target.public,
    kmsKeyIds,
    tags: input.tags,
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
