/**
 * Small process helpers for the end-to-end harness: run a host command and fail with its
 * output, and progress lines on stderr (vitest keeps console.log for the figures).
 */
import { execa, type Options } from 'execa';
import * as path from 'node:path';
import { expect } from 'vitest';

/** The running test file's short name: two files run at once and their lines interleave. */
function fileName(): string {
  const file = expect.getState().testPath;
  return file ? ` ${path.basename(file, '.test.ts')}` : '';
}

/** A progress line, on stderr so it shows while a long step runs. */
export function progress(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[e2e ${t}${fileName()}] ${message}\n`);
}

/** The last `max` characters of a long text, for failure messages. */
export function tail(text: string, max = 6000): string {
  return text.length <= max ? text : `...${text.slice(-max)}`;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  all: string;
  exitCode: number;
}

/**
 * Runs a host program; throws with its command line, exit code and output when it fails
 * (or returns the result with `reject: false`). stdin is closed unless `input` is given.
 */
export async function run(file: string, args: readonly string[], opts: Options & { reject?: boolean } = {}): Promise<RunResult> {
  const r = await execa(file, args, { stdin: opts.input === undefined ? 'ignore' : undefined, all: true, reject: false, ...opts, encoding: 'utf8' } as Options);
  const res: RunResult = {
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    all: String(r.all ?? ''),
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
  };
  if (opts.reject !== false && (res.exitCode !== 0 || r.timedOut)) {
    throw new Error(`${file} ${args.join(' ')} ${r.timedOut ? 'timed out' : `exited ${res.exitCode}`}:\n${tail(res.all)}`);
  }
  return res;
}

/** Seconds with one decimal, for figures. */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
