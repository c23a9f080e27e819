// Ctrl-C (SIGINT) and SIGTERM during `build`. Packer runs in its own process group (so a
// terminal's Ctrl-C reaches it once, through us, not twice): the first signal asks every running
// Packer to stop with SIGINT to its group (Packer 1.6.6 cleans up on SIGINT but leaves qemu running on
// SIGTERM), no new build starts, and each build waits for its Packer's clean-up, at most
// `boundMs`. A second signal while Packer cleans up only says so; a third abandons the clean-up
// (Packer is killed and the record lists what may remain).
import { EventEmitter } from 'node:events';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export const EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** How long a build waits for Packer's clean-up after the signal: 5 minutes, or COCCA_BAKE_CLEANUP_TIMEOUT seconds. */
export function cleanupBoundMs(env = process.env): number {
  const s = Number(env.COCCA_BAKE_CLEANUP_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 5 * 60_000;
}

export class Interruption extends EventEmitter<{ stop: [StopSignal]; abandon: [] }> {
  signal?: StopSignal;
  abandoned = false;
  private presses = 0;

  constructor() {
    super();
    // One listener per running Packer: --parallel may exceed the default warning threshold.
    this.setMaxListeners(0);
  }

  get requested(): boolean {
    return this.signal !== undefined;
  }

  /** One signal arrived; `tell` prints a line for the operator. */
  receive(sig: StopSignal, tell: (line: string) => void): void {
    this.presses++;
    if (this.presses === 1) {
      this.signal = sig;
      tell(`${sig === 'SIGINT' ? 'interrupt' : sig} received: stopping Packer and waiting for its clean-up (at most ${Math.round(cleanupBoundMs() / 1000)} s); no new build starts`);
      this.emit('stop', sig);
    } else if (this.presses === 2) {
      tell('still cleaning up: Packer is deleting what it made; press Ctrl-C again to abandon the clean-up (resources may remain)');
    } else if (!this.abandoned) {
      this.abandoned = true;
      tell('abandoning the clean-up: Packer is killed; the build record lists what may remain');
      this.emit('abandon');
    }
  }

  /**
   * Listens for SIGINT, SIGTERM and SIGHUP until the returned function is called. A hang-up (the
   * operator's SSH session dropped) is a stop like the others: Packer, in its own session, would
   * not see it and would be left to die on its next write, its cloud resources with it.
   */
  listen(tell: (line: string) => void): () => void {
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, () => this.receive(sig, tell)] as const);
    for (const [sig, on] of handlers) process.on(sig, on);
    // After a hang-up the terminal is gone: writing progress to it must not end the clean-up.
    const ignore = () => {};
    process.stdout.on('error', ignore);
    process.stderr.on('error', ignore);
    return () => {
      for (const [sig, on] of handlers) process.off(sig, on);
      process.stdout.off('error', ignore);
      process.stderr.off('error', ignore);
    };
  }
}
