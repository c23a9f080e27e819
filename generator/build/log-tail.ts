// The last lines of a log, for a failed build's record and its message: read from the end, so a
// long bake's log is not loaded whole.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export function logTail(file: string, lines: number, maxBytes = 64 * 1024): string[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const all = buf.toString('utf8').split('\n');
    if (all[all.length - 1] === '') all.pop();
    // A read that started mid-line drops that partial line.
    if (length < size) all.shift();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}
