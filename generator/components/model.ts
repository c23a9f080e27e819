// The step model: every stack component turns the profile into ordered steps, each in one phase.
//   bake: image time. No secret, nothing that belongs to one instance. Runs in Packer, or first in a full user-data.
//   seal: the image's last act (generalize). Packer only: a full install never seals itself.
//   harden: first thing at first boot, before anything that can fail (firewall on, sshd, fail2ban),
//     and again whenever first boot fails: every step runs even when one before it failed.
//   boot: the rest of first boot: hostname, secrets, tuning, database, resin.xml, certificates.
// Every step is idempotent; the runner on the instance records each finished bake and boot step.
import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import type { OsModule } from '../os/types.js';
import { packageFile } from '../paths.js';
import type { Rule } from '../profile/rule.js';
import type { ResolvedProfile } from '../profile/types.js';

export type Phase = 'bake' | 'seal' | 'harden' | 'boot';
export const PHASES: readonly Phase[] = ['bake', 'seal', 'harden', 'boot'];

/** Where the instance files of cocca-bake live on the server (generator/instance/paths.ts). */
export { COCCA_LIB } from '../instance/paths.js';

/** A file a step needs on the instance, installed with the step scripts. */
export interface InstanceFile {
  path: string; // absolute path on the instance
  content: string;
  mode: '0644' | '0755' | '0600' | '0640';
}

export interface Step {
  component: string;
  name: string; // unique within the component, [a-z0-9-]
  phase: Phase;
  title: string; // what an operator reads in progress output
  script: string; // bash body; runs with `set -euo pipefail` and lib.sh loaded
  /**
   * The apt packages the step installs through a script file it calls (whose `apt_install`
   * takes them as arguments): written into the step file, so whatever must carry the packages
   * beforehand (a local mirror) reads them there as it reads a step's own `apt_install`.
   */
  packages?: readonly string[];
}

/**
 * The package versions a frozen bake installs (`build --frozen`, from the lock's `packages`
 * entry of the profile): "name:arch" to version, recorded on the OS named.
 */
export interface FrozenPackages {
  os: string;
  versions: Readonly<Record<string, string>>;
}

export interface StackContext {
  profile: ResolvedProfile;
  os: OsModule;
  frozen?: FrozenPackages;
}

export interface Component {
  name: string;
  steps(ctx: StackContext): Step[];
  /** Files installed with the steps (configuration rendered at generate time, helpers). */
  files?(ctx: StackContext): InstanceFile[];
  /** What the schema cannot say about this component's own profile section (its rules.ts). */
  rules?: readonly Rule[];
}

export const stepId = (s: Pick<Step, 'component' | 'name'>): string => `${s.component}.${s.name}`;

/**
 * Quotes a value for bash: the one way profile values enter a script. Single quotes; a value
 * with $, a backtick or a backslash goes in double quotes, with each \, ", $ and ` escaped,
 * because ShellCheck takes those in single quotes for a mistake (SC2016, SC1003) and the
 * scripts must pass it as written.
 * Values never hold a line break or a control character (validate refuses them).
 */
export function shq(value: string | number): string {
  const s = String(value);
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s;
  if (/[$`\\]/.test(s)) return `"${s.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Joins script lines, dropping `false`/`undefined` ones so conditionals read inline. */
export function lines(...parts: Array<string | false | undefined | null>): string {
  return parts.filter((p): p is string => typeof p === 'string').join('\n');
}

/** A script or file kept as it stands in a component's folder (generator/components/COMPONENT/NAME). */
export const componentFile = (component: string, name: string): string => readFileSync(packageFile(`generator/components/${component}/${name}`), 'utf8');

/** One of the runner's files (lib.sh, cocca-run, cocca-fill-template): generator/components/runner/NAME. */
export const runnerFile = (name: 'lib.sh' | 'cocca-run' | 'cocca-fill-template'): string => componentFile('runner', name);

/**
 * A unit or configuration file beside a component (NAME.ejs) that holds the profile's values:
 * rendered at generate time with ejs, the values as `u`. Only the escaping tag `<%= %>` is meant
 * for values; the files hold paths, numbers and names, which it leaves as they are.
 */
export function componentTemplate(component: string, name: string, u: Record<string, string | number | boolean | undefined>): string {
  const file = packageFile(`generator/components/${component}/${name}`);
  return ejs.render(readFileSync(file, 'utf8'), { u }, { filename: file, strict: true, destructuredLocals: ['u'], async: false });
}
