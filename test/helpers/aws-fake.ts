/**
 * A local fake of what generator/components/firstboot/cocca-secrets talks to on EC2: IMDSv2 (plain http)
 * and, over https with a throwaway CA, SSM GetParameters and Secrets Manager GetSecretValue.
 * Both listen on 127.0.0.1, on ephemeral ports. Not a test file itself.
 *
 * It is strict on purpose, so that a test against it can fail for the reasons AWS would refuse:
 * - IMDSv2: every GET needs a token from PUT /latest/api/token (else 401, like IMDSv2).
 * - Every API request's SigV4 signature is recomputed with @smithy/signature-v4 (the AWS SDK's
 *   own signer) from the credentials this fake handed out through IMDS, the request's
 *   SignedHeaders and X-Amz-Date; a mismatch, a wrong region or service in the credential
 *   scope, an unknown or expired session token, a stale date, or an x-amz-* header left out of
 *   SignedHeaders is refused (403, an AWS-style {"__type","message"} body). Real services
 *   answer 400 to some of these; cocca-secrets treats every 4xx but throttling as final, so
 *   the status does not change what it does.
 * - X-Amz-Security-Token must be signed: the SDK signs it (SignatureV4.signRequest adds it to
 *   the headers before canonicalising them), and so does curl --aws-sigv4 from 7.86 on, which
 *   signs host, x-amz-date and every header given with -H (lib/http_aws_sigv4.c, make_headers,
 *   since commit 29c4aa00 "aws_sigv4: fix header computation", first in curl-7_86_0; 7.88.1
 *   here). Curl 7.75-7.85, Ubuntu 22.04's 7.81 among them, signs exactly
 *   "content-type;host;x-amz-date" (a fixed list in Curl_output_aws_sigv4), without the port
 *   in host, and so leaves the token and X-Amz-Target unsigned: AWS documents that some
 *   services then refuse the token. cocca-secrets therefore signs in bash, with the SDK's
 *   header set, when curl is older than 7.86; the tests run that path too, behind a `curl`
 *   that reports 7.81.0.
 * - The JSON bodies are checked (types, unknown members, GetParameters' limit of 10 names),
 *   and SecureString parameters read without WithDecryption come back as ciphertext.
 * - IAM-style denial: `allow` lists resource ARN patterns (`*`, `?`); a GetParameters call
 *   naming any parameter outside them is refused whole (AccessDeniedException, with AWS's
 *   message: action, principal, resource), as AWS does.
 * GetParameters never raises ParameterNotFound (that is GetParameter's): names that do not
 * exist come back in InvalidParameters, as on AWS.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { execa } from 'execa';
import { createHash, createHmac, randomBytes, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface AwsFakeFault {
  status: number;
  type: string;
  message?: string;
}

export interface AwsFakeOptions {
  /** The region the API serves (credential scope must name it). Default af-south-1. */
  region?: string;
  /** What IMDS says at placement/region. Default: `region`. */
  imdsRegion?: string;
  accountId?: string;
  instanceId?: string;
  /** The instance profile's role name; null: no instance profile (IMDS 404s). */
  role?: string | null;
  /** SSM parameters by full name; a plain string is a SecureString. */
  parameters?: Record<string, string | { value: string; type: ParameterType }>;
  /** Secrets Manager secrets by name: a string is a SecretString, a Buffer a SecretBinary. */
  secrets?: Record<string, string | Buffer>;
  /** IAM: resource ARN patterns the role may read (`*`, `?` wildcards). Default ['*']. */
  allow?: string[];
  /** Served, in order, to the next correctly signed API requests instead of an answer. */
  faults?: AwsFakeFault[];
  /** IMDS hands out tokens but refuses them all (401), as for an expired token. */
  imdsRejectTokens?: boolean;
  /** IMDS closes the first N connections without an answer (IMDS not up yet). */
  imdsDropFirst?: number;
  /** The credentials IMDS hands out are already expired (the API says ExpiredTokenException). */
  credentialsExpired?: boolean;
  /** Awaited before each request is answered (the test may look at the client meanwhile). */
  hold?: (r: RecordedRequest) => Promise<void>;
}

