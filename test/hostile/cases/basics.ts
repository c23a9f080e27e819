// The baseline: the clean base as is, and plain mistakes the CLI already handled.
import type { HostileCase } from '../harness.js';

export const cases: HostileCase[] = [
  { name: 'the clean base, unchanged, validates and renders', yaml: '', exit: 0 },
  { name: 'a bad ssh port is refused with its line', yaml: 'ssh:\n  port: 70000\n', exit: 1, stderr: ['profiles/p.yaml:5:9: error: ssh.port'] },
];
