// What a bake installs with apt, read from the plan: each step's own `apt_install` lines and
// the packages it declares for a script file it calls (Step.packages). One list per step that
// installs, as apt resolves each install on its own at bake time.
import type { Plan } from '../../components/index.js';
import { PHASES } from '../../components/model.js';

const NAME = /^[a-z0-9][a-z0-9+.-]*$/;

export class PackagesError extends Error {}

/** The package lists of the plan's installs, in step order (each list in its own order). */
export function planInstalls(plan: Plan): string[][] {
  const out: string[][] = [];
  for (const phase of PHASES) {
    for (const step of plan.steps[phase]) {
      const id = `${step.component}.${step.name}`;
      if (step.packages?.length) out.push(checked(id, [...step.packages]));
      for (const line of step.script.split('\n')) {
        const m = /^\s*apt_install\s+(.+?)\s*$/.exec(line);
        if (m) out.push(checked(id, m[1]!.split(/\s+/)));
      }
    }
  }
  return out;
}

function checked(step: string, words: string[]): string[] {
  // Package names never need quoting, so a quoted or expanded word is not a package name.
  const bad = words.find((w) => !NAME.test(w));
  if (bad) throw new PackagesError(`step ${step} installs ${JSON.stringify(bad)}, which is not an apt package name a bundle can carry`);
  return words;
}
