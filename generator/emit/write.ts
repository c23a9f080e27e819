// Writing a render: everything goes into a fresh sibling directory first and replaces DIR
// in one rename, so a failure leaves the old output (or nothing), never half of a new one.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OutputFile } from './output.js';
import { RenderError } from './output.js';

export function writeOutputs(dir: string, files: OutputFile[]): void {
  const target = path.resolve(dir);
  if (existsSync(target)) {
    const entries = readdirSync(target);
    if (entries.length > 0 && !entries.includes('manifest.json')) {
      throw new RenderError(`${dir} is not empty and holds no earlier cocca-bake output (manifest.json): refusing to replace it`);
    }
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const staging = mkdtempSync(`${target}.new-`);
  try {
    for (const f of files) {
      const out = path.join(staging, ...f.path.split('/'));
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, f.data);
      chmodSync(out, f.mode);
    }
    chmodSync(staging, 0o755);
    if (existsSync(target)) {
      const old = `${staging}.old`;
      renameSync(target, old);
      renameSync(staging, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(staging, target);
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
