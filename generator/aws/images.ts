// A profile's images as EC2 knows them: listed per region by the profile tag, described one
// by one, and waited for until they are usable (or have failed).
import { DescribeImagesCommand, DescribeSnapshotsCommand, paginateDescribeImages, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import type { AwsTarget } from '../profile/types.js';
import { AwsStepError, DEFAULT_WAIT, awsErrorCode, awsErrorText, realSleep, step, type Ec2Factory, type WaitOptions } from './client.js';

/** The tag every cocca-bake image carries (emit/packer.ts imageTags), and the one its copies add. */
export const PROFILE_TAG = 'cocca-bake:profile';
export const SOURCE_IMAGE_TAG = 'cocca-bake:source-image';
export const SOURCE_REGION_TAG = 'cocca-bake:source-region';
/** The digest of the build record that made (or finished) the image: copies are reused only within one record. */
export const RECORD_TAG = 'cocca-bake:build-record';

export interface ImageInfo {
  region: string;
  imageId: string;
  name: string;
  /** pending | available | failed | invalid | deregistered | transient | error | disabled */
  state: string;
  /** Why EC2 put the image in its state, when it says (a failed copy's reason). */
  stateReason?: string;
  creationDate: string;
  tags: Record<string, string>;
  snapshotIds: string[];
  /** Every EBS snapshot is encrypted (false for an image without EBS snapshots). */
  encrypted: boolean;
  public: boolean;
  imdsSupport?: string;
  deprecationTime?: string;
}

export function imageInfo(region: string, image: Image): ImageInfo {
  const ebs = (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs ? [m.Ebs] : []));
  return {
    region,
    imageId: image.ImageId ?? '',
    name: image.Name ?? '',
    state: image.State ?? 'unknown',
    ...(image.StateReason?.Message ? { stateReason: image.StateReason.Message } : {}),
    creationDate: image.CreationDate ?? '',
    tags: Object.fromEntries((image.Tags ?? []).flatMap((t) => (t.Key !== undefined ? [[t.Key, t.Value ?? '']] : []))),
    snapshotIds: ebs.flatMap((e) => (e.SnapshotId ? [e.SnapshotId] : [])),
    encrypted: ebs.length > 0 && ebs.every((e) => e.Encrypted === true),
    public: image.Public === true,
    ...(image.ImdsSupport ? { imdsSupport: image.ImdsSupport } : {}),
    ...(image.DeprecationTime ? { deprecationTime: image.DeprecationTime } : {}),
  };
}

/** Newest first; ties (same second) broken by id so the order is stable. */
export function newestFirst<T extends { creationDate: string; imageId: string }>(images: T[]): T[] {
  const time = (d: string) => {
    const t = Date.parse(d);
    return Number.isNaN(t) ? 0 : t;
  };
  return [...images].sort((a, b) => time(b.creationDate) - time(a.creationDate) || b.imageId.localeCompare(a.imageId));
}

/** The regions a target's images live in: the build region, then the copies. */
export function targetRegions(target: Pick<AwsTarget, 'region' | 'copyTo'>): string[] {
  return [...new Set([target.region, ...target.copyTo])];
}

/** One image, or undefined when EC2 does not (yet, or any more) know it. */
export async function describeImage(ec2: EC2Client, region: string, imageId: string): Promise<ImageInfo | undefined> {
  try {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }));
    const image = out.Images?.find((i) => i.ImageId === imageId);
    return image ? imageInfo(region, image) : undefined;
  } catch (err) {
    if (awsErrorCode(err) === 'InvalidAMIID.NotFound') return undefined;
    throw new AwsStepError(`DescribeImages ${imageId} in ${region}: ${awsErrorText(err)}`, awsErrorCode(err), { cause: err });
  }
}

