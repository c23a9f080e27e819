// Which KMS key encrypts the copy of an AMI in each region. No AWS SDK here: validate uses it.
import type { AwsTarget } from './types.js';

/**
 * The key for an encrypted copy in another region. A KMS key lives in one region; only a
 * multi-Region key (mrk-...) has replicas under the same id elsewhere. Undefined: the
 * destination region's default EBS key (which cannot be shared with other accounts).
 */
export function kmsKeyForRegion(kmsKeyId: string | undefined, region: string): string | undefined {
  if (!kmsKeyId) return undefined;
  if (/^mrk-[0-9a-f]+$/.test(kmsKeyId)) return kmsKeyId;
  const arn = /^arn:(aws[a-z-]*):kms:[a-z0-9-]+:(\d{12}):key\/(mrk-[0-9a-f]+)$/.exec(kmsKeyId);
  return arn ? `arn:${arn[1]}:kms:${region}:${arn[2]}:key/${arn[3]}` : undefined;
}

/** The key of each copyTo region that has one: targets.aws.copyKmsKeyIds, else the multi-Region key's replica. */
export function copyKmsKeys(target: Pick<AwsTarget, 'copyTo' | 'kmsKeyId' | 'copyKmsKeyIds'>): Record<string, string> {
  return Object.fromEntries(
    target.copyTo.flatMap((r) => {
      const k = target.copyKmsKeyIds?.[r] ?? kmsKeyForRegion(target.kmsKeyId, r);
      return k ? [[r, k]] : [];
    }),
  );
}
