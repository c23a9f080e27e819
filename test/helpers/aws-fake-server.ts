// The AWS fake (aws-fake.ts) as a process of its own, for a test that needs it inside a network
// namespace it made (the sandbox of test/real/sandbox.ts): `node --import tsx aws-fake-server.ts
// OPTIONS_JSON` prints {"imdsUrl","apiUrl","caFile"} as one line, then serves until SIGTERM.
import { startAwsFake, type AwsFakeOptions } from './aws-fake.js';

const fake = await startAwsFake(JSON.parse(process.argv[2] ?? '{}') as AwsFakeOptions);
process.stdout.write(`${JSON.stringify({ imdsUrl: fake.imdsUrl, apiUrl: fake.apiUrl, caFile: fake.caFile })}\n`);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
