import { defineConfig } from 'vitest/config';

// Unit and route tests: no external service. Integration suites live under
// test/integration and run through `npm run test:integration`, which starts
// real PostgreSQL and Redis servers first.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['lib/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/integration/**', '.vercel/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
