// vitest globalSetup: the tests that run the CLI as a process run dist/, so dist/ is brought up
// to date once here, before any test file. One tsc run instead of one per file (about 12 s
// each on two cores), and never two at once writing the same files.
import { execa } from 'execa';
import { ROOT, staleDist } from '../helpers/outputs.js';

export default async function buildOnce(): Promise<void> {
  if (staleDist()) await execa('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
