// EC2 clients, one per region, and the two things every AWS step shares: how errors read,
// and how throttling is handled.
//
// Throttling (EC2's RequestLimitExceeded, ThrottlingException, 429/503) is retried by the
// SDK itself: maxAttempts 8 in 'adaptive' mode is the standard exponential backoff with
// jitter plus a client-side rate limiter that slows every later call to that region after
// a throttle. cocca-bake adds no retry loop of its own on top: that would multiply the
// attempts (8 x N) and hide how long AWS refused. What reaches our code has already been
// tried 8 times; awsErrorText says so.
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';

/** Everything AWS-facing takes one of these, so tests can hand out mocked clients. */
export type Ec2Factory = (region: string) => EC2Client;

export const MAX_ATTEMPTS = 8;

/**
 * The real factory: one client per region, reused, so the adaptive rate limiter sees every
 * call made to that region. `config` is for tests (a fake request handler, static
 * credentials); production passes nothing and gets the default credential chain.
 */
export function ec2Factory(config: Omit<EC2ClientConfig, 'region'> = {}): Ec2Factory {
  const clients = new Map<string, EC2Client>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = new EC2Client({ region, maxAttempts: MAX_ATTEMPTS, retryMode: 'adaptive', ...config });
      clients.set(region, client);
    }
    return client;
  };
}

/** Error codes the SDK classifies as throttling for EC2 (a subset, for the message only). */
const THROTTLING = new Set(['RequestLimitExceeded', 'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException', 'SlowDown']);

interface SdkErrorShape {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { attempts?: number; httpStatusCode?: number; requestId?: string };
}

/** The AWS error code of an SDK error (`InvalidAMIID.NotFound`, `UnauthorizedOperation`, ...). */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as SdkErrorShape;
  return e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined);
}

/** One line a user can act on: code, AWS's message, and how many attempts the SDK made. */
export function awsErrorText(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as SdkErrorShape;
  const code = awsErrorCode(err);
  const attempts = e.$metadata?.attempts ?? 1;
  const message = e.message && e.message !== code ? e.message : '';
  const text = [code, message].filter(Boolean).join(': ') || 'unknown error';
  if (code && THROTTLING.has(code)) {
    return `${text} (AWS kept throttling: gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}; run again later, or ask AWS for a higher EC2 API rate limit)`;
  }
  return attempts > 1 ? `${text} (after ${attempts} attempts)` : text;
}

/** Runs one AWS call and, when it fails, says which call on what in which region. */
export async function step<T>(what: string, region: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AwsStepError) throw err;
    throw new AwsStepError(`${what} in ${region}: ${awsErrorText(err)}`, awsErrorCode(err), { cause: err });
  }
}

export class AwsStepError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AwsStepError';
  }
}

/** How long to wait for an image (seconds), and a sleep tests can replace. */
export interface WaitOptions {
  /** First delay between polls; it grows by half each time up to maxDelay. */
  minDelay?: number;
  maxDelay?: number;
  /** Give up after this long. A 150 GiB cross-region copy can take well over an hour. */
  timeout?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after every look at the image (undefined: EC2 does not know it yet), with the seconds waited so far. */
  onPoll?: (image: ImageInfoLike | undefined, waitedS: number) => void | Promise<void>;
}

/** What a poll saw (images.ts ImageInfo; declared here so client.ts imports nothing). */
export interface ImageInfoLike {
  imageId: string;
  state: string;
  snapshotIds: string[];
}

export const DEFAULT_WAIT: Required<Omit<WaitOptions, 'sleep' | 'onPoll'>> = { minDelay: 15, maxDelay: 60, timeout: 3 * 3600 };

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
