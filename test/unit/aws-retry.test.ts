// Throttling is the SDK's job (client.ts): maxAttempts 8, adaptive mode. aws-sdk-client-mock
// replaces `send` and so skips the retry middleware; these tests go under it instead: the
// real EC2Client from ec2Factory, with a fake HTTP handler that answers as EC2 does (503 +
// RequestLimitExceeded XML). Fake timers stand in for the backoff sleeps.
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_ATTEMPTS, awsErrorText, ec2Factory } from '../../generator/aws/client.js';
import { resolveBaseImage } from '../../generator/aws/base-image.js';
import { listProfileImages } from '../../generator/aws/images.js';

interface FakeResponse {
  status: number;
  body: string;
}

const throttled = (code = 'RequestLimitExceeded'): FakeResponse => ({
  status: 503,
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-1</RequestID></Response>`,
});

const denied: FakeResponse = {
  status: 403,
  body: '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>req-2</RequestID></Response>',
};

const images = (...items: Array<{ id: string; date: string }>): FakeResponse => ({
  status: 200,
  body: `<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>ok</requestId><imagesSet>${items
    .map((i) => `<item><imageId>${i.id}</imageId><name>ubuntu-jammy-${i.id}</name><imageState>available</imageState><creationDate>${i.date}</creationDate></item>`)
    .join('')}</imagesSet></DescribeImagesResponse>`,
});

/** A factory whose clients send every request to `answer` instead of AWS. */
function fakeAws(answer: (n: number, body: string) => FakeResponse) {
  const requests: string[] = [];
  const factory = ec2Factory({
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
    requestHandler: {
      async handle(request: { body?: unknown }) {
        const body = String(request.body ?? '');
        requests.push(body);
        const r = answer(requests.length, body);
        return { response: { statusCode: r.status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Readable.from([Buffer.from(r.body)]) } };
      },
    },
  });
  return { factory, requests };
}

/** Runs the promise to the end, moving the fake clock past every backoff sleep. */
async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: Error }> {
  let done = false;
  const out = p.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );
  void out.then(() => (done = true));
  for (let i = 0; i < 10_000 && !done; i++) await vi.advanceTimersByTimeAsync(250);
  expect(done).toBe(true);
  return out;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('throttling', () => {
  it('is retried by the SDK: 7 throttled answers, then success on the 8th and last attempt', async () => {
    const { factory, requests } = fakeAws((n) => (n < MAX_ATTEMPTS ? throttled() : images({ id: 'ami-0aaa', date: '2024-05-01T00:00:00.000Z' }, { id: 'ami-0bbb', date: '2024-06-01T00:00:00.000Z' })));
    const { value, error } = await settle(resolveBaseImage(factory('af-south-1'), { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' }));
    expect(error).toBeUndefined();
    expect(value?.imageId).toBe('ami-0bbb');
    expect(requests).toHaveLength(MAX_ATTEMPTS);
    // Every attempt is the same request.
    expect(new Set(requests).size).toBe(1);
    expect(requests[0]).toContain('Action=DescribeImages');
  });

  it('also for the ThrottlingException code', async () => {
    const { factory, requests } = fakeAws((n) => (n <= 3 ? throttled('ThrottlingException') : images({ id: 'ami-0ccc', date: '2024-05-01T00:00:00.000Z' })));
    const { value } = await settle(resolveBaseImage(factory('eu-west-1'), { owner: '099720109477', namePattern: 'x-*' }));
    expect(value?.imageId).toBe('ami-0ccc');
    expect(requests).toHaveLength(4);
  });

  it('gives up after 8 attempts with an error that names the call, the region and the throttling', async () => {
    const { factory, requests } = fakeAws(() => throttled());
    const { error } = await settle(listProfileImages(factory('af-south-1'), 'af-south-1', 'za-registry'));
    expect(requests).toHaveLength(MAX_ATTEMPTS);
    expect(error?.message).toBe(
      'listing the images of profile za-registry in af-south-1: RequestLimitExceeded: Request limit exceeded. (AWS kept throttling: gave up after 8 attempts; run again later, or ask AWS for a higher EC2 API rate limit)',
    );
  });

  it('waits longer after each throttle (backoff), not a tight loop', async () => {
    // The SDK's jitter is Math.random() times the backoff ceiling: pinned, the ceiling shows.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const times: number[] = [];
    const { factory } = fakeAws((n) => {
      times.push(Date.now());
      return n < 5 ? throttled() : images({ id: 'ami-0ddd', date: '2024-05-01T00:00:00.000Z' });
    });
    await settle(resolveBaseImage(factory('af-south-1'), { owner: '099720109477', namePattern: 'x-*' }));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toHaveLength(4);
    // Backoff plus the adaptive rate limiter, seen through the 250 ms steps of the fake clock.
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(gaps[i - 1]!);
    expect(gaps[0]).toBeGreaterThan(0);
    expect(gaps.at(-1)!, `gaps ${gaps.join(', ')} ms`).toBeGreaterThan(gaps[0]!);
  });

  it('does not retry an error that is not throttling: AccessDenied fails at once', async () => {
    const { factory, requests } = fakeAws(() => denied);
    const { error } = await settle(listProfileImages(factory('af-south-1'), 'af-south-1', 'za-registry'));
    expect(requests).toHaveLength(1);
    expect(error?.message).toBe('listing the images of profile za-registry in af-south-1: UnauthorizedOperation: You are not authorized to perform this operation.');
  });
});

describe('awsErrorText', () => {
  it('says when the SDK gave up on throttling, and how many attempts it made otherwise', () => {
    const err = (name: string, attempts: number) => Object.assign(new Error('x happened'), { name, $metadata: { attempts } });
    expect(awsErrorText(err('RequestLimitExceeded', 8))).toBe(
      'RequestLimitExceeded: x happened (AWS kept throttling: gave up after 8 attempts; run again later, or ask AWS for a higher EC2 API rate limit)',
    );
    expect(awsErrorText(err('InternalError', 3))).toBe('InternalError: x happened (after 3 attempts)');
    expect(awsErrorText(err('UnauthorizedOperation', 1))).toBe('UnauthorizedOperation: x happened');
    expect(awsErrorText('plain')).toBe('plain');
  });
});