export interface RecordedRequest {
  server: 'imds' | 'api';
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status answered (0: connection closed without an answer). */
  status: number;
  /** The AWS error __type answered, if any. */
  errorType?: string;
  /** api: the signed header names from the Authorization header. */
  signedHeaders?: string[];
}

export interface FakeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface AwsFake {
  imdsUrl: string;
  apiUrl: string;
  /** The throwaway CA that signed the API's certificate (give it to COCCA_AWS_CA_BUNDLE). */
  caFile: string;
  /** Mutable: changes apply to the next request. */
  options: AwsFakeOptions;
  requests: RecordedRequest[];
  credentials: FakeCredentials;
  /** Every IMDS session token handed out. */
  imdsTokens: string[];
  /** The principal ARN that appears in AccessDenied messages. */
  principal: string;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// TLS: a throwaway CA and a certificate for 127.0.0.1, made with the openssl CLI.

export interface ThrowawayCa {
  dir: string;
  caFile: string;
  caKey: string;
}

export async function createThrowawayCa(dir: string, cn = 'cocca-bake throwaway test CA'): Promise<ThrowawayCa> {
  const caFile = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca.key');
  await execa('openssl', [
    'req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', caKey, '-out', caFile,
  ]);
  return { dir, caFile, caKey };
}

async function issueServerCert(ca: ThrowawayCa): Promise<{ key: string; cert: string }> {
  const key = path.join(ca.dir, 'server.key');
  const csr = path.join(ca.dir, 'server.csr');
  const cert = path.join(ca.dir, 'server.pem');
  const ext = path.join(ca.dir, 'server.ext');
  await fs.writeFile(
    ext,
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  await execa('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', csr]);
  await execa('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.caFile, '-CAkey', ca.caKey, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '2', '-extfile', ext, '-out', cert,
  ]);
  return { key: await fs.readFile(key, 'utf8'), cert: await fs.readFile(cert, 'utf8') };
}

// ---------------------------------------------------------------------------
// SigV4 verification

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): Buffer =>
  typeof d === 'string' ? Buffer.from(d, 'utf8') : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/** The SHA-256 / HMAC-SHA256 the smithy signer asks for, from node:crypto. */
export class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
const authError = (type: string, message: string) => new AwsError(403, type, message);

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

