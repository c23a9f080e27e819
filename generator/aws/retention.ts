// `keep: N`: per region, the N newest available images of a profile stay; older ones are
// deregistered and then their snapshots deleted. Never an image just built, never one a
// pending/running/stopping/stopped instance was launched from, never one any version of a
// launch template names, and nothing at all when a launch template's image cannot be known.
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplates,
  paginateDescribeLaunchTemplateVersions,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { awsErrorText, step, type Ec2Factory } from './client.js';
import { listProfileImages, newestFirst, type ImageInfo } from './images.js';

export interface RetentionDecision {
  image: ImageInfo;
  action: 'keep' | 'delete';
  reasons: string[];
}

export interface RetentionOptions {
  /** Images that must stay whatever their age: the ones this build made. */
  protect?: ReadonlySet<string>;
  /** When set, nothing is deleted: each entry says why it cannot be known what is in use. */
  blocked?: readonly string[];
}

/** States that count as an image the profile has (toward N). */
const COUNTED = new Set(['available', 'disabled']);
/** States an image passes through on its way to available: never touched. */
const IN_PROGRESS = new Set(['pending', 'transient']);

/**
 * Pure: which images go and which stay, with every reason. `inUse` maps image ids to what
 * uses them ("instance i-... (running)", "launch template ... version 3").
 */
