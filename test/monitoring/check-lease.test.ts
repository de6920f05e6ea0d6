import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/watch-harness.ts';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a check that finds its flow already being checked', () => {
  it('waits for the other check to finish, then checks (its interval is not lost)', async () => {
    harness = await startHarness('  - { id: 41 }');
    harness.simulator.addFlow({ id: 41, displayName: 'Leased' });
    const service = await harness.startService(harness.config);
    const lockKey = `${harness.prefix}:flow:41:lock`;
    await harness.redis.set(lockKey, 'another-worker', 'PX', 10_000);
    setTimeout(() => void harness?.redis.del(lockKey), 400);
    const startedAt = Date.now();
    const report = await service.checkNow('41');
    expect(report.outcome).toBe('ok');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(350);
  });

  it('gives up after a moment when the other check holds on (a slow or dead worker), touching nothing', async () => {
    harness = await startHarness('  - { id: 42 }');
    harness.simulator.addFlow({ id: 42, displayName: 'Stuck' });
    const service = await harness.startService(harness.config);
    await harness.redis.set(`${harness.prefix}:flow:42:lock`, 'dead-worker', 'PX', 10_000);
    harness.simulator.resetCounters();
    const report = await service.checkNow('42');
    expect(report).toEqual({ outcome: 'skipped', reason: 'another check of this flow is in progress' });
    // No run attempts read (reading the flow's schedule, which a one-off check may do first, changes nothing).
    expect(harness.simulator.requestCount({ path: '/v2/flows/42/run' })).toBe(0);
    expect(await harness.redis.get(`${harness.prefix}:flow:42:lock`)).toBe('dead-worker');
  });
});
