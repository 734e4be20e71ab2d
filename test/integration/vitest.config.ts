import { defineConfig } from 'vitest/config';

// Integration suites, run by `npm run test:integration` (test/integration/run.ts),
// which starts the servers first and exports IRIS_TEST_* variables. The
// servers are shared, so files run one at a time.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/integration/**/*.test.ts'],
    exclude: ['node_modules/**', '.vercel/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // An empty run is a failure, never a silent pass.
    passWithNoTests: false,
  },
});
