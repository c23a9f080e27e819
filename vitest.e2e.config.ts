import * as path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The qemu build goes first, alone on one worker for its ~20 minutes of TCG; the other worker
 * takes the stand-ins' check (the flows rely on them), then the nspawn flows. Files not named
 * here run last, in vitest's own order.
 */
const ORDER = ['qemu-build', 'standins', 'flows', 'debian-13'];
class QemuFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = ORDER.indexOf(path.basename(f.moduleId, '.test.ts'));
      return i < 0 ? ORDER.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

// The end-to-end flows (test/e2e): real systemd-nspawn containers and the qemu build.
// `npm run test:e2e`; needs root. Long timeouts: the first run builds the caches.
// Two files at a time: the qemu build under TCG keeps one core busy for about 20 minutes
// and leaves the other idle, which the nspawn flows use meanwhile. Each file has its own work
// directory, machines and namespaces; the shared cache entries are built atomically.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: QemuFirst },
    testTimeout: 10 * 60_000,
    hookTimeout: 75 * 60_000,
    teardownTimeout: 10 * 60_000,
    // Progress lines go to stderr as they happen.
    disableConsoleIntercept: true,
  },
});