export function planRetention(images: ImageInfo[], keep: number, inUse: ReadonlyMap<string, readonly string[]>, options: RetentionOptions = {}): RetentionDecision[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be a whole number of at least 1, not ${keep}`);
  const protect = options.protect ?? new Set<string>();
  const blocked = options.blocked ?? [];
  let counted = 0;
  const decisions: RetentionDecision[] = [];
  for (const image of newestFirst(images)) {
    if (image.state === 'deregistered') continue;
    const reasons: string[] = [];
    if (protect.has(image.imageId)) reasons.push('just built');
    if (IN_PROGRESS.has(image.state)) reasons.push(`still ${image.state}`);
    if (COUNTED.has(image.state) && counted < keep) {
      counted += 1;
      reasons.push(`one of the ${keep} newest`);
    }
    for (const use of inUse.get(image.imageId) ?? []) reasons.push(`in use by ${use}`);
    if (reasons.length === 0 && blocked.length > 0) reasons.push(...blocked.map((b) => `not deleted: ${b}`));
    if (reasons.length > 0) decisions.push({ image, action: 'keep', reasons });
    else decisions.push({ image, action: 'delete', reasons: [COUNTED.has(image.state) ? `older than the ${keep} newest` : `${image.state}${image.stateReason ? ` (${image.stateReason})` : ''}`] });
  }
  return decisions;
}

/** Instance states in which an instance may still need its image (a stopped one starts again). */
export const IN_USE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export interface ImagesInUse {
  uses: Map<string, string[]>;
  /** Launch template versions whose image is an SSM parameter EC2 did not resolve. */
  unresolved: string[];
}

const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Which of these images an instance or a launch template (any version, $Latest and $Default included) uses. */
export async function findImagesInUse(ec2: EC2Client, region: string, imageIds: string[]): Promise<ImagesInUse> {
  const wanted = new Set(imageIds);
  const uses = new Map<string, string[]>();
  const unresolved: string[] = [];
  const use = (imageId: string, by: string) => uses.set(imageId, [...(uses.get(imageId) ?? []), by]);
  if (wanted.size === 0) return { uses, unresolved };

  await step('DescribeInstances', region, async () => {
    for (const ids of chunks([...wanted], 100)) {
      const pages = paginateDescribeInstances(
        { client: ec2 },
        { Filters: [{ Name: 'image-id', Values: ids }, { Name: 'instance-state-name', Values: IN_USE_STATES }] },
      );
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            if (instance.ImageId && wanted.has(instance.ImageId)) use(instance.ImageId, `instance ${instance.InstanceId ?? '?'} (${instance.State?.Name ?? 'unknown state'})`);
          }
        }
      }
    }
  });

  await step('DescribeLaunchTemplates', region, async () => {
    for await (const page of paginateDescribeLaunchTemplates({ client: ec2 }, {})) {
      for (const template of page.LaunchTemplates ?? []) {
        if (!template.LaunchTemplateId) continue;
        const label = `launch template ${template.LaunchTemplateName ?? template.LaunchTemplateId} (${template.LaunchTemplateId})`;
        // No Versions: every version. ResolveAlias: an SSM parameter shows as the AMI it names.
        const versions = paginateDescribeLaunchTemplateVersions({ client: ec2 }, { LaunchTemplateId: template.LaunchTemplateId, ResolveAlias: true });
        for await (const vpage of versions) {
          for (const v of vpage.LaunchTemplateVersions ?? []) {
            const imageId = v.LaunchTemplateData?.ImageId;
            if (!imageId) continue;
            const marks = [v.DefaultVersion ? '$Default' : '', v.VersionNumber !== undefined && v.VersionNumber === template.LatestVersionNumber ? '$Latest' : ''].filter(Boolean);
            const version = `${label} version ${v.VersionNumber ?? '?'}${marks.length ? ` (${marks.join(', ')})` : ''}`;
            if (imageId.startsWith('resolve:ssm:')) unresolved.push(`${version} takes its image from ${imageId}, which EC2 did not resolve`);
            else if (wanted.has(imageId)) use(imageId, version);
          }
        }
      }
    }
  });
  return { uses, unresolved };
}

export interface SnapshotOutcome {
  snapshotId: string;
  deleted: boolean;
  error?: string;
}

export interface RetentionOutcome {
  imageId: string;
  name: string;
  creationDate: string;
  state: string;
  action: 'kept' | 'deleted' | 'would-delete' | 'failed';
  reasons: string[];
  snapshots: SnapshotOutcome[];
  /** Dry run: the snapshots that would be deleted with the image. */
  wouldDeleteSnapshots?: string[];
  error?: string;
}

export interface RetentionReport {
  region: string;
  /** False when listing, the in-use check, a deregistration or a snapshot deletion failed. */
  ok: boolean;
  outcomes: RetentionOutcome[];
  warnings: string[];
  error?: string;
}

export interface ApplyRetentionInput {
  region: string;
  profileName: string;
  keep: number;
  protect?: Iterable<string>;
  /** Plan and report, delete nothing. */
  dryRun?: boolean;
}

/**
 * Lists the profile's images in the region, plans, and deletes: deregister first, and only
 * once that succeeded, the snapshots of that image (no other snapshot is ever touched).
 * Throws when the images or what uses them cannot be listed: then nothing was deleted.
 */
export async function applyRetention(factory: Ec2Factory, input: ApplyRetentionInput): Promise<RetentionReport> {
  const { region, keep } = input;
  const ec2 = factory(region);
  const protect = new Set(input.protect ?? []);
  const images = await listProfileImages(ec2, region, input.profileName);
  // Nothing older than N: no need to ask what is in use.
  let plan = planRetention(images, keep, new Map(), { protect });
  const candidates = plan.filter((d) => d.action === 'delete').map((d) => d.image.imageId);
  const warnings: string[] = [];
  if (candidates.length > 0) {
    const inUse = await findImagesInUse(ec2, region, candidates);
    warnings.push(...inUse.unresolved.map((u) => `${u}: nothing deleted in ${region}, since that image cannot be known`));
    plan = planRetention(images, keep, inUse.uses, { protect, blocked: inUse.unresolved.length > 0 ? ['a launch template names an image through an SSM parameter EC2 did not resolve'] : [] });
  }

  const outcomes: RetentionOutcome[] = [];
  for (const d of plan) {
    const outcome: RetentionOutcome = { imageId: d.image.imageId, name: d.image.name, creationDate: d.image.creationDate, state: d.image.state, action: 'kept', reasons: d.reasons, snapshots: [] };
    outcomes.push(outcome);
    if (d.action === 'keep') continue;
    if (input.dryRun) {
      outcome.action = 'would-delete';
      outcome.wouldDeleteSnapshots = [...d.image.snapshotIds];
      continue;
    }
    try {
      await ec2.send(new DeregisterImageCommand({ ImageId: d.image.imageId }));
    } catch (err) {
      outcome.action = 'failed';
      outcome.error = `DeregisterImage ${d.image.imageId}: ${awsErrorText(err)}; its snapshots were left alone`;
      continue;
    }
    outcome.action = 'deleted';
    for (const snapshotId of d.image.snapshotIds) {
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
        outcome.snapshots.push({ snapshotId, deleted: true });
      } catch (err) {
        outcome.snapshots.push({ snapshotId, deleted: false, error: `DeleteSnapshot ${snapshotId}: ${awsErrorText(err)}` });
      }
    }
  }
  const ok = outcomes.every((o) => o.action !== 'failed' && o.snapshots.every((s) => s.deleted));
  return { region, ok, outcomes, warnings };
}

/** Every region at once; a region that could not be handled reports its error, the others go on. */
export async function applyRetentionInRegions(factory: Ec2Factory, regions: string[], input: Omit<ApplyRetentionInput, 'region'>): Promise<RetentionReport[]> {
  const settled = await Promise.allSettled(regions.map((region) => applyRetention(factory, { ...input, region })));
  return settled.map((s, i) =>
    s.status === 'fulfilled' ? s.value : { region: regions[i]!, ok: false, outcomes: [], warnings: [], error: s.reason instanceof Error ? s.reason.message : String(s.reason) },
  );
}

export function formatRetention(reports: RetentionReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.error) {
      lines.push(`${r.region}: ERROR ${r.error} (nothing deleted)`);
      continue;
    }
    lines.push(`${r.region}:`);
    for (const o of r.outcomes) {
      lines.push(`  ${o.action.padEnd(12)} ${o.imageId}  ${o.creationDate}  ${o.name}: ${o.reasons.join('; ')}${o.error ? `: ${o.error}` : ''}`);
      for (const s of o.snapshots) lines.push(`    snapshot ${s.snapshotId} ${s.deleted ? 'deleted' : `NOT deleted: ${s.error}`}`);
      for (const s of o.wouldDeleteSnapshots ?? []) lines.push(`    snapshot ${s} would be deleted`);
    }
    for (const w of r.warnings) lines.push(`  warning: ${w}`);
  }
  return `${lines.join('\n')}\n`;
}
