// The base AMI: the most recent available image of the OS publisher's account that matches
// the OS module's name pattern (Canonical, 099720109477, jammy for ubuntu-22.04). Resolved
// once per build so the build record holds the exact id Packer started from.
import { paginateDescribeImages, type EC2Client } from '@aws-sdk/client-ec2';
import { AwsStepError, step } from './client.js';
import { imageInfo, newestFirst } from './images.js';

export interface BaseImageQuery {
  owner: string;
  namePattern: string;
  architecture?: 'x86_64' | 'arm64';
}

export interface BaseImage {
  imageId: string;
  name: string;
  creationDate: string;
  owner: string;
  region: string;
}

export async function resolveBaseImage(ec2: EC2Client, query: BaseImageQuery): Promise<BaseImage> {
  const region = await ec2.config.region();
  const architecture = query.architecture ?? 'x86_64';
  const found = await step(`looking up the base image ${query.namePattern} of ${query.owner}`, region, async () => {
    const images = [];
    const pages = paginateDescribeImages(
      { client: ec2 },
      {
        Owners: [query.owner],
        Filters: [
          { Name: 'name', Values: [query.namePattern] },
          { Name: 'state', Values: ['available'] },
          { Name: 'architecture', Values: [architecture] },
          { Name: 'root-device-type', Values: ['ebs'] },
          { Name: 'virtualization-type', Values: ['hvm'] },
        ],
      },
    );
    for await (const page of pages) for (const image of page.Images ?? []) images.push(imageInfo(region, image));
    return images;
  });
  // The filters already say so; checked again because a base image is trusted with everything.
  const usable = found.filter((i) => i.state === 'available' && i.imageId !== '');
  const newest = newestFirst(usable)[0];
  if (!newest) {
    throw new AwsStepError(
      `no available ${architecture} EBS/HVM image owned by ${query.owner} matches ${JSON.stringify(query.namePattern)} in ${region}; check the OS module's awsBaseImage, and that the region is enabled for this account`,
      'base-image.none',
    );
  }
  return { imageId: newest.imageId, name: newest.name, creationDate: newest.creationDate, owner: query.owner, region };
}
