// Downloads for `lock` and `bundle`. Only verified TLS: https with Node's CA store (plus
// NODE_EXTRA_CA_CERTS, how an operator adds an internal CA), redirects followed only to https,
// plain http refused. `file:` URLs are read from disk (a local mirror, a bundle being re-locked).
// The file is written beside its destination and renamed into place when whole, so a failed
// download leaves nothing half-written.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../profile/urls.js';

export interface Downloaded {
  sha256: string;
  size: number;
  /** The URL the bytes came from after redirects (redacted). */
  finalUrl: string;
}

/** A download that failed for a reason worth one line to the operator (the URL is redacted). */
export class DownloadError extends Error {}

export interface DownloadOptions {
  /** Abort when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  maxRedirects?: number;
}

/** Fetches `url`, hashing it; writes it to `dest` when given. */
export async function download(url: string, dest?: string, opts: DownloadOptions = {}): Promise<Downloaded> {
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError(`${shown}: not a URL`);
  }
  if (parsed.protocol === 'file:') {
    let file: string;
    try {
      file = fileURLToPath(parsed);
    } catch {
      throw new DownloadError(`${shown}: a file: URL names a file on this machine (file:///path), not on host ${parsed.host}`);
    }
    // Opened before the destination is, so a missing file leaves nothing behind.
    const source = await fs.open(file).catch((e: NodeJS.ErrnoException) => {
      throw new DownloadError(`${shown}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'a directory, not a file' : e.message}`);
    });
    return save(shown, source.createReadStream(), dest, shown);
  }
  if (parsed.protocol !== 'https:') throw new DownloadError(`${shown}: only https (verified TLS) or file: downloads are allowed`);
  const { body, finalUrl } = await get(parsed, opts.maxRedirects ?? 5, opts.idleTimeoutMs ?? 60_000);
  return save(shown, body, dest, finalUrl);
}

async function get(url: URL, redirectsLeft: number, idleMs: number): Promise<{ body: IncomingMessage; finalUrl: string }> {
  const shown = redactUrl(url.href);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = https.get(url, { timeout: idleMs, headers: { 'user-agent': 'cocca-bake' } }, resolve);
    req.on('timeout', () => req.destroy(new DownloadError(`${shown}: no answer for ${Math.round(idleMs / 1000)} s`)));
    req.on('error', (e) => reject(e instanceof DownloadError ? e : new DownloadError(`${shown}: ${tlsReason(e)}`)));
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirectsLeft === 0) throw new DownloadError(`${shown}: too many redirects`);
    const next = new URL(res.headers.location, url);
    if (next.protocol !== 'https:') throw new DownloadError(`${shown}: redirected to ${redactUrl(next.href)}, which is not https`);
    return get(next, redirectsLeft - 1, idleMs);
  }
  if (status !== 200) {
    res.resume();
    throw new DownloadError(`${shown}: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
  }
  res.setTimeout(idleMs, () => res.destroy(new DownloadError(`${shown}: stalled for ${Math.round(idleMs / 1000)} s`)));
  return { body: res, finalUrl: shown };
}

/** Node's TLS error codes, said the way an operator can act on them. */
function tlsReason(e: Error & { code?: string }): string {
  switch (e.code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `the server's certificate is not trusted (${e.code}); an internal CA goes in NODE_EXTRA_CA_CERTS`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "the server's certificate is for another name";
    case 'CERT_HAS_EXPIRED':
      return "the server's certificate has expired";
    default:
      return e.code && !e.message.includes(e.code) ? `${e.code} ${e.message}` : e.message;
  }
}

async function save(shown: string, body: Readable, dest: string | undefined, finalUrl: string): Promise<Downloaded> {
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const part = dest && `${dest}.part`;
  try {
    // The part file is open before any byte flows, so a failure cannot create it after it is removed.
    if (part) await pipeline(body, count, (await fs.open(part, 'w', 0o644)).createWriteStream());
    else await pipeline(body, count, async (src: AsyncIterable<Buffer>) => { for await (const _ of src); });
    if (part && dest) await fs.rename(part, dest);
  } catch (e) {
    if (part) await fs.rm(part, { force: true });
    if (e instanceof DownloadError) throw e;
    const err = e as Error & { code?: string };
    throw new DownloadError(`${shown}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'a directory, not a file' : err.message}`);
  }
  return { sha256: hash.digest('hex'), size, finalUrl };
}
