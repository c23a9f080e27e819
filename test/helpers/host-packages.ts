// THIS host's installed packages in the image package list's format, made by the real
// cocca-inventory script (generator/components/inventory) with the runner's lib.sh: a
// realistic list of several hundred packages for the SBOM tests.
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './outputs.js';

export async function hostPackageList(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-inventory-'));
  try {
    const script = await fs.readFile(path.join(ROOT, 'generator/components/inventory/cocca-inventory'), 'utf8');
    // lib.sh as the image has it would also need paths.sh and contract.sh: log and die suffice here.
    const stub = path.join(dir, 'lib.sh');
    await fs.writeFile(stub, 'log() { printf "%s\\n" "$*" >&2; }\ndie() { log "ERROR: $*"; exit 1; }\n');
    const runnable = script.replace('. /usr/local/lib/cocca/lib.sh', `. ${stub}`);
    if (runnable === script) throw new Error('cocca-inventory no longer sources /usr/local/lib/cocca/lib.sh');
    await fs.writeFile(path.join(dir, 'cocca-inventory'), runnable, { mode: 0o755 });
    const out = path.join(dir, 'share', 'image-packages.tsv');
    await execa('bash', [path.join(dir, 'cocca-inventory'), out]);
    return await fs.readFile(out, 'utf8');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
