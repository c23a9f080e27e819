// A real HTTPS server on 127.0.0.1 for download tests and the lock bench: a throwaway CA and a
// server certificate made with the openssl CLI in a temp dir, files served from a map that a
// test may change (an upstream that replaced a file), a redirect to plain http, and 404s.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Pki {
  dir: string;
  /** The CA to trust (NODE_EXTRA_CA_CERTS). */
  caPem: string;
  key: Buffer;
  cert: Buffer;
}

/** A CA, and a certificate it signs for 127.0.0.1 and localhost. */
export function makePki(): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'cocca-bake-pki-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cocca-bake test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  return { dir, caPem: path.join(dir, 'ca.pem'), key: readFileSync(path.join(dir, 'server.key')), cert: readFileSync(path.join(dir, 'server.pem')) };
}

export interface FileServer {
  /** https://127.0.0.1:PORT */
  origin: string;
  /** Path (with its leading /) to the bytes served there; change it to change "upstream". */
  files: Map<string, Buffer>;
  /** Paths served as a redirect to this location. */
  redirects: Map<string, string>;
  /** Paths answered by a handler of the test's own (a stalled or cut-off response). */
  handlers: Map<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /** Requests seen, by path. */
  hits: string[];
  close(): Promise<void>;
}

export async function startFileServer(pki: Pki): Promise<FileServer> {
  const files = new Map<string, Buffer>();
  const redirects = new Map<string, string>();
  const handlers: FileServer['handlers'] = new Map();
  const hits: string[] = [];
  const server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    const p = new URL(req.url ?? '/', 'https://x').pathname;
    hits.push(p);
    const handler = handlers.get(p);
    if (handler) return handler(req, res);
    const to = redirects.get(p);
    if (to) {
      res.writeHead(302, { location: to }).end();
      return;
    }
    const body = files.get(p);
    if (!body) {
      res.writeHead(404, 'Not Found').end('no such file\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    files,
    redirects,
    handlers,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const removePki = (pki: Pki): void => rmSync(pki.dir, { recursive: true, force: true });
