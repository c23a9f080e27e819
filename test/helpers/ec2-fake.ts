// A small in-memory EC2 per region, wired through aws-sdk-client-mock (one mocked client instance
// per region): images with states, launch permissions, tags, copies that go pending -> available
// (or failed) after a few polls, snapshot progress, deregistration. AWS cannot be had here; this
// stand-in is what the publish, resume and build tests run against. Not a test file itself.
import {
  CopyImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyImageAttributeCommand,
  type CopyImageCommandInput,
  type DescribeImagesCommandInput,
  type Image,
  type LaunchPermission,
  type ModifyImageAttributeCommandInput,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, expect } from 'vitest';
import type { Ec2Factory } from '../../generator/aws/client.js';

export const awsError = (name: string, message: string) => new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 1 }, message });

export interface FakeImage {
  id: string;
  name: string;
  state: string;
  stateReason?: string;
  snapshots: string[];
  encrypted: boolean;
  tags: Record<string, string>;
  perms: LaunchPermission[];
  imds?: string;
  created: string;
  /** Polls by id left before a pending image reaches endState. */
  pollsLeft: number;
  endState: 'available' | 'failed';
}

export const permText = (p: LaunchPermission) => (p.UserId ? `account ${p.UserId}` : p.Group ? `group ${p.Group}` : `org ${p.OrganizationArn ?? p.OrganizationalUnitArn}`);

/** Everything any fake region did, in order, across regions. */
export const events: string[] = [];
const restore: Array<() => void> = [];
// Outside vitest (bench/report.ts builds its records with this fake) there is no test to reset after.
if (process.env.VITEST) {
  afterEach(() => {
    for (const r of restore.splice(0)) r();
    events.splice(0);
  });
}

export class FakeRegion {
  readonly client: EC2Client;
  readonly mock: AwsClientStub<EC2Client>;
  readonly images = new Map<string, FakeImage>();
  readonly snapshotTags = new Map<string, Record<string, string>>();
  readonly tokens = new Map<string, string>();
  readonly deletedSnapshots: string[] = [];
  copyError?: Error;
  copyEnds: 'available' | 'failed' = 'available';
  copyPolls = 2;
  snapshotPolls = 0;
  /** Thrown once by the next CreateTags / DeregisterImage. */
  tagError?: Error;
  deregisterError?: Error;
  private seq = 0;

