import { defineConfig } from 'vitest/config';

// The fault tests (npm run test:faults): real server processes on a PostgreSQL of their own, one
// file at a time (each starts a whole cluster; the machine has two cores).
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
