// generator/net/download.ts where the lock CLI tests do not reach: file: URLs, a download cut
// off mid-body (the .part is removed, an earlier file at the destination kept), a stalled
// server, https redirects, credentials kept out of messages. The HTTPS server is real; this
// process trusts its CA through the global agent, as NODE_EXTRA_CA_CERTS does for the CLI.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, DownloadError } from '../../generator/net/download.js';
import { makePki, removePki, startFileServer, type FileServer, type Pki } from '../helpers/tls-server.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let pki: Pki;
let server: FileServer;
let work: string;
const BODY = randomBytes(1_000_000);
const savedCa = https.globalAgent.options.ca;

beforeAll(async () => {
  pki = makePki();
  server = await startFileServer(pki);
  https.globalAgent.options.ca = [...rootCertificates, readFileSync(pki.caPem, 'utf8')];
  work = mkdtempSync(path.join(tmpdir(), 'cocca-bake-dl-'));
  server.files.set('/file.bin', BODY);
  server.redirects.set('/hop', '/file.bin');
  server.handlers.set('/cut', (_req, res) => {
    // Promises a megabyte, sends half, then drops the connection.
    res.writeHead(200, { 'content-length': BODY.length });
    res.write(BODY.subarray(0, 500_000), () => res.socket?.destroy());
  });
  server.handlers.set('/stall', (_req, res) => {
    res.writeHead(200, { 'content-length': 10 });
    res.write('12345'); // and nothing more
  });
});
afterAll(async () => {
  https.globalAgent.options.ca = savedCa;
  await server?.close();
  if (pki) removePki(pki);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The DownloadError message of a download that must fail. */
async function failure(url: string, dest?: string, idleTimeoutMs?: number): Promise<string> {
  const err = await download(url, dest, { idleTimeoutMs }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  return (err as Error).message;
}

describe('download: https', () => {
  it('hashes while it streams and renames into place; no .part is left', async () => {
    const dest = path.join(work, 'ok.bin');
    const got = await download(`${server.origin}/file.bin`, dest);
    expect(got).toEqual({ sha256: sha(BODY), size: BODY.length, finalUrl: `${server.origin}/file.bin` });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(readdirSync(work).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('follows an https redirect and reports where the bytes came from', async () => {
    expect(await download(`${server.origin}/hop`)).toEqual({ sha256: sha(BODY), size: BODY.length, finalUrl: `${server.origin}/file.bin` });
  });

  it('a body cut off midway fails naming the URL: the .part is removed, an earlier file at the destination kept', async () => {
    const dest = path.join(work, 'cut.bin');
    writeFileSync(dest, 'the earlier download');
    const msg = await failure(`${server.origin}/cut`, dest);
    expect(msg).toMatch(new RegExp(`^${server.origin.replace(/[.]/g, '\\.')}/cut: `));
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(readFileSync(dest, 'utf8')).toBe('the earlier download');
  });

  it('a server that stops sending fails after the idle time, naming the URL', async () => {
    const dest = path.join(work, 'stall.bin');
    expect(await failure(`${server.origin}/stall`, dest, 300)).toBe(`${server.origin}/stall: stalled for 0 s`);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(existsSync(dest)).toBe(false);
  });

  it('credentials in a URL never reach the message', async () => {
    const msg = await failure(`https://op:s3cret@127.0.0.1:${new URL(server.origin).port}/nothing-here`);
    expect(msg).toBe(`https://***@127.0.0.1:${new URL(server.origin).port}/nothing-here: HTTP 404 Not Found`);
  });

  it.each([
    ['plain http', 'http://127.0.0.1:1/x', 'http://127.0.0.1:1/x: only https (verified TLS) or file: downloads are allowed'],
    ['ftp', 'ftp://mirror.example/x', 'ftp://mirror.example/x: only https (verified TLS) or file: downloads are allowed'],
    ['not a URL', 'mirror.example/x', 'mirror.example/x: not a URL'],
  ])('refuses %s', async (_name, url, message) => {
    expect(await failure(url)).toBe(message);
  });
});

describe('download: file: URLs', () => {
  it('reads a local file: hash, size, copy', async () => {
    const src = path.join(work, 'local.bin');
    writeFileSync(src, BODY.subarray(0, 4096));
    const dest = path.join(work, 'local-copy.bin');
    const url = pathToFileURL(src).href;
    expect(await download(url, dest)).toEqual({ sha256: sha(BODY.subarray(0, 4096)), size: 4096, finalUrl: url });
    expect(readFileSync(dest).equals(BODY.subarray(0, 4096))).toBe(true);
    expect(await download(url)).toMatchObject({ size: 4096 });
  });

  it('a missing file fails naming it and leaves nothing at the destination', async () => {
    const dest = path.join(work, 'missing-copy.bin');
    const url = pathToFileURL(path.join(work, 'missing.bin')).href;
    expect(await failure(url, dest)).toBe(`${url}: no such file`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('a directory is not a file', async () => {
    expect(await failure(pathToFileURL(work).href)).toBe(`${pathToFileURL(work).href}: a directory, not a file`);
  });

  // Was a TypeError from fileURLToPath (an internal error at the CLI) before this test.
  it('a file: URL naming another host is refused in one line', async () => {
    expect(await failure('file://mirror/pub/ROOT.war')).toBe('file://mirror/pub/ROOT.war: a file: URL names a file on this machine (file:///path), not on host mirror');
  });
});
