// generator/components/firstboot/cocca-secrets, the real script with the real curl and jq, against the local
// fake of IMDSv2, SSM and Secrets Manager in test/helpers/aws-fake.ts (which verifies every
// SigV4 signature with the AWS SDK's signer). Every run gets a HOME whose .curlrc says
// `insecure` and an http_proxy that goes nowhere: the script must ignore both (curl -q, and
// --noproxy for IMDS), or TLS verification and the IMDS calls would not be what they seem.
import { SignatureV4 } from '@smithy/signature-v4';
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSha256, createThrowawayCa, startAwsFake, type AwsFake, type AwsFakeOptions, type FakeCredentials } from '../helpers/aws-fake.js';
import { hasTool, shellcheck, whichTool } from './tools.js';

const SCRIPT = path.resolve('generator/components/firstboot/cocca-secrets');
const IN_CI = process.env.CI === 'true';

/** Skip reason when tools are missing outside CI; in CI (CI=true) a missing tool fails instead. */
async function unavailable(...tools: string[]): Promise<string | undefined> {
  if (IN_CI) return undefined;
  const missing = [];
  for (const t of tools) if (!(await hasTool(t))) missing.push(t);
  return missing.length > 0 ? `needs ${missing.join(', ')} (apt-get install -y ${missing.join(' ')})` : undefined;
}
const SKIP = await unavailable('curl', 'jq', 'openssl', 'sha256sum', 'od');
const SKIP_SHELLCHECK = await unavailable('shellcheck');
const title = (t: string, skip: string | undefined) => (skip ? `${t} [skipped: ${skip}]` : t);

const REGION = 'af-south-1';
const ACCOUNT = '123456789012';
const PREFIX = `/cocca/${REGION}/`;
const SECRET_ID = 'cocca/prod';
const VALUES: Record<string, string> = {
  SOURCE_KEYSTORE_PASSWORD: `src "quoted" $HOME \\ back=slash 'single'`,
  KEYSTORE_JKS: Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256)).toString('base64'),
  POSTGRES_PASSWORD: 'pg pw with spaces #1',
};
const NAMES = 'SOURCE_KEYSTORE_PASSWORD KEYSTORE_JKS POSTGRES_PASSWORD';
const EXPECTED_FILE = ['KEYSTORE_JKS', 'POSTGRES_PASSWORD', 'SOURCE_KEYSTORE_PASSWORD'].map((n) => `${n}=${VALUES[n]}\n`).join('');
/** The resource ARN forms the docs give for the instance role's policy. */
const SSM_POLICY_ARN = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${PREFIX}*`;
const SM_POLICY_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${SECRET_ID}-??????`;

const ssmParameters = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [PREFIX + k, v]));

interface Source {
  name: 'aws-ssm' | 'aws-secretsmanager';
  env: Record<string, string>;
  /** Fake options holding `values` where this source keeps them. */
  store(values: Record<string, string>): AwsFakeOptions;
  policyArn: string;
  target: string;
  /** How the script names a missing required NAME. */
  missingName(name: string): string;
}
const SSM: Source = {
  name: 'aws-ssm',
  env: { COCCA_SECRETS_SOURCE: 'aws-ssm', COCCA_SECRETS_PARAMETER_PATH: PREFIX },
  store: (values) => ({ parameters: { ...ssmParameters(values), '/cocca/elsewhere/POSTGRES_PASSWORD': 'not-this-one' } }),
  policyArn: SSM_POLICY_ARN,
  target: 'AmazonSSM.GetParameters',
  missingName: (n) => PREFIX + n,
};
const SM: Source = {
  name: 'aws-secretsmanager',
  env: { COCCA_SECRETS_SOURCE: 'aws-secretsmanager', COCCA_SECRETS_ID: SECRET_ID },
  // OTHER is not wanted: its non-string value is none of the script's business.
  store: (values) => ({ secrets: { [SECRET_ID]: JSON.stringify({ ...values, OTHER: 42 }) } }),
  policyArn: SM_POLICY_ARN,
  target: 'secretsmanager.GetSecretValue',
  missingName: (n) => n,
};

let work = '';
let home = '';
/** PATH dirs holding a `curl` that records the argv it is given (curl blanks its -u argument
 * in its own argv soon after it starts, so /proc alone would miss a --user on the command line),
 * then runs the real curl; the 7.81 one also claims to be Ubuntu 22.04's curl 7.81.0 and refuses
 * --aws-sigv4, so a run that passes through it proves the script signed in bash. */
let loggingCurlBin = '';
let oldCurlBin = '';