function headerValue(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/** Verifies the request's SigV4 signature as AWS would; returns the signed header names. */
async function verifySigV4(
  req: http.IncomingMessage,
  body: Buffer,
  expect: { region: string; service: string; creds: FakeCredentials; expired: boolean },
): Promise<string[]> {
  const auth = headerValue(req.headers, 'authorization');
  if (!auth) throw authError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH_RE.exec(auth);
  if (!m) throw authError('IncompleteSignatureException', `Authorization header requires 'Credential', 'Signature', 'SignedHeaders' parameters, got: ${auth.slice(0, 40)}...`);
  const [, keyId, day, region, service, signedList, signature] = m as unknown as string[];
  const signed = signedList!.split(';');
  const amzDate = headerValue(req.headers, 'x-amz-date') ?? '';
  const when = parseAmzDate(amzDate);
  if (!when) throw authError('IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  if (day !== amzDate.slice(0, 8)) throw authError('InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate.slice(0, 8)}'`);
  if (Math.abs(Date.now() - when.getTime()) > MAX_SKEW_MS) throw authError('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier or later than 15 min. from now`);
  if (keyId !== expect.creds.accessKeyId) throw authError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (headerValue(req.headers, 'x-amz-security-token') !== expect.creds.sessionToken) {
    throw authError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (expect.expired) throw authError('ExpiredTokenException', 'The security token included in the request is expired');
  if (region !== expect.region) throw authError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'.`);
  if (service !== expect.service) throw authError('InvalidSignatureException', `Credential should be scoped to correct service: '${expect.service}'.`);
  for (const h of signed) {
    if (headerValue(req.headers, h) === undefined) throw authError('IncompleteSignatureException', `'${h}' is named as a SignedHeader, but it does not exist in the HTTP request.`);
  }
  // What the SDK always signs, and (as S3 insists) every x-amz-* header that is sent.
  const mustSign = new Set(['host', 'x-amz-date', 'x-amz-security-token', ...Object.keys(req.headers).filter((h) => h.startsWith('x-amz-'))]);
  const unsigned = [...mustSign].filter((h) => !signed.includes(h)).sort();
  if (unsigned.length > 0) throw authError('InvalidSignatureException', `There were headers present in the request which were not signed: ${unsigned.join(', ')}`);
  const sha = headerValue(req.headers, 'x-amz-content-sha256');
  if (sha !== undefined && sha !== createHash('sha256').update(body).digest('hex')) {
    throw authError('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }

  const url = new URL(req.url ?? '/', 'https://fake.invalid');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const headers: Record<string, string> = {};
  for (const h of signed) headers[h] = headerValue(req.headers, h)!;
  const signer = new SignatureV4({
    credentials: expect.creds,
    region: expect.region,
    service: expect.service,
    sha256: NodeSha256,
    // The SDK would add x-amz-content-sha256 itself; verify what was sent, not that.
    applyChecksum: false,
  });
  const mine = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'https:', hostname: '127.0.0.1', path: url.pathname, query, headers, body },
    { signingDate: when },
  );
  const expected = AUTH_RE.exec(String(mine.headers['authorization']));
  const ok =
    expected !== null &&
    expected[5] === signedList &&
    timingSafeEqual(Buffer.from(expected[6]!, 'hex'), Buffer.from(signature!, 'hex'));
  if (!ok) {
    throw authError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return signed;
}

// ---------------------------------------------------------------------------
// the fake

const TARGETS: Record<string, 'ssm' | 'secretsmanager'> = {
  'AmazonSSM.GetParameters': 'ssm',
  'secretsmanager.GetSecretValue': 'secretsmanager',
};

const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** A fresh secret: letters, digits and the base64 punctuation AWS keys carry. */
const randomSecret = (n: number) => randomBytes(n).toString('base64').slice(0, n);

export async function startAwsFake(options: AwsFakeOptions = {}): Promise<AwsFake> {
  const tlsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-aws-fake-'));
  const requests: RecordedRequest[] = [];
  const imdsTokens: string[] = [];
  const credentials: FakeCredentials = {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    // Real secrets are 40 base64 characters; '/' and '+' make sure quoting is exercised.
    secretAccessKey: `${randomSecret(38)}/+`,
    sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(300).toString('base64')}`,
  };
  const opt = () => ({
    region: options.region ?? 'af-south-1',
    accountId: options.accountId ?? '123456789012',
    instanceId: options.instanceId ?? 'i-0123456789abcdef0',
    role: options.role === undefined ? 'cocca-srs' : options.role,
  });
  const principal = () => `arn:aws:sts::${opt().accountId}:assumed-role/${opt().role ?? 'none'}/${opt().instanceId}`;
  const allowed = (arn: string) => (options.allow ?? ['*']).some((p) => globToRegExp(p).test(arn));
  let imdsSeen = 0;

  async function readBody(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async function answer(res: http.ServerResponse, rec: RecordedRequest, status: number, body: string, type = 'text/plain') {
    rec.status = status;
    await options.hold?.(rec);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  // IMDSv2 ------------------------------------------------------------------
  async function imds(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = await readBody(req);
    const rec: RecordedRequest = { server: 'imds', method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: body.toString(), status: 0 };
    requests.push(rec);
    if (imdsSeen++ < (options.imdsDropFirst ?? 0)) {
      req.socket.destroy();
      return;
    }
    if (req.url === '/latest/api/token') {
      if (req.method !== 'PUT') return answer(res, rec, 405, 'Method Not Allowed');
      if (req.headers['x-forwarded-for'] !== undefined) return answer(res, rec, 403, 'Forbidden');
      const ttl = Number(headerValue(req.headers, 'x-aws-ec2-metadata-token-ttl-seconds'));
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return answer(res, rec, 400, 'Bad Request');
      const token = randomBytes(42).toString('base64');
      imdsTokens.push(token);
      return answer(res, rec, 200, token);
    }
    if (req.method !== 'GET') return answer(res, rec, 405, 'Method Not Allowed');
    const token = headerValue(req.headers, 'x-aws-ec2-metadata-token');
    if (token === undefined || !imdsTokens.includes(token) || options.imdsRejectTokens) return answer(res, rec, 401, 'Unauthorized');
    const { role } = opt();
    const credsPath = '/latest/meta-data/iam/security-credentials/';
    if (req.url === '/latest/meta-data/placement/region') return answer(res, rec, 200, options.imdsRegion ?? opt().region);
    if (req.url === credsPath && role) return answer(res, rec, 200, role);
    if (req.url === `${credsPath}${role}` && role) {
      const expiration = new Date(Date.now() + (options.credentialsExpired ? -60_000 : 6 * 3600_000));
      return answer(
        res,
        rec,
        200,
        JSON.stringify(
          {
            Code: 'Success',
            LastUpdated: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            Type: 'AWS-HMAC',
            AccessKeyId: credentials.accessKeyId,
            SecretAccessKey: credentials.secretAccessKey,
            Token: credentials.sessionToken,
            Expiration: expiration.toISOString().replace(/\.\d+Z$/, 'Z'),
          },
          null,
          2,
        ),
      );
    }
    return answer(res, rec, 404, 'Not Found');
  }

  // SSM and Secrets Manager ---------------------------------------------------
  function getParameters(input: Record<string, unknown>) {
    const { region, accountId } = opt();
    const extra = Object.keys(input).filter((k) => k !== 'Names' && k !== 'WithDecryption');
    if (extra.length > 0) throw new AwsError(400, 'SerializationException', `Unknown member(s): ${extra.join(', ')}`);
    const names = input['Names'];
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n.length < 1 || n.length > 2048)) {
      throw new AwsError(400, 'ValidationException', "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must be a list of 1 to 2048 character strings");
    }
    if (names.length < 1 || names.length > 10) {
      throw new AwsError(400, 'ValidationException', `1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10`);
    }
    const decrypt = input['WithDecryption'];
    if (decrypt !== undefined && typeof decrypt !== 'boolean') throw new AwsError(400, 'SerializationException', 'WithDecryption must be a boolean');
    const arn = (n: string) => `arn:aws:ssm:${region}:${accountId}:parameter/${n.replace(/^\//, '')}`;
    const denied = (names as string[]).find((n) => !allowed(arn(n)));
    if (denied !== undefined) {
      throw new AwsError(
        400,
        'AccessDeniedException',
        `User: ${principal()} is not authorized to perform: ssm:GetParameters on resource: ${arn(denied)} because no identity-based policy allows the ssm:GetParameters action`,
      );
    }
    const Parameters = [];
    const InvalidParameters = [];
    for (const n of new Set(names as string[])) {
      const p = options.parameters?.[n];
      if (p === undefined) {
        InvalidParameters.push(n);
        continue;
      }
      const { value, type } = typeof p === 'string' ? { value: p, type: 'SecureString' as const } : p;
      Parameters.push({
        Name: n,
        Type: type,
        // Without WithDecryption a SecureString comes back encrypted.
        Value: type === 'SecureString' && decrypt !== true ? `AQICAHh${randomBytes(48).toString('base64')}` : value,
        Version: 1,
        LastModifiedDate: 1_700_000_000.123,
        ARN: arn(n),
        DataType: 'text',
      });
    }
    return { Parameters, InvalidParameters };
  }

  function getSecretValue(input: Record<string, unknown>) {
    const { region, accountId } = opt();
    const extra = Object.keys(input).filter((k) => !['SecretId', 'VersionId', 'VersionStage'].includes(k));
    if (extra.length > 0) throw new AwsError(400, 'SerializationException', `Unknown member(s): ${extra.join(', ')}`);
    const id = input['SecretId'];
    if (typeof id !== 'string' || id.length < 1 || id.length > 2048) {
      throw new AwsError(400, 'ValidationException', "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length between 1 and 2048");
    }
    const arnOf = (name: string) => `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${createHash('sha256').update(name).digest('base64url').slice(0, 6)}`;
    const name = Object.keys(options.secrets ?? {}).find((n) => n === id || arnOf(n) === id);
    const resourceArn = name === undefined ? `arn:aws:secretsmanager:${region}:${accountId}:secret:${id}` : arnOf(name);
    if (!allowed(resourceArn)) {
      throw new AwsError(
        400,
        'AccessDeniedException',
        `User: ${principal()} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
      );
    }
    if (name === undefined) throw new AwsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const value = options.secrets![name]!;
    return {
      ARN: arnOf(name),
      Name: name,
      VersionId: '01234567-89ab-cdef-0123-456789abcdef',
      ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value.toString('base64') }),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000.456,
    };
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = await readBody(req);
    const rec: RecordedRequest = { server: 'api', method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: body.toString(), status: 0 };
    requests.push(rec);
    const json = (status: number, payload: unknown) => answer(res, rec, status, JSON.stringify(payload), 'application/x-amz-json-1.1');
    try {
      const target = headerValue(req.headers, 'x-amz-target') ?? '';
      const service = TARGETS[target];
      if (req.method !== 'POST' || req.url !== '/' || service === undefined) {
        throw new AwsError(400, 'UnknownOperationException', `Unknown operation ${req.method} ${req.url} X-Amz-Target: ${target}`);
      }
      rec.signedHeaders = await verifySigV4(req, body, {
        region: opt().region,
        service,
        creds: credentials,
        expired: options.credentialsExpired === true,
      });
      if (headerValue(req.headers, 'content-type') !== 'application/x-amz-json-1.1') {
        throw new AwsError(400, 'SerializationException', `Content-Type must be application/x-amz-json-1.1, got ${req.headers['content-type']}`);
      }
      const fault = options.faults?.shift();
      if (fault) throw new AwsError(fault.status, fault.type, fault.message ?? `${fault.type} (injected by the fake)`);
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        throw new AwsError(400, 'SerializationException', 'Start of structure or map found where not expected.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AwsError(400, 'SerializationException', 'Expected a JSON object');
      const out = service === 'ssm' ? getParameters(input as Record<string, unknown>) : getSecretValue(input as Record<string, unknown>);
      return await json(200, out);
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      rec.errorType = e.type;
      return json(e.status, { __type: e.type, message: e.message });
    }
  }

  const onError = (res: http.ServerResponse) => (e: unknown) => {
    if (!res.headersSent) res.writeHead(500).end(String(e));
  };
  const imdsServer = http.createServer((req, res) => void imds(req, res).catch(onError(res)));
  const tls = await issueServerCert(await createThrowawayCa(tlsDir));
  const apiServer = https.createServer(tls, (req, res) => void api(req, res).catch(onError(res)));
  const listen = (s: http.Server) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });
  const imdsPort = await listen(imdsServer);
  const apiPort = await listen(apiServer);

  const close = (s: http.Server) =>
    new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  return {
    imdsUrl: `http://127.0.0.1:${imdsPort}`,
    apiUrl: `https://127.0.0.1:${apiPort}`,
    caFile: path.join(tlsDir, 'ca.pem'),
    options,
    requests,
    credentials,
    imdsTokens,
    get principal() {
      return principal();
    },
    async close() {
      await Promise.all([close(imdsServer), close(apiServer)]);
      await fs.rm(tlsDir, { recursive: true, force: true });
    },
  };
}
