// The stack: every component of the seed guide, in the seed's order. The plan is the one
// list both emitters arrange; no step exists twice.
import type { OsModule } from '../os/types.js';
import type { ResolvedProfile } from '../profile/types.js';
import { app } from './app/index.js';
import { base } from './base/index.js';
import { environment } from './environment/index.js';
import { fail2ban } from './fail2ban/index.js';
import { firewall } from './firewall/index.js';
import { firstboot } from './firstboot/index.js';
import { generalize } from './generalize/index.js';
import { inventory } from './inventory/index.js';
import { host } from './host/index.js';
import { java } from './java/index.js';
import { openssl } from './openssl/index.js';
import { postgres } from './postgres/index.js';
import { resin } from './resin/index.js';
import { sshd } from './sshd/index.js';
import { LIB_SH, STEPS_DIR } from '../instance/paths.js';
import { lines, PHASES, stepId, type Component, type FrozenPackages, type InstanceFile, type Phase, type StackContext, type Step } from './model.js';
import { time } from './time/index.js';
import { tls } from './tls/index.js';

export const COMPONENTS: readonly Component[] = [
  base,
  time,
  host,
  postgres,
  openssl,
  java,
  environment,
  resin,
  app,
  tls,
  firewall,
  fail2ban,
  sshd,
  firstboot,
  // The last bake step: what the steps above installed.
  inventory,
  generalize,
];

export interface Plan {
  steps: Record<Phase, Step[]>;
  /** Every file on the instance: the step scripts, the runner, and what the steps need. Sorted by path. */
  files: InstanceFile[];
}

export { STEPS_DIR };

/** The step's file name: its position keeps the order, its id names it. */
export const stepFile = (phase: Phase, index: number, step: Step): string =>
  `${STEPS_DIR}/${phase}/${String(index + 1).padStart(2, '0')}-${stepId(step)}.sh`;

function stepScript(phase: Phase, step: Step): string {
  return lines(
    '#!/bin/bash',
    `# cocca-bake step ${stepId(step)} (${phase}): ${step.title}`,
    '# shellcheck source=/dev/null',
    `. ${LIB_SH}`,
    step.packages?.length ? `# apt packages: ${step.packages.join(' ')}` : undefined,
    step.script,
    '',
  );
}

export interface PlanOptions {
  /** Install exactly these package versions (`--frozen`). */
  frozen?: FrozenPackages;
}

export function plan(profile: ResolvedProfile, os: OsModule, options: PlanOptions = {}): Plan {
  if (options.frozen && options.frozen.os !== profile.os) throw new Error(`internal: frozen packages of ${options.frozen.os} for a ${profile.os} profile`);
  const ctx: StackContext = { profile, os, frozen: options.frozen };
  const steps: Record<Phase, Step[]> = { bake: [], seal: [], harden: [], boot: [] };
  const files: InstanceFile[] = [];
  for (const c of COMPONENTS) {
    for (const s of c.steps(ctx)) steps[s.phase].push(s);
    files.push(...(c.files?.(ctx) ?? []));
  }
  for (const phase of PHASES) {
    steps[phase].forEach((s, i) => files.push({ path: stepFile(phase, i, s), mode: '0755', content: stepScript(phase, s) }));
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`internal: two components write ${f.path}`);
    seen.add(f.path);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { steps, files };
}