async function curlStandIn(dir: string, realCurl: string, pretend781: boolean): Promise<string> {
  await fs.mkdir(dir);
  const pretend = pretend781
    ? `if [ "\${1:-}" = --version ]; then echo 'curl 7.81.0 (x86_64-pc-linux-gnu) libcurl/7.81.0 OpenSSL/3.0.2'; exit 0; fi
for a in "$@"; do [ "$a" != --aws-sigv4 ] || { echo 'curl 7.81 stand-in: --aws-sigv4 must not be used' >&2; exit 2; }; done
`
    : '';
  await fs.writeFile(path.join(dir, 'curl'), `#!/bin/bash
{ printf '%s\\0' "$@"; echo; } >>'${dir}/argv.log'
${pretend}exec '${realCurl}' "$@"
`, { mode: 0o755 });
  return dir;
}

/** The argv of every curl started through a stand-in since the last call. */
async function curlArgvs(dir: string): Promise<string[][]> {
  const log = path.join(dir, 'argv.log');
  const text = await fs.readFile(log, 'utf8').catch(() => '');
  await fs.rm(log, { force: true });
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\0').slice(0, -1));
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-secrets-test-'));
  home = path.join(work, 'home');
  await fs.mkdir(home);
  await fs.writeFile(path.join(home, '.curlrc'), 'insecure\n');
  const realCurl = (await whichTool('curl')) ?? '/usr/bin/curl';
  loggingCurlBin = await curlStandIn(path.join(work, 'curl-logging'), realCurl, false);
  oldCurlBin = await curlStandIn(path.join(work, 'curl-7.81'), realCurl, true);
});
afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

interface RunResult {
  code: number | undefined;
  stderr: string;
  /** OUT_FILE's content afterwards (undefined: absent). */
  out: string | undefined;
  outMode: number | undefined;
  /** Files left in OUT_FILE's directory and in TMPDIR besides OUT_FILE. */
  leftovers: string[];
}

interface RunOptions {
  /** OUT_FILE's content before the run. */
  before?: string;
  /** Prepended to PATH (a curl stand-in). */
  pathPrefix?: string;
  /** No COCCA_AWS_CA_BUNDLE (unless env gives one). */
  noCa?: boolean;
}

