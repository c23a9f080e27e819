/**
 * Product bugs that would stop a flow before the rest can be proven, worked around in the
 * test by a textual patch of the rendered instance files and user-data, each one named and
 * reported in the run's output. A patch whose text is no longer in the output (the product
 * was fixed) is skipped and reported as no longer needed. COCCA_E2E_NO_WORKAROUNDS=1 turns
 * them all off, to see the product fail as it is.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export interface Workaround {
  id: string;
  /** Where the bug is and what it does. */
  bug: string;
  from: string;
  to: string;
}

// None today: each one was fixed in the product.
export const WORKAROUNDS: Workaround[] = [];

const enabled = process.env.COCCA_E2E_NO_WORKAROUNDS !== '1';
/** id -> where it was applied (or that it was not needed). */
export const workaroundLog = new Map<string, Set<string>>();

function note(id: string, what: string): void {
  if (!workaroundLog.has(id)) workaroundLog.set(id, new Set());
  workaroundLog.get(id)!.add(what);
}

/** The text with every applicable workaround applied; `where` names it in the report. */
export function patchText(text: string, where: string): string {
  if (!enabled) return text;
  let out = text;
  for (const w of WORKAROUNDS) {
    if (out.includes(w.from)) {
      out = out.split(w.from).join(w.to);
      note(w.id, `applied to ${where}`);
    }
  }
  return out;
}

/** Patches a render's instance files (packer/files/rootfs) in place. */
export async function patchRender(renderDir: string): Promise<void> {
  if (!enabled) return;
  const root = path.join(renderDir, 'packer', 'files', 'rootfs');
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) {
        const text = await fs.readFile(full, 'utf8');
        const patched = patchText(text, `/${path.relative(root, full)}`);
        if (patched !== text) await fs.writeFile(full, patched);
      }
    }
  };
  await walk(root);
}

/** Lines for the run's summary. */
export function workaroundReport(): string[] {
  if (!enabled) return ['product workarounds: off (COCCA_E2E_NO_WORKAROUNDS=1)'];
  return WORKAROUNDS.map((w) => {
    const where = workaroundLog.get(w.id);
    return where ? `WORKAROUND ${w.id} (product bug: ${w.bug}): ${[...where].join('; ')}` : `workaround ${w.id}: not needed (the product no longer has the bug)`;
  });
}
