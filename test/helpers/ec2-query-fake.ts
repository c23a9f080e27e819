// A loopback stand-in for EC2's Query API, for tests of the built CLI as a separate process
// (aws-sdk-client-mock reaches only this process): the SDK is pointed at it with
// AWS_ENDPOINT_URL_EC2. It answers the calls retention makes (DescribeImages by profile tag,
// DescribeInstances, DescribeLaunchTemplates, DeregisterImage, DeleteSnapshot) and the build's
// region check (DescribeRegions: eu-west-1 and us-east-1) in EC2's XML,
// per region as the request's SigV4 credential scope names it, and records every call.
// Not a test file itself.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QueryImage {
  id: string;
  name: string;
  created: string;
  snapshots: string[];
  tags: Record<string, string>;
}

export interface QueryFake {
  url: string;
  /** "REGION Action ImageId/SnapshotId" for every call. */
  calls: string[];
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function imageXml(i: QueryImage): string {
  const bdm = i.snapshots.map((s, n) => `<item><deviceName>/dev/sd${'abcdef'[n]}1</deviceName><ebs><snapshotId>${s}</snapshotId><encrypted>true</encrypted></ebs></item>`).join('');
  const tags = Object.entries(i.tags).map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`).join('');
  return `<item><imageId>${i.id}</imageId><name>${esc(i.name)}</name><imageState>available</imageState><creationDate>${i.created}</creationDate><isPublic>false</isPublic><blockDeviceMapping>${bdm}</blockDeviceMapping><tagSet>${tags}</tagSet></item>`;
}

export async function startQueryFake(images: Record<string, QueryImage[]>): Promise<QueryFake> {
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/ec2\//.exec(String(req.headers.authorization))?.[1] ?? '?';
      const action = form.get('Action') ?? '?';
      const live = (images[region] ??= []);
      const reply = (body: string, status = 200) => {
        res.writeHead(status, { 'Content-Type': 'text/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
      };
      const ok = (inner: string) => reply(`<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId>${inner}</${action}Response>`);
      switch (action) {
        case 'DescribeImages': {
          calls.push(`${region} DescribeImages`);
          // Filter.1 is the profile tag (listProfileImages): the only listing retention makes.
          const want = form.get('Filter.1.Value.1');
          return ok(`<imagesSet>${live.filter((i) => i.tags['cocca-bake:profile'] === want).map(imageXml).join('')}</imagesSet>`);
        }
        case 'DescribeRegions':
          calls.push(`${region} DescribeRegions`);
          return ok(`<regionInfo>${['eu-west-1', 'us-east-1'].map((r) => `<item><regionName>${r}</regionName><regionEndpoint>ec2.${r}.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>`).join('')}</regionInfo>`);
        case 'DescribeInstances':
          calls.push(`${region} DescribeInstances`);
          return ok('<reservationSet/>');
        case 'DescribeLaunchTemplates':
          calls.push(`${region} DescribeLaunchTemplates`);
          return ok('<launchTemplates/>');
        case 'DeregisterImage': {
          const id = form.get('ImageId') ?? '';
          calls.push(`${region} DeregisterImage ${id}`);
          images[region] = live.filter((i) => i.id !== id);
          return ok('<return>true</return>');
        }
        case 'DeleteSnapshot':
          calls.push(`${region} DeleteSnapshot ${form.get('SnapshotId')}`);
          return ok('<return>true</return>');
        default:
          calls.push(`${region} ${action} (unexpected)`);
          return reply(`<Response><Errors><Error><Code>InvalidAction</Code><Message>${esc(action)} is not faked</Message></Error></Errors><RequestID>r-1</RequestID></Response>`, 400);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
