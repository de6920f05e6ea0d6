import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCheckWatchdog } from '../../src/worker/check-watchdog.ts';
import { captureLog } from '../support/capture-log.ts';

/** The watchdog's rules on a clock the test moves: when it acts, when it does not, when it gives up. */

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function watchdogAt(
  options: { pollEvery?: number; elsewhere?: () => number | undefined; restart?: () => Promise<void>; redisRefusing?: () => boolean } = {},
) {
  let now = 1_000_000;
  const restarts: number[] = [];
  const { log, lines } = captureLog();
  const watchdog = createCheckWatchdog({
    now: () => now,
    elapsed: () => now,
    log,
    shortestPollEvery: () => options.pollEvery,
    lastCheckInInstallation: () => Promise.resolve(options.elsewhere?.()),
    restart: async () => {
      restarts.push(now);
      await options.restart?.();
    },
    everyMs: 1_000,
    ...(options.redisRefusing ? { redisRefusing: options.redisRefusing } : {}),
  });
  watchdog.start();
  return {
    watchdog,
    restarts,
    messages: () => lines.map((line) => String(line.msg)),
    /** What a person reading at info sees. */
    told: () => lines.filter((line) => Number(line.level) >= 30).map((line) => String(line.msg)),
    /** Moves the clock, then lets the watchdog look once. */
    async advance(ms: number) {
      now += ms;
      await vi.advanceTimersByTimeAsync(1_000);
    },
    now: () => now,
  };
}

describe('the watchdog rules', () => {
  it('waits 30 s at least, then rebuilds once per stall period and logs once', async () => {
    const clock = watchdogAt({ pollEvery: 1_000 });
    await clock.advance(29_000);
    expect(clock.restarts).toHaveLength(0);
    await clock.advance(2_000);
    expect(clock.restarts).toHaveLength(1);
    await clock.advance(5_000);
    expect(clock.restarts).toHaveLength(1);
    await clock.advance(30_000);
    expect(clock.restarts).toHaveLength(2);
    expect(clock.messages().filter((message) => message.startsWith('no check has completed'))).toHaveLength(1);
    clock.watchdog.close();
  });

  it('waits 3 × pollEvery when that is longer', async () => {
    const clock = watchdogAt({ pollEvery: 60_000 });
    await clock.advance(170_000);
    expect(clock.restarts).toHaveLength(0);
    await clock.advance(15_000);
    expect(clock.restarts).toHaveLength(1);
    clock.watchdog.close();
  });

  it('does nothing while another replica checks, or while no flow is watched', async () => {
    let other = 0;
    const busy = watchdogAt({ pollEvery: 1_000, elsewhere: () => other });
    for (let step = 0; step < 10; step += 1) {
      other = busy.now();
      await busy.advance(10_000);
    }
    expect(busy.restarts).toHaveLength(0);
    busy.watchdog.close();
    const idle = watchdogAt({});
    await idle.advance(600_000);
    expect(idle.restarts).toHaveLength(0);
    idle.watchdog.close();
  });

  it('is unhealthy 2 minutes after the first rebuild if checks did not come back, and healthy once one completes', async () => {
    const clock = watchdogAt({ pollEvery: 1_000, restart: () => Promise.reject(new Error('Redis away')) });
    await clock.advance(31_000);
    expect(clock.restarts).toHaveLength(1);
    expect(clock.watchdog.health()).toEqual({ healthy: true });
    await clock.advance(121_000);
    expect(clock.watchdog.health()).toMatchObject({ healthy: false, reason: expect.stringMatching(/^no check completed since /) as string });
    clock.watchdog.checkCompleted();
    expect(clock.watchdog.health()).toEqual({ healthy: true });
    expect(clock.messages()).toContain('checks complete again');
    clock.watchdog.close();
  });

  it('during a Redis outage it still rebuilds but tells nothing (the outage log does); a stall outlasting the outage is told', async () => {
    let outage = true;
    const clock = watchdogAt({ pollEvery: 1_000, restart: () => (outage ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve()), redisRefusing: () => outage });
    await clock.advance(31_000);
    await clock.advance(30_000);
    expect(clock.restarts).toHaveLength(2);
    expect(clock.told()).toEqual([]);
    expect(clock.messages()).toContain('could not recreate the Redis connection; trying again later');
    outage = false;
    await clock.advance(30_000);
    expect(clock.restarts).toHaveLength(3);
    expect(clock.told()).toEqual(['no check has completed for too long; recreating the Redis connection and the workers']);
    clock.watchdog.checkCompleted();
    expect(clock.told()).toEqual(['no check has completed for too long; recreating the Redis connection and the workers', 'checks complete again']);
    clock.watchdog.close();
  });

  it('a stall told at debug during an outage ends without a line either', async () => {
    const clock = watchdogAt({ pollEvery: 1_000, restart: () => Promise.reject(new Error('connect ECONNREFUSED')), redisRefusing: () => true });
    await clock.advance(31_000);
    clock.watchdog.checkCompleted();
    expect(clock.restarts).toHaveLength(1);
    expect(clock.told()).toEqual([]);
    clock.watchdog.close();
  });
});

describe('a wall clock that jumps', () => {
  it('a wall clock stepped 4 hours forward is not 4 hours without a check: the elapsed clock decides', async () => {
    let wall = 1_000_000;
    let elapsed = 0;
    const restarts: number[] = [];
    const { log, lines } = captureLog();
    const watchdog = createCheckWatchdog({
      now: () => wall,
      elapsed: () => elapsed,
      log,
      shortestPollEvery: () => 1_000,
      // Redis last saw a check begin just before the step, on the wall clock of then.
      lastCheckInInstallation: () => Promise.resolve(1_000_000),
      restart: () => {
        restarts.push(elapsed);
        return Promise.resolve();
      },
      everyMs: 1_000,
    });
    watchdog.start();
    wall += 4 * 3_600_000;
    elapsed += 1_000;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(restarts).toEqual([]);
    // Checks really stopped: 31 s pass on both clocks, and then it acts, telling the wall-clock time of the last check.
    wall += 31_000;
    elapsed += 31_000;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(restarts).toEqual([32_000]);
    expect(lines.find((line) => line.msg === 'no check has completed for too long; recreating the Redis connection and the workers')).toMatchObject({
      lastCheckCompleted: new Date(1_000_000).toISOString(),
      stalledSeconds: 32,
    });
    watchdog.close();
  });
});
