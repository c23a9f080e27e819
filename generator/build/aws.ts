// After Packer made the AMI in the build region: share it exactly, tag it (and its snapshots)
// with the build record's digest, copy it to the other regions in parallel, then retire old
// images of the profile in every region. Uses the default AWS credential chain.
import { ec2Factory, type Ec2Factory } from '../aws/client.js';
import { targetRegions } from '../aws/images.js';
import { publishImage } from '../aws/publish.js';
import { checkRegions } from '../aws/regions.js';
import { applyRetentionInRegions } from '../aws/retention.js';
import { imageTags } from '../emit/packer.js';
import type { AwsPublisher } from './index.js';
import type { AwsOutput } from './record.js';

export function publisherWith(factory: Ec2Factory): AwsPublisher {
  return {
    async preflight(profile) {
      const target = profile.targets.aws!;
      try {
        return (await checkRegions(factory(target.region), targetRegions(target))).map((p) => p.problem);
      } catch (err) {
        return [`cannot check the regions: ${(err as Error).message}`];
      }
    },
    async publish({ profile, region, imageId, recordDigest }) {
      const target = profile.targets.aws!;
      const tags = { ...imageTags(profile), 'cocca-bake:build-record': recordDigest };
      const published = await publishImage(factory, { region, imageId, target, tags });
      const built = [imageId, ...published.copies.flatMap((c) => (c.imageId ? [c.imageId] : []))];
      // Retire only once every region has its new image; the new ones are protected anyway.
      const retention = published.ok
        ? await applyRetentionInRegions(factory, [region, ...target.copyTo], { profileName: profile.name, keep: target.keep, protect: built })
        : [];
      const output: AwsOutput = {
        region,
        imageId,
        copies: published.copies.map((c) => ({ region: c.region, ok: c.ok, ...(c.imageId && { imageId: c.imageId }), ...(c.error && { error: c.error }) })),
        retention: retention.map((r) => ({
          region: r.region,
          deregistered: r.outcomes.filter((o) => o.action === 'deleted').map((o) => o.imageId),
          kept: r.outcomes.filter((o) => o.action === 'kept').map((o) => o.imageId),
          ...(r.error && { error: r.error }),
        })),
      };
      return output;
    },
  };
}

export function awsPublisher(): AwsPublisher {
  return publisherWith(ec2Factory());
}
