import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, uniquePrefix } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * An installation upgrades in place: the Redis state written by the version before accounts (a dump of it, see
 * test/fixtures/upgrade/README.md) is read as the account `default`. The failure and the stall it had alerted are not
 * alerted again, and the incidents it had open are the ones today's worker closes.
 */

interface Dump {
  madeWith: string;
  posts: string[];
  attempts: Array<{ flow: number; id: number; state: 'succeeded' | 'failed' | 'running'; createdAt: number; completedAt: number | null; errors?: string[] }>;
  keys: Array<{ key: string; ttlMs: number; dump: string }>;
}

const FIXTURE = new URL('../fixtures/upgrade/state-before-accounts.json', import.meta.url);
const FLOWS = ['  - { id: 101, name: Orders }', '  - { id: 102, name: Customers }', '  - { id: 103, name: Ads }'].join('\n');

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('an installation made before accounts', () => {
  it('is read as the default account: nothing alerted twice, and its open incidents recover', async () => {
    const dump = JSON.parse(await readFile(FIXTURE, 'utf8')) as Dump;
    expect(dump.posts.sort()).toEqual(['FAILED: Orders', 'STALLED: Customers']);
    const prefix = uniquePrefix('upgrade');
    const h = (harness = await startHarness(FLOWS, 'pollEvery: 1s\n  maxRuntime: 1h\n  backfill: 24h', { prefix }));
    for (const { key, ttlMs, dump: hex } of dump.keys) {
      await h.redis.restore(`${prefix}${key}`, ttlMs > 0 ? ttlMs : 0, Buffer.from(hex, 'hex'), 'REPLACE');
    }
    const before = JSON.parse((await h.redis.hget(`${prefix}:flow:101:state`, 'state')) ?? '{}') as { version: number; incident: unknown };
    expect(before.incident).toMatchObject({ kind: 'failed', attemptId: 9002 });

    // Portable as it was, except that the stalled run has since finished well.
    for (const id of [101, 102, 103]) h.simulator.addFlow({ id, frequency: 'Daily' });
    for (const { flow, state, ...attempt } of dump.attempts) {
      const finished = attempt.id === 9102 ? { state: 'succeeded' as const, completedAt: attempt.createdAt + 100 * 60_000 } : { state };
      h.simulator.addAttempt(flow, { ...attempt, ...finished, errors: attempt.errors ?? null });
    }
    await h.startService();
    h.simulator.addAttempt(101, { state: 'succeeded' });

    await eventually(() => (h.posts().length >= 2 ? true : undefined), 'both recoveries', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(h.posts().sort()).toEqual(['RECOVERED: Customers', 'RECOVERED: Orders']);
    // The state was carried on, under the keys it had, not started afresh beside them.
    const after = JSON.parse((await h.redis.hget(`${prefix}:flow:101:state`, 'state')) ?? '{}') as { version: number; incident: unknown };
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.incident).toBeNull();
    expect(await h.redis.keys(`${prefix}:flow:*default*`)).toEqual([]);
  }, 60_000);
});
