// After Packer made the AMI in the build region: share it exactly, tag it (and its snapshots)
// with the build record's digest, copy it to the other regions in parallel, then retire old
// images of the profile in every region. One method per build stage (see finish.ts, which
// records them). Uses the default AWS credential chain.
import { ec2Factory, type Ec2Factory, type WaitOptions } from '../../aws/client.js';
import { PROFILE_TAG, RECORD_TAG, describeImage, targetRegions, waitForImage } from '../../aws/images.js';
import { copyKmsKeys } from '../../profile/kms.js';
import { copyToRegions, shareImage, tagSourceImage } from '../../aws/publish.js';
import { checkRegions } from '../../aws/regions.js';
import { applyRetentionInRegions } from '../../aws/retention.js';
import { imageTags } from '../../emit/packer.js';
import type { AwsPublisher } from './index.js';

export function publisherWith(factory: Ec2Factory, wait?: WaitOptions): AwsPublisher {
  const waitOpt = wait ? { wait } : {};
  return {
    async preflight(profile) {
      const target = profile.targets.aws!;
      try {
        return (await checkRegions(factory(target.region), targetRegions(target))).map((p) => p.problem);
      } catch (err) {
        return [`cannot check the regions: ${(err as Error).message}`];
      }
    },
    async share({ profile, source }) {
      return (await shareImage(factory, { region: source.region, imageId: source.imageId, target: profile.targets.aws!, ...waitOpt })).warnings;
    },
    async tag({ profile, source }) {
      await tagSourceImage(factory, source.region, source.imageId, { ...imageTags(profile), [RECORD_TAG]: source.recordDigest }, wait);
    },
    async copy({ profile, source, regions, onProgress, onResult }) {
      const target = profile.targets.aws!;
      // The copies take the source's name (a resumed build did not see the share stage run).
      const { name } = await waitForImage(factory(source.region), source.region, source.imageId, wait);
      return copyToRegions(factory, {
        sourceRegion: source.region,
        imageId: source.imageId,
        name,
        regions,
        encrypted: !target.public,
        kmsKeyIds: copyKmsKeys(target),
        tags: imageTags(profile),
        recordDigest: source.recordDigest,
        shareWith: target.shareWith,
        public: target.public,
        onProgress,
        onResult,
        ...waitOpt,
      });
    },
    async retention({ profile, protect, dryRun }) {
      const target = profile.targets.aws!;
      return applyRetentionInRegions(factory, targetRegions(target), { profileName: profile.name, keep: target.keep, protect, dryRun });
    },
  };
}

/** `publish`: the AMI must exist in the build region and be a cocca-bake image of this profile. */
/**
 * What `publish` may finish: an AMI of this profile in its build region. Its record digest is
 * the one a lost build tagged it with (its copies carry the same; they are then picked up),
 * when that build got as far as tagging.
 */
export async function inspectSourceImage(factory: Ec2Factory, profileName: string, region: string, imageId: string): Promise<{ problem?: string; recordDigest?: string }> {
  const image = await describeImage(factory(region), region, imageId);
  if (!image || image.state === 'deregistered') return { problem: `AMI ${imageId} does not exist in ${region} (the profile's targets.aws.region, where publish looks for it)` };
  const tagged = image.tags[PROFILE_TAG];
  if (tagged !== profileName) return { problem: `AMI ${imageId} in ${region} is ${tagged ? `an image of profile ${tagged}` : `not tagged ${PROFILE_TAG}`}, not of profile ${profileName}: publish finishes only an AMI cocca-bake baked for this profile` };
  return image.tags[RECORD_TAG] ? { recordDigest: image.tags[RECORD_TAG] } : {};
}

export function awsPublisher(): AwsPublisher {
  return publisherWith(ec2Factory());
}