/** Every image of this account tagged with the profile's name in one region, all pages, newest first. */
export async function listProfileImages(ec2: EC2Client, region: string, profileName: string): Promise<ImageInfo[]> {
  return step(`listing the images of profile ${profileName}`, region, async () => {
    const images: ImageInfo[] = [];
    const pages = paginateDescribeImages(
      { client: ec2 },
      { Owners: ['self'], Filters: [{ Name: `tag:${PROFILE_TAG}`, Values: [profileName] }], IncludeDeprecated: true, IncludeDisabled: true },
    );
    for await (const page of pages) for (const image of page.Images ?? []) images.push(imageInfo(region, image));
    return newestFirst(images);
  });
}

export type RegionImages = { region: string; ok: true; images: ImageInfo[] } | { region: string; ok: false; error: string };

/** `cocca-bake images`: every region is asked at once; one region failing does not hide the others. */
export async function listImages(factory: Ec2Factory, regions: string[], profileName: string): Promise<RegionImages[]> {
  const settled = await Promise.allSettled(regions.map((region) => listProfileImages(factory(region), region, profileName)));
  return settled.map((s, i): RegionImages => {
    const region = regions[i]!;
    return s.status === 'fulfilled' ? { region, ok: true, images: s.value } : { region, ok: false, error: s.reason instanceof Error ? s.reason.message : String(s.reason) };
  });
}

/** The listing as text, one block per region. */
export function formatImages(profileName: string, listing: RegionImages[]): string {
  const lines: string[] = [];
  for (const r of listing) {
    if (!r.ok) {
      lines.push(`${r.region}: ERROR ${r.error}`);
      continue;
    }
    lines.push(`${r.region}: ${r.images.length} image${r.images.length === 1 ? '' : 's'} of profile ${profileName}`);
    for (const i of r.images) {
      const flags = [i.public ? 'PUBLIC' : '', i.encrypted ? 'encrypted' : 'unencrypted', i.tags['cocca-bake:version'] ? `cocca-bake ${i.tags['cocca-bake:version']}` : ''].filter(Boolean);
      lines.push(`  ${i.imageId}  ${i.state.padEnd(9)}  ${i.creationDate}  ${i.name}  [${flags.join(', ')}]${i.stateReason ? `  (${i.stateReason})` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Polls until the image is available. Throws when it failed, vanished or took too long.
 * Not the SDK's waitUntilImageAvailable: that one treats every error (AccessDenied included)
 * as "try again" until the timeout, and reports a JSON dump. Here only "not found yet"
 * (a fresh copy is eventually consistent) is waited out; anything else stops at once.
 */
export async function waitForImage(ec2: EC2Client, region: string, imageId: string, options: WaitOptions = {}): Promise<ImageInfo> {
  const { minDelay, maxDelay, timeout } = { ...DEFAULT_WAIT, ...options };
  const sleep = options.sleep ?? realSleep;
  let waited = 0;
  let delay = minDelay;
  let last: ImageInfo | undefined;
  for (;;) {
    last = await describeImage(ec2, region, imageId);
    await options.onPoll?.(last, waited);
    if (last?.state === 'available') return last;
    if (last && last.state !== 'pending') {
      throw new AwsStepError(`image ${imageId} in ${region} is ${last.state}${last.stateReason ? `: ${last.stateReason}` : ''}`, `image.${last.state}`);
    }
    if (waited + delay > timeout) break;
    await sleep(delay * 1000);
    waited += delay;
    delay = Math.min(maxDelay, delay * 1.5);
  }
  throw new AwsStepError(`image ${imageId} in ${region} is ${last ? `still ${last.state}` : 'not found'} after ${Math.round(waited)} s (it may still become available)`, 'image.timeout');
}

/**
 * How far a pending image's snapshots are (EC2 says it per snapshot, "45%"), as one percentage,
 * or undefined when EC2 does not say yet. Only for progress: a failure here is not the copy's.
 */
export async function snapshotProgress(ec2: EC2Client, snapshotIds: string[]): Promise<number | undefined> {
  if (snapshotIds.length === 0) return undefined;
  try {
    const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }));
    const values = (out.Snapshots ?? []).map((s) => Number.parseFloat(s.Progress ?? '')).filter((n) => Number.isFinite(n));
    return values.length === 0 ? undefined : Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  } catch {
    return undefined;
  }
}
