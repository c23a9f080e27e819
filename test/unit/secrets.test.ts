// Secrets never land in an image, the HCL, a rendered file or a log: bake-phase steps read
// none, render has no way to take one, and only the console path (user-data) carries them.
import { execa } from 'execa';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProfile } from '../../generator/check/index.js';
import { plan } from '../../generator/components/index.js';

const CLI = path.resolve('dist/generator/cli.js');
const PROFILES = ['af-south-1', 'eu-west-1', 'ap-southeast-2', 'whois-dr'];
const SECRET = 'S3cret-Value-For-The-Test-42';
let work: string;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-secrets-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe.each(PROFILES)('profile %s', (name) => {
  it('has no bake or seal step that reads a secret', () => {
    const r = checkProfile(`profiles/${name}.yaml`);
    const p = plan(r.profile!, r.os!);
    for (const step of [...p.steps.bake, ...p.steps.seal]) {
      // Reading, not removing: generalize deletes those files, which is the point of it.
      expect(step.script, `${step.component}.${step.name}`).not.toMatch(/\bsecret [A-Z_]|\bvalue [A-Z_]|kv_get [^\n]*(secrets|instance|values)\.env/);
    }
    // ...while the boot steps do: the check above would notice if the helper were renamed.
    expect(p.steps.boot.some((s) => /\bsecret [A-Z_]/.test(s.script))).toBe(true);
  });

  it('renders no secret, and only the first-boot user-data carries one handed in', async () => {
    const out = path.join(work, name);
    const secrets = path.join(work, `${name}.env`);
    await fs.writeFile(secrets, `COCCA_POSTGRES_PASSWORD=${SECRET}\nCOCCA_SOURCE_KEYSTORE_PASSWORD=${SECRET}\n`);
    const render = await execa('node', [CLI, 'render', `profiles/${name}.yaml`, '--out', out], { reject: false, all: true });
    expect(render.exitCode, render.all).toBe(0);
    for (const f of await filesUnder(out)) {
      const text = await fs.readFile(f, 'latin1');
      // The names appear in messages; an assignment of one never does.
      expect(text, f).not.toMatch(/^\s*COCCA_(POSTGRES|SOURCE_KEYSTORE)_PASSWORD=/m);
      expect(text, f).not.toContain(SECRET);
    }
    const ud = await execa('node', [CLI, 'user-data', `profiles/${name}.yaml`, '--mode', 'firstboot', '--secrets', secrets], { reject: false });
    expect(ud.exitCode, ud.stderr).toBe(0);
    expect(ud.stdout).toContain(`COCCA_POSTGRES_PASSWORD=${SECRET}`);
    expect(ud.stderr).not.toContain(SECRET);
    expect(ud.stdout).toMatch(/path: \/etc\/cocca\/instance\.env\n\s+permissions: '0600'/);
  });
});

it('render takes no secrets: --secrets is a usage error', async () => {
  const r = await execa('node', [CLI, 'render', 'profiles/af-south-1.yaml', '--out', path.join(work, 'x'), '--secrets', '/dev/null'], { reject: false });
  expect(r.exitCode).toBe(2);
});

it('a refused secret is reported by file and line, never echoed', async () => {
  const f = path.join(work, 'bad.env');
  await fs.writeFile(f, `# comment\nCOCCA_POSTGRES_PASSWORD=\${jndi:${SECRET}}\nnot a line ${SECRET}\n`);
  const r = await execa('node', [CLI, 'user-data', 'profiles/af-south-1.yaml', '--mode', 'firstboot', '--secrets', f], { reject: false });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toContain(`${f}:2: COCCA_POSTGRES_PASSWORD contains \${ or #{`);
  expect(r.stderr).toContain(`${f}:3: expected COCCA_NAME=value`);
  expect(r.stderr).not.toContain(SECRET);
  expect(r.stdout).toBe('');
});
