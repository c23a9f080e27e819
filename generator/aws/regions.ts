// Before a build: every region the profile names exists and is enabled for this account.
// af-south-1 (Cape Town) and other newer regions are opt-in: a copy there fails late, after
// the whole build, unless this is checked first.
import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { step } from './client.js';

export interface RegionProblem {
  region: string;
  problem: string;
}

export async function checkRegions(ec2: EC2Client, regions: string[]): Promise<RegionProblem[]> {
  const asked = await ec2.config.region();
  const out = await step('DescribeRegions', asked, () => ec2.send(new DescribeRegionsCommand({ AllRegions: true })));
  const known = new Map((out.Regions ?? []).flatMap((r) => (r.RegionName ? [[r.RegionName, r.OptInStatus ?? 'opt-in-not-required'] as const] : [])));
  const problems: RegionProblem[] = [];
  for (const region of new Set(regions)) {
    const status = known.get(region);
    if (status === undefined) problems.push({ region, problem: `${region} is not an AWS region this account can see` });
    else if (status === 'not-opted-in') problems.push({ region, problem: `${region} is an opt-in region not enabled for this account: enable it under Account > AWS Regions, then wait until it shows Enabled` });
  }
  return problems;
}
