// A loopback stand-in for the one EC2 call a build makes before Packer runs (DescribeRegions,
// the region preflight), so the real CLI can build an AWS target against the Packer stand-in
// without reaching AWS. Any other call is recorded and refused: an interrupted build must make none.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RegionsServer {
  env: Record<string, string>;
  actions: string[];
  close(): Promise<void>;
}

const REGIONS = ['af-south-1', 'eu-west-1', 'eu-central-1', 'us-east-1'];

export async function startRegionsServer(): Promise<RegionsServer> {
  const actions: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '?';
      actions.push(action);
      if (action !== 'DescribeRegions') {
        res.writeHead(400, { 'content-type': 'text/xml' }).end(`<Response><Errors><Error><Code>UnsupportedOperation</Code><Message>${action} is not served here</Message></Error></Errors><RequestID>t</RequestID></Response>`);
        return;
      }
      const items = REGIONS.map((r) => `<item><regionName>${r}</regionName><regionEndpoint>ec2.${r}.amazonaws.com</regionEndpoint><optInStatus>opted-in</optInStatus></item>`).join('');
      res.writeHead(200, { 'content-type': 'text/xml' }).end(`<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>t</requestId><regionInfo>${items}</regionInfo></DescribeRegionsResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    actions,
    env: {
      AWS_ENDPOINT_URL_EC2: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
