import { defineConfig } from 'vitest/config';

// Unit and route tests: no external service. Integration suites live under
// test/integration and run through `npm run test:integration`, which starts
// real PostgreSQL and Redis servers first.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['lib/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/integration/**', '.vercel/**'],
    // Generous: a few tests do heavy work (100k cache keys, 10,000 fuzzed requests, a 50,000-run seed) and CI
    // shares two cores with other work; none of them asserts on time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
