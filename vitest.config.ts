import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Most files spend their time waiting on real servers, Redis and timers, not on the CPU: two at a time on the
    // two cores CI has (vitest's default there is one) halves the wall time without starving any of them.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: ['default'],
  },
});
