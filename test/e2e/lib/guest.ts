/**
 * What a container (nspawn.ts) and a VM (qemu.ts) share: the host process that runs the guest,
 * its exit, and the guest's console log.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tail } from './run.js';

export abstract class Guest {
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;

  protected constructor(
    readonly name: string,
    readonly consoleLog: string,
    protected readonly child: ChildProcess,
    onExit: () => void,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        onExit();
        resolve(this.exitCode);
      });
    });
  }

  /** The host process's PID (systemd-nspawn, or qemu). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.exitCode === null && this.child.exitCode === null;
  }

  consoleTail(max = 5000): string {
    try {
      return tail(readFileSync(this.consoleLog, 'utf8'), max);
    } catch {
      return '(no console log)';
    }
  }
}