  constructor(readonly region: string) {
    this.client = new EC2Client({ region, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } });
    this.mock = mockClient(this.client);
    restore.push(() => this.mock.restore());
    this.mock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => this.describeImages(input));
    this.mock.on(DescribeImageAttributeCommand).callsFake((input: { ImageId: string }) => ({ ImageId: input.ImageId, LaunchPermissions: structuredClone(this.get(input.ImageId).perms) }));
    this.mock.on(ModifyImageAttributeCommand).callsFake((input: ModifyImageAttributeCommandInput) => this.modify(input));
    this.mock.on(CreateTagsCommand).callsFake((input: { Resources: string[]; Tags: Array<{ Key: string; Value: string }> }) => {
      if (this.tagError) {
        const e = this.tagError;
        this.tagError = undefined;
        throw e;
      }
      for (const r of input.Resources) {
        const tags = Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value]));
        if (r.startsWith('ami-')) Object.assign(this.get(r).tags, tags);
        else this.snapshotTags.set(r, { ...this.snapshotTags.get(r), ...tags });
      }
      events.push(`${this.region} CreateTags ${input.Resources.join(',')}`);
      return {};
    });
    this.mock.on(DescribeSnapshotsCommand).callsFake((input: { SnapshotIds: string[] }) => {
      this.snapshotPolls += 1;
      const image = (snap: string) => this.live().find((i) => i.snapshots.includes(snap));
      return {
        Snapshots: input.SnapshotIds.map((s) => {
          const i = image(s);
          const done = !i || i.state !== 'pending' ? 100 : Math.round((100 * (this.copyPolls - i.pollsLeft)) / (this.copyPolls + 1));
          return { SnapshotId: s, State: done === 100 ? 'completed' : 'pending', Progress: `${done}%` };
        }),
      };
    });
    this.mock.on(CopyImageCommand).callsFake((input: CopyImageCommandInput) => this.copy(input));
    // No instance and no launch template uses any image here.
    this.mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    this.mock.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    this.mock.on(DeregisterImageCommand).callsFake((input: { ImageId: string }) => {
      if (this.deregisterError) {
        const e = this.deregisterError;
        this.deregisterError = undefined;
        throw e;
      }
      this.get(input.ImageId).state = 'deregistered';
      events.push(`${this.region} DeregisterImage ${input.ImageId}`);
      return {};
    });
    this.mock.on(DeleteSnapshotCommand).callsFake((input: { SnapshotId: string }) => {
      this.deletedSnapshots.push(input.SnapshotId);
      events.push(`${this.region} DeleteSnapshot ${input.SnapshotId}`);
      return {};
    });
  }

  add(image: Partial<FakeImage> & { id: string }): FakeImage {
    const full: FakeImage = { name: `cocca-za-${image.id}`, state: 'available', snapshots: [`snap-${image.id.slice(4)}`], encrypted: true, tags: {}, perms: [], created: '2024-05-01T10:00:00.000Z', pollsLeft: 0, endState: 'available', ...image };
    this.images.set(full.id, full);
    return full;
  }

  get(id: string): FakeImage {
    const image = this.images.get(id);
    if (!image || image.state === 'deregistered') throw awsError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
    return image;
  }

  live(): FakeImage[] {
    return [...this.images.values()].filter((i) => i.state !== 'deregistered');
  }

  private toImage(f: FakeImage): Image {
    return {
      ImageId: f.id,
      Name: f.name,
      State: f.state as Image['State'],
      ...(f.stateReason ? { StateReason: { Code: 'x', Message: f.stateReason } } : {}),
      CreationDate: f.created,
      Tags: Object.entries(f.tags).map(([Key, Value]) => ({ Key, Value })),
      BlockDeviceMappings: f.snapshots.map((s, i) => ({ DeviceName: i === 0 ? '/dev/sda1' : `/dev/sd${'bcdef'[i - 1]}`, Ebs: { SnapshotId: s, Encrypted: f.encrypted } })),
      Public: f.perms.some((p) => p.Group === 'all'),
      ...(f.imds ? { ImdsSupport: f.imds as Image['ImdsSupport'] } : {}),
    };
  }

  private describeImages(input: DescribeImagesCommandInput) {
    if (input.ImageIds) {
      const found = input.ImageIds.map((id) => this.get(id));
      for (const f of found) {
        if (f.state === 'pending' && f.pollsLeft-- <= 0) {
          f.state = f.endState;
          if (f.endState === 'failed') f.stateReason = 'Copy failed: snapshot copy error';
        }
      }
      return { Images: found.map((f) => this.toImage(f)) };
    }
    expect(input.Owners).toEqual(['self']);
    const tagFilters = (input.Filters ?? []).filter((f) => f.Name?.startsWith('tag:'));
    const hits = this.live().filter((i) => tagFilters.every((f) => f.Values?.includes(i.tags[f.Name!.slice(4)] ?? '\0')));
    return { Images: hits.map((f) => this.toImage(f)) };
  }

  private modify(input: ModifyImageAttributeCommandInput) {
    const image = this.get(input.ImageId!);
    if (input.ImdsSupport) {
      image.imds = input.ImdsSupport.Value;
      events.push(`${this.region} imds ${input.ImageId}`);
    }
    for (const p of input.LaunchPermission?.Remove ?? []) {
      if (p.Group === 'all' || p.UserId || p.OrganizationArn) image.perms = image.perms.filter((q) => permText(q) !== permText(p));
      events.push(`${this.region} remove ${permText(p)}`);
    }
    for (const p of input.LaunchPermission?.Add ?? []) {
      if (p.Group === 'all' && image.encrypted) throw awsError('InvalidParameter', 'encrypted snapshots cannot be public');
      if (!image.perms.some((q) => permText(q) === permText(p))) image.perms.push(p);
      events.push(`${this.region} add ${permText(p)}`);
    }
    return {};
  }

  private copy(input: CopyImageCommandInput) {
    events.push(`${this.region} CopyImage`);
    if (this.copyError) throw this.copyError;
    const token = input.ClientToken;
    if (token && this.tokens.has(token)) return { ImageId: this.tokens.get(token) };
    if (this.live().some((i) => i.name === input.Name)) throw awsError('InvalidAMIName.Duplicate', `AMI name ${input.Name} is already in use by AMI ami-0packer`);
    this.seq += 1;
    const id = `ami-${this.region.replace(/-/g, '')}${this.seq}`;
    const tagsOf = (type: string) => Object.fromEntries((input.TagSpecifications ?? []).filter((t) => t.ResourceType === type).flatMap((t) => t.Tags ?? []).map((t) => [t.Key!, t.Value!]));
    const image = this.add({ id, name: input.Name!, state: 'pending', pollsLeft: this.copyPolls, endState: this.copyEnds, encrypted: input.Encrypted === true, tags: tagsOf('image'), snapshots: [`snap-${id.slice(4)}`] });
    this.snapshotTags.set(image.snapshots[0]!, tagsOf('snapshot'));
    if (token) this.tokens.set(token, id);
    return { ImageId: id };
  }

  copies(): Array<CopyImageCommandInput> {
    return this.mock.commandCalls(CopyImageCommand).map((c) => c.args[0].input);
  }
}

export function world(...names: string[]): { factory: Ec2Factory; r: Record<string, FakeRegion> } {
  const r: Record<string, FakeRegion> = {};
  for (const n of names) r[n] = new FakeRegion(n);
  return {
    r,
    factory: (region) => {
      const f = r[region];
      if (!f) throw new Error(`unexpected region ${region}`);
      return f.client;
    },
  };
}

