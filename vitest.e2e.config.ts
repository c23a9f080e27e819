import { defineConfig } from 'vitest/config';

// The end-to-end flows (test/e2e): real systemd-nspawn containers, one after another.
// `npm run test:e2e`; needs root. Long timeouts: the first run builds the caches.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 10 * 60_000,
    hookTimeout: 75 * 60_000,
    teardownTimeout: 10 * 60_000,
    // Progress lines go to stderr as they happen.
    disableConsoleIntercept: true,
  },
});
