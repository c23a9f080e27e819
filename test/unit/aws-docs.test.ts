// docs/aws.md lists exactly the EC2 actions cocca-bake's code calls: derived here from the
// commands, paginators and waiters generator/aws/*.ts imports from @aws-sdk/client-ec2.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './profile-helpers.js';

const AWS_DIR = path.join(REPO, 'generator/aws');
const DOC = readFileSync(path.join(REPO, 'docs/aws.md'), 'utf8');

/** Waiters poll one API; each one the code may use must be listed here. */
const WAITER_ACTIONS: Record<string, string> = { waitUntilImageAvailable: 'DescribeImages', waitUntilImageExists: 'DescribeImages', waitUntilSnapshotCompleted: 'DescribeSnapshots' };

/** The EC2 API actions a source file can call: the names it imports from the SDK. */
function ec2Actions(source: string): string[] {
  const actions: string[] = [];
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-ec2'/g)) {
    for (const raw of m[1]!.split(',')) {
      if (raw.trim().startsWith('type ')) continue;
      const name = raw.trim().split(/\s+as\s+/)[0]!;
      const command = /^(\w+)Command$/.exec(name);
      const paginator = /^paginate(\w+)$/.exec(name);
      if (command) actions.push(command[1]!);
      else if (paginator) actions.push(paginator[1]!);
      else if (name.startsWith('waitUntil') || name.startsWith('waitFor')) {
        const a = WAITER_ACTIONS[name.replace(/^waitFor/, 'waitUntil')];
        if (!a) throw new Error(`the waiter ${name} is not mapped to its API in aws-docs.test.ts`);
        actions.push(a);
      }
    }
  }
  return actions;
}

function codeActions(): string[] {
  const files = readdirSync(AWS_DIR).filter((f) => f.endsWith('.ts'));
  return [...new Set(files.flatMap((f) => ec2Actions(readFileSync(path.join(AWS_DIR, f), 'utf8'))))].map((a) => `ec2:${a}`).sort();
}

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string | string[];
}

function policy(): { Version: string; Statement: Statement[] } {
  const m = /<!-- iam-policy -->\n```json\n([\s\S]*?)\n```/.exec(DOC);
  if (!m) throw new Error('docs/aws.md has no <!-- iam-policy --> JSON block');
  return JSON.parse(m[1]!) as { Version: string; Statement: Statement[] };
}

describe('docs/aws.md IAM policy', () => {
  it('finds the EC2 calls in the code (the extraction itself works)', () => {
    expect(ec2Actions("import {\n  CopyImageCommand,\n  paginateDescribeInstances,\n  type EC2Client,\n  waitUntilImageAvailable,\n} from '@aws-sdk/client-ec2';")).toEqual(['CopyImage', 'DescribeInstances', 'DescribeImages']);
    expect(ec2Actions("import { type DescribeImagesCommandInput } from '@aws-sdk/client-ec2';")).toEqual([]);
    const actions = codeActions();
    expect(actions).toContain('ec2:CopyImage');
    expect(actions).toContain('ec2:DescribeLaunchTemplateVersions');
    expect(actions.length).toBeGreaterThanOrEqual(10);
  });

  it('is one valid policy document without repeated actions', () => {
    const p = policy();
    expect(p.Version).toBe('2012-10-17');
    for (const s of p.Statement) {
      expect(s.Effect).toBe('Allow');
      expect(new Set(s.Action).size, s.Sid).toBe(s.Action.length);
      for (const a of s.Action) expect(a, s.Sid).toMatch(/^(ec2|kms):[A-Z][A-Za-z]*\*?$/);
    }
  });

  it('the CoccaBake statement lists exactly the EC2 actions generator/aws calls', () => {
    const stmt = policy().Statement.find((s) => s.Sid === 'CoccaBake');
    expect(stmt).toBeDefined();
    expect([...stmt!.Action].sort()).toEqual(codeActions());
  });

  it('explains every one of them in the table', () => {
    for (const action of codeActions()) expect(DOC, action).toMatch(new RegExp(`^\\| \`${action.replace(/[:*]/g, '\\$&')}\` \\| \\S`, 'm'));
  });

  it('lets Packer look up the networking filters (subnetFilter, vpcFilter, securityGroupFilter)', () => {
    const packer = policy().Statement.find((s) => s.Sid === 'PackerAmazonEbs')!;
    for (const a of ['ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups']) expect(packer.Action).toContain(a);
  });

  it('gives connect: session-manager its own statement: the instance profile, its role only, the session', () => {
    const m = /<!-- iam-policy-session-manager -->\n\s*```json\n([\s\S]*?)\n\s*```/.exec(DOC);
    expect(m, 'docs/aws.md has no <!-- iam-policy-session-manager --> JSON block').not.toBeNull();
    const s = JSON.parse(m![1]!) as Statement;
    expect(s.Effect).toBe('Allow');
    expect([...s.Action].sort()).toEqual(['iam:GetInstanceProfile', 'iam:PassRole', 'ssm:StartSession', 'ssm:TerminateSession']);
    // PassRole on every role would let the builder hand any role to an instance.
    expect(s.Resource).not.toContain('*');
    expect(s.Resource).toEqual(expect.arrayContaining([expect.stringMatching(/^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/), expect.stringMatching(/^arn:aws:iam::\d{12}:instance-profile\//)]));
  });

  it('keeps the Packer amazon-ebs statement, and the KMS actions encrypted copies need', () => {
    const p = policy();
    const packer = p.Statement.find((s) => s.Sid === 'PackerAmazonEbs')!;
    for (const a of ['ec2:RunInstances', 'ec2:CreateImage', 'ec2:RegisterImage', 'ec2:CreateKeyPair', 'ec2:DeleteKeyPair', 'ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup', 'ec2:TerminateInstances']) {
      expect(packer.Action).toContain(a);
    }
    const kms = p.Statement.find((s) => s.Sid === 'EncryptedImagesWithACustomerKey')!;
    expect([...kms.Action].sort()).toEqual(['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']);
  });
});
