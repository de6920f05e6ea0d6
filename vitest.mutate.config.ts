import { defineConfig } from 'vitest/config';

/**
 * The tests `npm run mutate` runs against each mutant: every test that exercises the core in this process (real
 * Redis, real HTTP and SMTP peers included), none that starts a CLI process, a Redis topology or a long scenario —
 * a mutant planted in this process cannot reach those, and their minutes would be spent for nothing.
 */
export default defineConfig({
  test: {
    include: [
      'test/detection/**/*.test.ts',
      'test/checks/**/*.test.ts',
      'test/state/**/*.test.ts',
      'test/delivery/**/*.test.ts',
      'test/notifiers/**/*.test.ts',
      'test/config/**/*.test.ts',
      'test/portable/**/*.test.ts',
      'test/scheduling/**/*.test.ts',
      'test/routing/**/*.test.ts',
      'test/maintenance/**/*.test.ts',
      'test/silences/**/*.test.ts',
      'test/digests/**/*.test.ts',
      'test/redis/outage-log.test.ts',
      'test/redis/connect-redis.test.ts',
    ],
    // healthy-runs: 2,000 checks over HTTP (8 s) that cover nearly every line of detection; its pure counterpart in
    // test/detection/run-history.test.ts judges the same statistics in milliseconds.
    exclude: ['test/config/validate-command.test.ts', 'test/checks/healthy-runs.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