async function runSecrets(fake: AwsFake, env: Record<string, string>, opts: RunOptions = {}): Promise<RunResult> {
  const dir = await fs.mkdtemp(path.join(work, 'run-'));
  const outDir = path.join(dir, 'etc');
  const tmp = path.join(dir, 'tmp');
  await fs.mkdir(outDir);
  await fs.mkdir(tmp);
  const outFile = path.join(outDir, 'secrets.env');
  if (opts.before !== undefined) await fs.writeFile(outFile, opts.before, { mode: 0o644 });
  const r = await execa(SCRIPT, [outFile], {
    reject: false,
    extendEnv: false,
    timeout: 50_000,
    stdin: 'ignore',
    env: {
      PATH: `${opts.pathPrefix ? `${opts.pathPrefix}:` : ''}/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      TMPDIR: tmp,
      LANG: 'C.UTF-8',
      http_proxy: 'http://127.0.0.1:9',
      COCCA_IMDS_ENDPOINT: fake.imdsUrl,
      COCCA_AWS_ENDPOINT_URL: fake.apiUrl,
      ...(opts.noCa ? {} : { COCCA_AWS_CA_BUNDLE: fake.caFile }),
      COCCA_SECRETS_NAMES: NAMES,
      COCCA_SECRETS_REQUIRED: 'SOURCE_KEYSTORE_PASSWORD POSTGRES_PASSWORD',
      ...env,
    },
  });
  const out = await fs.readFile(outFile, 'utf8').catch(() => undefined);
  const outMode = await fs.stat(outFile).then(
    (s) => s.mode & 0o777,
    () => undefined,
  );
  const leftovers = [...(await fs.readdir(outDir)).filter((f) => f !== 'secrets.env'), ...(await fs.readdir(tmp))];
  return { code: r.exitCode, stderr: String(r.stderr), out, outMode, leftovers };
}

async function withFake<T>(options: AwsFakeOptions, fn: (fake: AwsFake) => Promise<T>): Promise<T> {
  const fake = await startAwsFake(options);
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

/** Every secret the run could leak: the role's credentials, the IMDS tokens, the values. */
function secretsOf(fake: AwsFake, values: Record<string, string> = VALUES): string[] {
  const { accessKeyId, secretAccessKey, sessionToken } = fake.credentials;
  return [accessKeyId, secretAccessKey, sessionToken, ...fake.imdsTokens, ...Object.values(values)].filter((s) => s.length >= 8);
}

/** stderr: only cocca[secrets] lines, no secret in them; returns the ERROR lines. */
function checkStderr(r: RunResult, fake: AwsFake, values: Record<string, string> = VALUES): string[] {
  const lines = r.stderr.split('\n').filter(Boolean);
  for (const line of lines) expect(line, r.stderr).toMatch(/^cocca\[secrets\]: /);
  for (const s of secretsOf(fake, values)) expect(r.stderr.includes(s), `a secret appears on stderr:\n${r.stderr}`).toBe(false);
  expect(r.leftovers, 'temporary files left behind').toEqual([]);
  return lines.filter((l) => l.startsWith('cocca[secrets]: ERROR: '));
}

/** A failed run: exit 1, exactly one ERROR line, which is returned. */
function failure(r: RunResult, fake: AwsFake, values: Record<string, string> = VALUES): string {
  expect(r.code, r.stderr).toBe(1);
  const errors = checkStderr(r, fake, values);
  expect(errors, r.stderr).toHaveLength(1);
  return errors[0]!;
}

const apiRequests = (fake: AwsFake) => fake.requests.filter((q) => q.server === 'api');
const imdsPaths = (fake: AwsFake) => fake.requests.filter((q) => q.server === 'imds').map((q) => `${q.method} ${q.path}`);

describe.skipIf(SKIP)(title('cocca-secrets against the AWS fake', SKIP), () => {
  describe.each([SSM, SM])('$name', (src) => {
    it('writes NAME=value lines sorted by name, mode 0600, replacing OUT_FILE', async () => {
      await withFake({ ...src.store(VALUES), allow: [src.policyArn] }, async (fake) => {
        const r = await runSecrets(fake, src.env, { before: 'OLD=1\n' });
        expect(r.code, r.stderr).toBe(0);
        checkStderr(r, fake);
        expect(r.out).toBe(EXPECTED_FILE);
        expect(r.outMode).toBe(0o600);
        expect(imdsPaths(fake)).toEqual([
          'PUT /latest/api/token',
          'GET /latest/meta-data/placement/region',
          'GET /latest/meta-data/iam/security-credentials/',
          'GET /latest/meta-data/iam/security-credentials/cocca-srs',
        ]);
        const api = apiRequests(fake);
        expect(api).toHaveLength(1);
        expect(api[0]!.headers['x-amz-target']).toBe(src.target);
        expect(api[0]!.signedHeaders).toEqual(['content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']);
        expect(api[0]!.headers['authorization']).toContain(`/${REGION}/${src.name === 'aws-ssm' ? 'ssm' : 'secretsmanager'}/aws4_request`);
        const body = JSON.parse(api[0]!.body) as unknown;
        expect(body).toEqual(
          src.name === 'aws-ssm'
            ? { Names: ['KEYSTORE_JKS', 'POSTGRES_PASSWORD', 'SOURCE_KEYSTORE_PASSWORD'].map((n) => PREFIX + n), WithDecryption: true }
            : { SecretId: SECRET_ID },
        );
      });
    });

    it('signs in bash, as the SDK does, under a curl older than 7.86 (Ubuntu 22.04: 7.81)', async () => {
      await withFake({ ...src.store(VALUES), allow: [src.policyArn] }, async (fake) => {
        const r = await runSecrets(fake, src.env, { pathPrefix: oldCurlBin });
        expect(r.code, r.stderr).toBe(0);
        checkStderr(r, fake);
        expect(r.stderr).toContain('signing: bash, curl 7.81.0');
        expect(r.out).toBe(EXPECTED_FILE);
        expect(apiRequests(fake).map((q) => q.signedHeaders?.join(';'))).toEqual(['content-type;host;x-amz-date;x-amz-security-token;x-amz-target']);
      });
    });

    it('fails on a missing required name, listing it, and leaves the old file alone', async () => {
      const { POSTGRES_PASSWORD: _, ...partial } = VALUES;
      await withFake(src.store(partial), async (fake) => {
        const r = await runSecrets(fake, { ...src.env, COCCA_SECRETS_NAMES: `${NAMES} TSIG_KEY`, COCCA_SECRETS_REQUIRED: 'POSTGRES_PASSWORD TSIG_KEY' }, { before: 'OLD=1\n' });
        const error = failure(r, fake);
        expect(error).toContain(src.missingName('POSTGRES_PASSWORD'));
        expect(error).toContain(src.missingName('TSIG_KEY'));
        expect(error).not.toContain('SOURCE_KEYSTORE_PASSWORD');
        expect(r.out).toBe('OLD=1\n');
        expect(r.outMode).toBe(0o644);
      });
    });

    it('is fine with an optional name missing, and says so', async () => {
      await withFake(src.store(VALUES), async (fake) => {
        const r = await runSecrets(fake, { ...src.env, COCCA_SECRETS_NAMES: `${NAMES} RDAP_API_KEY` });
        expect(r.code, r.stderr).toBe(0);
        checkStderr(r, fake);
        expect(r.stderr).toContain('not found (optional): RDAP_API_KEY');
        expect(r.out).toBe(EXPECTED_FILE);
      });
    });

    it("surfaces AccessDeniedException with AWS's message (action, principal, resource) and does not retry it", async () => {
      const allow = [src.name === 'aws-ssm' ? `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${PREFIX}SOURCE_*` : `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:other-*`];
      await withFake({ ...src.store(VALUES), allow }, async (fake) => {
        const r = await runSecrets(fake, src.env);
        const error = failure(r, fake);
        expect(error).toContain('AccessDeniedException');
        expect(error).toContain(`User: ${fake.principal} is not authorized to perform: `);
        expect(error).toContain(
          src.name === 'aws-ssm'
            ? `ssm:GetParameters on resource: arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${PREFIX}KEYSTORE_JKS`
            : `secretsmanager:GetSecretValue on resource: ${SECRET_ID}`,
        );
        expect(apiRequests(fake)).toHaveLength(1);
        expect(r.out).toBeUndefined();
      });
    });

    it('retries throttling and 5xx, signing each attempt anew, then succeeds', async () => {
      const faults = [
        { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
        { status: 503, type: 'ServiceUnavailable' },
      ];
      await withFake({ ...src.store(VALUES), faults }, async (fake) => {
        const r = await runSecrets(fake, src.env);
        expect(r.code, r.stderr).toBe(0);
        checkStderr(r, fake);
        expect(r.out).toBe(EXPECTED_FILE);
        expect(apiRequests(fake).map((q) => q.errorType ?? q.status)).toEqual(['ThrottlingException', 'ServiceUnavailable', 200]);
        expect(r.stderr).toContain('ThrottlingException; retry in 1s');
      });
    });

    it('refuses a value holding a newline, naming it but not printing any value', async () => {
      const parts = { a: 'pw-line-one', b: 'pw-line-two', c: 'pw-before-cr', d: 'pw-after-cr' };
      const values = { ...VALUES, POSTGRES_PASSWORD: `${parts.a}\n${parts.b}`, SOURCE_KEYSTORE_PASSWORD: `${parts.c}\r${parts.d}` };
      await withFake(src.store(values), async (fake) => {
        const r = await runSecrets(fake, src.env, { before: 'OLD=1\n' });
        const error = failure(r, fake, { ...values, ...parts });
        expect(error).toContain('the value of POSTGRES_PASSWORD SOURCE_KEYSTORE_PASSWORD holds a newline, carriage return or NUL');
        expect(r.out).toBe('OLD=1\n');
      });
    });
  });

  describe('credentials never on a command line', () => {
    /** Command lines and environments of every process, NUL separators shown as spaces. */
    async function processTexts(): Promise<{ pid: number; cmdline: string; environ: string }[]> {
      const found = [];
      for (const entry of await fs.readdir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const read = (f: string) => fs.readFile(`/proc/${entry}/${f}`, 'latin1').then((t) => t.replace(/\0/g, ' '), () => '');
        found.push({ pid: Number(entry), cmdline: await read('cmdline'), environ: await read('environ') });
      }
      return found;
    }

    it('the process scan finds a secret that is on a command line (control)', async () => {
      const marker = `cocca-secret-marker-${process.pid}`;
      // `read` is a builtin: bash itself waits (a `sleep` would be a child that outlives a kill).
      const child = execa('bash', ['-c', 'read -r -t 20 _ || true', marker], { reject: false, stdin: 'pipe' });
      try {
        await new Promise((r) => setTimeout(r, 200));
        const hits = (await processTexts()).filter((p) => p.cmdline.includes(marker));
        expect(hits.map((p) => p.pid)).toContain(child.pid);
      } finally {
        child.kill('SIGTERM');
        await child;
      }
    });

    it.each([
      ['curl --aws-sigv4', false],
      ['the bash signer', true],
    ])('finds no secret in the argv curl is started with, nor, while each request is held, in any command line (%s)', async (_what, old) => {
      const bin = old ? oldCurlBin : loggingCurlBin;
      await curlArgvs(bin);
      const leaks: string[] = [];
      let apiCurlSeen = 0;
      let secrets: string[] = [];
      await withFake(SSM.store(VALUES), async (fake) => {
        fake.options.hold = async (rec) => {
          for (const p of await processTexts()) {
            const isCurl = /(^|\/)curl /.test(p.cmdline);
            if (rec.server === 'api' && isCurl && p.cmdline.includes(fake.apiUrl)) apiCurlSeen++;
            for (const s of secretsOf(fake)) {
              if (p.cmdline.includes(s)) leaks.push(`pid ${p.pid} cmdline: ${p.cmdline.slice(0, 120)}`);
              if (isCurl && p.environ.includes(s)) leaks.push(`pid ${p.pid} environ`);
            }
          }
        };
        const r = await runSecrets(fake, SSM.env, { pathPrefix: bin });
        expect(r.code, r.stderr).toBe(0);
        checkStderr(r, fake);
        secrets = secretsOf(fake);
      });
      const argvs = await curlArgvs(bin);
      expect(argvs.filter((a) => a.includes('--config') && a.at(-1)?.startsWith('https://127.0.0.1:')), 'the API call went through the stand-in').toHaveLength(1);
      for (const argv of argvs) for (const s of secrets) if (argv.some((a) => a.includes(s))) leaks.push(`curl argv: ${argv.join(' ').slice(0, 160)}`);
      expect(apiCurlSeen, 'the API request was held while its curl ran').toBeGreaterThan(0);
      expect(leaks).toEqual([]);
    });
  });

  describe('IMDS', () => {
    it('takes the region from IMDS when none is given', async () => {
      await withFake({ ...SSM.store(VALUES), region: 'eu-south-2' }, async (fake) => {
        const r = await runSecrets(fake, SSM.env);
        expect(r.code, r.stderr).toBe(0);
        expect(imdsPaths(fake)).toContain('GET /latest/meta-data/placement/region');
        expect(apiRequests(fake)[0]!.headers['authorization']).toContain('/eu-south-2/ssm/aws4_request');
      });
    });

    it('uses COCCA_SECRETS_REGION when given, without asking IMDS', async () => {
      await withFake({ ...SSM.store(VALUES), region: 'eu-west-1', imdsRegion: REGION }, async (fake) => {
        const r = await runSecrets(fake, { ...SSM.env, COCCA_SECRETS_REGION: 'eu-west-1' });
        expect(r.code, r.stderr).toBe(0);
        expect(r.out).toBe(EXPECTED_FILE);
        expect(imdsPaths(fake)).not.toContain('GET /latest/meta-data/placement/region');
      });
    });

    it('surfaces the API refusing a credential scoped to another region', async () => {
      await withFake(SSM.store(VALUES), async (fake) => {
        const r = await runSecrets(fake, { ...SSM.env, COCCA_SECRETS_REGION: 'eu-west-1' });
        expect(failure(r, fake)).toContain("InvalidSignatureException: Credential should be scoped to a valid region, not 'eu-west-1'.");
        expect(apiRequests(fake)).toHaveLength(1);
      });
    });

    it('says there is no instance profile, and how to attach one', async () => {
      await withFake({ ...SSM.store(VALUES), role: null }, async (fake) => {
        const r = await runSecrets(fake, SSM.env);
        const error = failure(r, fake);
        expect(error).toContain('this instance has no IAM role');
        expect(error).toContain('no instance profile');
        expect(error).toContain('aws ec2 associate-iam-instance-profile');
        expect(apiRequests(fake)).toHaveLength(0);
      });
    });

    it('sends the IMDSv2 token on every GET, and reports a refused token (401)', async () => {
      await withFake({ ...SSM.store(VALUES), imdsRejectTokens: true }, async (fake) => {
        const r = await runSecrets(fake, SSM.env);
        expect(failure(r, fake)).toContain('IMDS refused the session token on GET /latest/meta-data/placement/region (HTTP 401)');
        const get = fake.requests.find((q) => q.method === 'GET')!;
        expect(fake.imdsTokens).toContain(get.headers['x-aws-ec2-metadata-token']);
        expect(fake.requests[0]!.headers['x-aws-ec2-metadata-token-ttl-seconds']).toMatch(/^\d+$/);
        expect(apiRequests(fake)).toHaveLength(0);
      });
    });

    it('waits for an IMDS that answers late', async () => {
      await withFake({ ...SSM.store(VALUES), imdsDropFirst: 2 }, async (fake) => {
        const r = await runSecrets(fake, SSM.env);
        expect(r.code, r.stderr).toBe(0);
        expect(fake.requests.slice(0, 3).map((q) => `${q.method} ${q.status}`)).toEqual(['PUT 0', 'PUT 0', 'PUT 200']);
      });
    });

    it('reports an unreachable IMDS after COCCA_IMDS_ATTEMPTS attempts', async () => {
      // A port that was free a moment ago: connection refused.
      const port = await new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      await withFake(SSM.store(VALUES), async (fake) => {
        const r = await runSecrets(fake, { ...SSM.env, COCCA_IMDS_ENDPOINT: `http://127.0.0.1:${port}`, COCCA_IMDS_ATTEMPTS: '2' });
        const error = failure(r, fake);
        expect(error).toContain(`cannot reach the instance metadata service (IMDS) at http://127.0.0.1:${port} after 2 attempts`);
        expect(error).toMatch(/Failed to connect|Connection refused|Couldn't connect/);
      });
    });

    it('surfaces expired role credentials (ExpiredTokenException)', async () => {
      await withFake({ ...SSM.store(VALUES), credentialsExpired: true }, async (fake) => {
        const r = await runSecrets(fake, SSM.env);
        expect(failure(r, fake)).toContain('ExpiredTokenException: The security token included in the request is expired');
        expect(apiRequests(fake)).toHaveLength(1);
      });
    });
  });

  describe('the API call', () => {
    it('gives up on a lasting 5xx after COCCA_AWS_MAX_ATTEMPTS attempts', async () => {
      const faults = [1, 2, 3].map(() => ({ status: 500, type: 'InternalServerError', message: 'internal error' }));
      await withFake({ ...SSM.store(VALUES), faults }, async (fake) => {
        const r = await runSecrets(fake, { ...SSM.env, COCCA_AWS_MAX_ATTEMPTS: '2' });
        expect(failure(r, fake)).toContain('ssm GetParameters failed (HTTP 500 after 2 attempts): InternalServerError: internal error');
        expect(apiRequests(fake)).toHaveLength(2);
      });
    });

    it('does not retry a 4xx', async () => {
      await withFake({ ...SSM.store(VALUES), faults: [{ status: 400, type: 'ValidationException', message: 'bad input' }] }, async (fake) => {
        const r = await runSecrets(fake, SSM.env);
        expect(failure(r, fake)).toContain('ssm GetParameters failed (HTTP 400): ValidationException: bad input');
        expect(apiRequests(fake)).toHaveLength(1);
      });
    });

    it('reads more than 10 parameters in batches of at most 10', async () => {
      const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`P${String(i).padStart(2, '0')}`, `value-${i}-xxxxxxxx`]));
      await withFake({ parameters: ssmParameters(many) }, async (fake) => {
        const r = await runSecrets(fake, { ...SSM.env, COCCA_SECRETS_NAMES: Object.keys(many).reverse().join(' '), COCCA_SECRETS_REQUIRED: 'P00 P11' });
        expect(r.code, r.stderr).toBe(0);
        checkStderr(r, fake, many);
        expect(r.out).toBe(Object.entries(many).map(([k, v]) => `${k}=${v}\n`).join(''));
        expect(apiRequests(fake).map((q) => (JSON.parse(q.body) as { Names: string[] }).Names.length)).toEqual([10, 2]);
      });
    });

    it('refuses a server its CA bundle does not vouch for (TLS verification on, ~/.curlrc ignored)', async () => {
      const otherDir = await fs.mkdtemp(path.join(work, 'other-ca-'));
      const other = await createThrowawayCa(otherDir, 'some other CA');
      await withFake(SSM.store(VALUES), async (fake) => {
        const r = await runSecrets(fake, { ...SSM.env, COCCA_AWS_CA_BUNDLE: other.caFile });
        expect(failure(r, fake)).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+ \(ssm GetParameters\): curl: \(60\) SSL certificate problem/);
        const bare = await runSecrets(fake, SSM.env, { noCa: true });
        expect(failure(bare, fake)).toContain('curl: (60) SSL certificate problem');
        expect(apiRequests(fake)).toHaveLength(0);
      });
    });

    it('refuses a plain-http API endpoint', async () => {
      await withFake(SSM.store(VALUES), async (fake) => {
        const r = await runSecrets(fake, { ...SSM.env, COCCA_AWS_ENDPOINT_URL: fake.apiUrl.replace('https:', 'http:') });
        expect(failure(r, fake)).toContain('the ssm endpoint must be https://HOST[:PORT]');
      });
    });

    it('refuses bad configuration with one clear line', async () => {
      await withFake(SSM.store(VALUES), async (fake) => {
        const cases: [Record<string, string>, string][] = [
          [{ COCCA_SECRETS_SOURCE: 'vault' }, 'COCCA_SECRETS_SOURCE must be aws-ssm or aws-secretsmanager'],
          [{ ...SSM.env, COCCA_SECRETS_PARAMETER_PATH: '/cocca/prod' }, 'must be a path ending in /'],
          [{ ...SSM.env, COCCA_SECRETS_REQUIRED: 'NOT_WANTED' }, 'COCCA_SECRETS_REQUIRED names NOT_WANTED, which is not in COCCA_SECRETS_NAMES'],
          [{ ...SSM.env, COCCA_SECRETS_NAMES: 'OK bad-name' }, "'bad-name' is not a valid name"],
        ];
        for (const [env, message] of cases) expect(failure(await runSecrets(fake, env), fake)).toContain(message);
        expect(fake.requests).toHaveLength(0);
      });
    });
  });

  describe('Secrets Manager shapes', () => {
    const cases: [string, string | Buffer, string][] = [
      ['SecretBinary', Buffer.from('binary secret bytes'), `secret ${SECRET_ID} holds SecretBinary`],
      ['a JSON array', JSON.stringify(['a', 'b']), 'SecretString is not a JSON object (array)'],
      ['plain text', 'just-a-password-string', 'SecretString is not a JSON object (text)'],
      ['a non-string value', JSON.stringify({ ...VALUES, POSTGRES_PASSWORD: 1234 }), `secret ${SECRET_ID}: the value of POSTGRES_PASSWORD is not a string`],
      ['a NUL in a value', JSON.stringify({ ...VALUES, KEYSTORE_JKS: 'nul\u0000inside' }), 'the value of KEYSTORE_JKS holds a newline, carriage return or NUL'],
    ];
    it.each(cases)('refuses %s', async (_what, secret, message) => {
      await withFake({ secrets: { [SECRET_ID]: secret } }, async (fake) => {
        const r = await runSecrets(fake, SM.env);
        expect(failure(r, fake, { ...VALUES, p: 'just-a-password-string', q: 'nul\u0000inside' })).toContain(message);
        expect(r.out).toBeUndefined();
      });
    });

    it('surfaces ResourceNotFoundException', async () => {
      await withFake({ secrets: { 'cocca/other': '{}' } }, async (fake) => {
        const r = await runSecrets(fake, SM.env);
        expect(failure(r, fake)).toContain("ResourceNotFoundException: Secrets Manager can't find the specified secret.");
      });
    });

    it('reads a secret given by its ARN', async () => {
      await withFake(SM.store(VALUES), async (fake) => {
        const arn = (JSON.parse(await fakeCall(fake, { target: 'secretsmanager.GetSecretValue', service: 'secretsmanager', body: JSON.stringify({ SecretId: SECRET_ID }) }).then((x) => x.body)) as { ARN: string }).ARN;
        const r = await runSecrets(fake, { ...SM.env, COCCA_SECRETS_ID: arn });
        expect(r.code, r.stderr).toBe(0);
        expect(r.out).toBe(EXPECTED_FILE);
      });
    });
  });

  it.skipIf(SKIP_SHELLCHECK)(title('passes shellcheck', SKIP_SHELLCHECK), async () => {
    const r = await shellcheck(SCRIPT);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// The fake itself: what the AWS SDK's signer produces passes, and each way of getting the
// signature wrong is refused. Without these, a lenient fake would make the tests above vacuous.

interface FakeCall {
  target?: string;
  service?: string;
  region?: string;
  body?: string;
  creds?: Partial<FakeCredentials>;
  /** Add X-Amz-Security-Token after signing (unsigned), as curl 7.75-7.85 would. */
  tokenAfter?: boolean;
  signingDate?: Date;
  /** Replace the body after signing. */
  tamperedBody?: string;
}

/** One request signed by @smithy/signature-v4, sent to the fake's API over TLS. */
async function fakeCall(fake: AwsFake, c: FakeCall = {}): Promise<{ status: number; body: string; type?: string }> {
  const { accessKeyId, secretAccessKey, sessionToken } = { ...fake.credentials, ...c.creds };
  const url = new URL(fake.apiUrl);
  const body = c.body ?? JSON.stringify({ Names: [`${PREFIX}POSTGRES_PASSWORD`], WithDecryption: true });
  const target = c.target ?? 'AmazonSSM.GetParameters';
  const signer = new SignatureV4({
    credentials: c.tokenAfter ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken },
    region: c.region ?? REGION,
    service: c.service ?? 'ssm',
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    },
    c.signingDate ? { signingDate: c.signingDate } : {},
  );
  const headers: Record<string, string> = { ...(signed.headers as Record<string, string>) };
  if (c.tokenAfter) headers['x-amz-security-token'] = sessionToken;
  const payload = c.tamperedBody ?? body;
  headers['content-length'] = String(Buffer.byteLength(payload));
  const ca = await fs.readFile(fake.caFile);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let type: string | undefined;
        try {
          type = (JSON.parse(text) as { __type?: string }).__type;
        } catch {
          type = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: text, ...(type ? { type } : {}) });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe.skipIf(SKIP)(title('the AWS fake is strict', SKIP), () => {
  let fake: AwsFake;
  beforeAll(async () => {
    fake = await startAwsFake({ ...SSM.store(VALUES), secrets: { [SECRET_ID]: '{}' } });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('accepts what the AWS SDK signer produces (x-amz-content-sha256 included), for both services', async () => {
    const ssm = await fakeCall(fake);
    expect(ssm.status, ssm.body).toBe(200);
    expect(JSON.parse(ssm.body)).toMatchObject({ Parameters: [{ Name: `${PREFIX}POSTGRES_PASSWORD`, Value: VALUES.POSTGRES_PASSWORD }], InvalidParameters: [] });
    const sm = await fakeCall(fake, { target: 'secretsmanager.GetSecretValue', service: 'secretsmanager', body: JSON.stringify({ SecretId: SECRET_ID }) });
    expect(sm.status, sm.body).toBe(200);
  });

  const refusals: [string, FakeCall, number, string][] = [
    ['a wrong secret key', { creds: { secretAccessKey: 'wrongwrongwrongwrongwrongwrongwrongwrong' } }, 403, 'InvalidSignatureException'],
    ['an unsigned session token (curl 7.75-7.85)', { tokenAfter: true }, 403, 'InvalidSignatureException'],
    ['an unknown session token', { creds: { sessionToken: 'IQoJunknown' } }, 403, 'UnrecognizedClientException'],
    ['an unknown access key', { creds: { accessKeyId: 'ASIAUNKNOWNUNKNOWN00' } }, 403, 'UnrecognizedClientException'],
    ['a credential scoped to another region', { region: 'eu-west-1' }, 403, 'InvalidSignatureException'],
    ['a credential scoped to another service', { service: 'secretsmanager' }, 403, 'InvalidSignatureException'],
    ['a body changed after signing', { tamperedBody: JSON.stringify({ Names: [`${PREFIX}SOURCE_KEYSTORE_PASSWORD`], WithDecryption: true }) }, 403, 'InvalidSignatureException'],
    ['a signature 20 minutes old', { signingDate: new Date(Date.now() - 20 * 60_000) }, 403, 'InvalidSignatureException'],
    ['more than 10 names', { body: JSON.stringify({ Names: Array.from({ length: 11 }, (_, i) => `${PREFIX}N${i}`), WithDecryption: true }) }, 400, 'ValidationException'],
    ['an unknown member', { body: JSON.stringify({ Names: [`${PREFIX}X`], WithDecryption: true, Path: '/' }) }, 400, 'SerializationException'],
    ['a WithDecryption that is not a boolean', { body: JSON.stringify({ Names: [`${PREFIX}X`], WithDecryption: 'true' }) }, 400, 'SerializationException'],
    ['an unknown operation', { target: 'AmazonSSM.GetParametersByPath' }, 400, 'UnknownOperationException'],
  ];
  it.each(refusals)('refuses %s', async (_what, call, status, type) => {
    const r = await fakeCall(fake, call);
    expect(r.status, r.body).toBe(status);
    expect(r.type).toBe(type);
  });

  it('refuses expired credentials', async () => {
    fake.options.credentialsExpired = true;
    try {
      expect((await fakeCall(fake)).type).toBe('ExpiredTokenException');
    } finally {
      fake.options.credentialsExpired = false;
    }
  });

  it('returns a SecureString encrypted without WithDecryption, and lists unknown names as InvalidParameters', async () => {
    const r = await fakeCall(fake, { body: JSON.stringify({ Names: [`${PREFIX}POSTGRES_PASSWORD`, `${PREFIX}NOPE`] }) });
    const out = JSON.parse(r.body) as { Parameters: { Value: string }[]; InvalidParameters: string[] };
    expect(out.Parameters[0]!.Value).not.toBe(VALUES.POSTGRES_PASSWORD);
    expect(out.InvalidParameters).toEqual([`${PREFIX}NOPE`]);
  });

  it('IMDS answers a GET without a token, or with a wrong one, with 401', async () => {
    const get = async (headers: Record<string, string>) => (await fetch(`${fake.imdsUrl}/latest/meta-data/placement/region`, { headers })).status;
    expect(await get({})).toBe(401);
    expect(await get({ 'X-aws-ec2-metadata-token': 'not-a-token' })).toBe(401);
    const token = await (await fetch(`${fake.imdsUrl}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    expect(await get({ 'X-aws-ec2-metadata-token': token })).toBe(200);
  });
});
