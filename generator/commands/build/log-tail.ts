// The last lines of a log, for a failed build's record and its message: read from the end, so a
// long bake's log is not loaded whole.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export function logTail(file: string, lines: number, maxBytes = 64 * 1024): string[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    // One byte more than kept, when there is more: it tells whether the first kept line is whole.
    const start = Math.max(0, size - maxBytes - 1);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const all = buf.toString('utf8').split('\n');
    if (all[all.length - 1] === '') all.pop();
    // Drop what precedes the first newline: a partial line, or nothing.
    if (start > 0) all.shift();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}
