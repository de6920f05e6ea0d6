import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/simulator/portable-simulator.ts';
import { portableSchedulesKey } from '../../src/state/flow-state-store.ts';
import { eventually } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * Issue 11's rules on real parts: the simulator over HTTP (both dialects), Slack over HTTP, real Redis and the real
 * watch service. Each rule alerts once, is announced recovered, and is switched off by `detect`.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const bodyOf = (h: Harness, index: number) => JSON.stringify(h.slack.posts[index]?.body);

async function postsReach(h: Harness, count: number, what: string, timeoutMs = 10_000): Promise<string[]> {
  return eventually(() => (h.slack.posts.length >= count ? h.posts() : undefined), what, timeoutMs);
}

/** A healthy past: `count` successes, one every `everyMs`, the last one `endedAgo` before now, loading `rows` rows. */
function seedSuccesses(h: Harness, flowId: number, count: number, options: { everyMs: number; durationMs?: number; rows?: (index: number) => number; endedAgo?: number }) {
  const now = Date.now();
  for (let index = 0; index < count; index += 1) {
    const createdAt = now - (options.endedAgo ?? 0) - (count - index) * options.everyMs;
    const duration = options.durationMs ?? 5 * MINUTE;
    const rows = options.rows?.(index) ?? 1_000;
    h.simulator.addAttempt(flowId, {
      state: 'succeeded',
      createdAt,
      completedAt: createdAt + duration,
      resources: [{ name: 'orders', extracted: rows, analyzed: rows, loaded: rows }],
    });
  }
}

describe('missed runs', () => {
  it('alerts a missed run of a "* * * * *" cron from Portable within its minute plus missedAfter (30s) plus pollEvery, once, and its recovery', async () => {
    const h = (harness = await startHarness('  - { id: 301, name: Minutely export }', 'pollEvery: 1s\n  missedAfter: 30s\n  backfill: 1h'));
    h.simulator.addFlow({ id: 301, displayName: 'minutely', cron: '* * * * *' });
    // The expected run E is a minute boundary the flow lets pass: its previous slot ran, E's does not.
    const now = Date.now();
    let expectedAt = Math.floor(now / MINUTE) * MINUTE;
    if (now - expectedAt > 28 * SECOND) expectedAt += MINUTE;
    h.simulator.addAttempt(301, { state: 'succeeded', createdAt: expectedAt - MINUTE, completedAt: expectedAt - MINUTE + 5 * SECOND });
    await h.startService();

    const [header] = await postsReach(h, 1, 'the missed alert', 100 * SECOND);
    const arrived = Date.now();
    expect(header).toBe('MISSED RUN: Minutely export');
    expect(arrived).toBeGreaterThanOrEqual(expectedAt + 30 * SECOND);
    expect(arrived).toBeLessThanOrEqual(expectedAt + 30 * SECOND + 1 * SECOND + 3 * SECOND);
    expect(bodyOf(h, 0)).toContain('expected');

    await sleep(2_500);
    expect(h.posts()).toEqual(['MISSED RUN: Minutely export']);
    h.simulator.addAttempt(301, { state: 'running' });
    expect(await postsReach(h, 2, 'the recovery')).toEqual(['MISSED RUN: Minutely export', 'RECOVERED: Minutely export']);
  }, 120_000);

  it('counts ten missed hourly slots as one incident, from the flow\'s own schedule, and says how many', async () => {
    const h = (harness = await startHarness('  - { id: 302, name: Hourly, schedule: "0 * * * *" }'));
    h.simulator.addFlow({ id: 302, displayName: 'hourly' });
    const lastSlot = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE;
    h.simulator.addAttempt(302, { state: 'succeeded', createdAt: lastSlot - 11 * 60 * MINUTE, completedAt: lastSlot - 11 * 60 * MINUTE + MINUTE });
    await h.startService();
    await postsReach(h, 1, 'the missed alert');
    await sleep(2_000);
    expect(h.posts()).toEqual(['MISSED RUN: Hourly']);
    // Ten slots whose grace (10% of an hour, 6m) has passed for sure; the eleventh is the current hour's, maybe not yet.
    expect(bodyOf(h, 0)).toMatch(/1[01] expected runs/);
  });

  it('reads Portable\'s frequency, and a manual flow or `schedule: none` expects nothing', async () => {
    const h = (harness = await startHarness(
      ['  - { id: 303, name: Daily }', '  - { id: 304, name: Manual }', '  - { id: 305, name: Triggered elsewhere, schedule: none }'].join('\n'),
    ));
    h.simulator.addFlow({ id: 303, displayName: 'daily', frequency: '24h' });
    h.simulator.addFlow({ id: 304, displayName: 'manual', frequency: 'manual' });
    h.simulator.addFlow({ id: 305, displayName: 'elsewhere', frequency: '1h' });
    const longAgo = Date.now() - 3 * 24 * 60 * MINUTE;
    for (const id of [303, 304, 305]) h.simulator.addAttempt(id, { state: 'succeeded', createdAt: longAgo, completedAt: longAgo + MINUTE });
    await h.startService();
    await postsReach(h, 1, 'the missed alert');
    await sleep(2_500);
    expect(h.posts()).toEqual(['MISSED RUN: Daily']);
    expect(bodyOf(h, 0)).toContain('frequency 24h, from Portable');
  });

  it('falls back to GET /v2/flows/{id} when GET /v2/flows is refused', async () => {
    const h = (harness = await startHarness('  - { id: 306, name: Fallback }'));
    h.simulator.addFlow({ id: 306, displayName: 'fallback', frequency: '1h' });
    h.simulator.injectFault({ kind: 'status', status: 404 }, { endpoint: 'flows' });
    h.simulator.addAttempt(306, { state: 'succeeded', createdAt: Date.now() - 5 * 60 * MINUTE, completedAt: Date.now() - 5 * 60 * MINUTE + MINUTE });
    await h.startService();
    await postsReach(h, 1, 'the missed alert');
    expect(h.posts()).toEqual(['MISSED RUN: Fallback']);
    expect(h.simulator.requestCount({ path: '/v2/flows/306' })).toBeGreaterThanOrEqual(1);
    expect(await h.redis.hget(portableSchedulesKey(h.prefix), '306')).toBe('{"frequency":"1h"}');
  });
});

describe.each<Dialect>(['example', 'schema'])('partial loads and volume drops in the %s dialect', (dialect) => {
  it('alerts a partial load naming each resource, then its recovery', async () => {
    const h = (harness = await startHarness('  - { id: 310, name: Shopify orders }'));
    h.simulator.addFlow({ id: 310, displayName: 'shopify', dialect });
    seedSuccesses(h, 310, 3, { everyMs: 10 * MINUTE });
    await h.startService();
    await sleep(1_500);
    h.simulator.addAttempt(310, {
      state: 'succeeded',
      resources: [
        { name: 'orders', extracted: 1_000, analyzed: 1_000, loaded: 640 },
        { name: 'refunds', extracted: 20, analyzed: 20, loaded: 20, errors: ['column "amount" overflowed'] },
        { name: 'customers', extracted: 50, analyzed: 50, loaded: 50 },
      ],
    });
    await postsReach(h, 1, 'the partial alert');
    const body = bodyOf(h, 0);
    expect(h.posts()).toEqual(['PARTIAL LOAD: Shopify orders']);
    expect(body).toContain('orders');
    expect(body).toContain('640');
    expect(body).toContain('refunds');
    expect(body).toContain('column \\"amount\\" overflowed');
    expect(body).not.toContain('customers');

    h.simulator.addAttempt(310, { state: 'succeeded', resources: [{ name: 'orders', extracted: 900, analyzed: 900, loaded: 900 }] });
    expect(await postsReach(h, 2, 'the recovery')).toEqual(['PARTIAL LOAD: Shopify orders', 'RECOVERED: Shopify orders']);
  });

  it('alerts a resource that suddenly loads nothing, learned from a bootstrapped history, and not its normal variation', async () => {
    const h = (harness = await startHarness('  - { id: 311, name: Stripe invoices }'));
    h.simulator.addFlow({ id: 311, displayName: 'stripe', dialect });
    seedSuccesses(h, 311, 14, { everyMs: 60 * MINUTE, rows: (index) => 1_000 + ((index * 37) % 200) });
    await h.startService();
    await sleep(1_500);
    // Inside the usual range: nothing.
    h.simulator.addAttempt(311, { state: 'succeeded', resources: [{ name: 'orders', extracted: 850, analyzed: 850, loaded: 850 }] });
    await sleep(2_000);
    expect(h.posts()).toEqual([]);
    h.simulator.addAttempt(311, { state: 'succeeded', resources: [{ name: 'orders', extracted: 0, analyzed: 0, loaded: 0 }] });
    await postsReach(h, 1, 'the volume alert');
    expect(h.posts()).toEqual(['VOLUME DROP: Stripe invoices']);
    expect(bodyOf(h, 0)).toMatch(/orders/);
    await sleep(1_500);
    h.simulator.addAttempt(311, { state: 'succeeded', resources: [{ name: 'orders', extracted: 1_100, analyzed: 1_100, loaded: 1_100 }] });
    expect(await postsReach(h, 2, 'the recovery')).toEqual(['VOLUME DROP: Stripe invoices', 'RECOVERED: Stripe invoices']);
  });
});

describe.each<Dialect>(['example', 'schema'])('maxRuntime: auto in the %s dialect', (dialect) => {
  it('learns the limit from a history read at the first check and says how it was found', async () => {
    const h = (harness = await startHarness('  - { id: 320, name: Salesforce }', 'pollEvery: 1s\n  maxRuntime: auto\n  backfill: 1h'));
    h.simulator.addFlow({ id: 320, displayName: 'salesforce', dialect });
    // 20 runs of 4–6 minutes over the last 20 days: the learned limit is the 10-minute floor.
    seedSuccesses(h, 320, 20, { everyMs: 24 * 60 * MINUTE, durationMs: 5 * MINUTE, endedAgo: 60 * MINUTE });
    h.simulator.addAttempt(320, { state: 'running', createdAt: Date.now() - 27 * MINUTE });
    await h.startService();
    await postsReach(h, 1, 'the stalled alert');
    expect(h.posts()).toEqual(['STALLED: Salesforce']);
    expect(bodyOf(h, 0)).toMatch(/usually/);
  });

  it('uses autoFallback until 10 durations are known', async () => {
    const h = (harness = await startHarness('  - { id: 321, name: HubSpot }', 'pollEvery: 1s\n  maxRuntime: auto\n  autoFallback: 20m\n  backfill: 1h'));
    h.simulator.addFlow({ id: 321, displayName: 'hubspot', dialect });
    seedSuccesses(h, 321, 9, { everyMs: 24 * 60 * MINUTE, durationMs: 5 * MINUTE, endedAgo: 60 * MINUTE });
    // 20m (autoFallback) is reached 6 s after the start: not before, learned limit or not.
    const startedAt = Date.now();
    h.simulator.addAttempt(321, { state: 'running', createdAt: startedAt - 20 * MINUTE + 6 * SECOND });
    await h.startService();
    await sleep(3_000);
    expect(h.posts()).toEqual([]);
    await postsReach(h, 1, 'the stalled alert');
    expect(Date.now()).toBeGreaterThanOrEqual(startedAt + 6 * SECOND);
    expect(h.posts()).toEqual(['STALLED: HubSpot']);
    expect(bodyOf(h, 0)).toMatch(/autoFallback/);
  });
});

describe('detect', () => {
  it('raises only the rules it lists', async () => {
    const h = (harness = await startHarness('  - { id: 330, name: Failures only, detect: [failed], schedule: 1h }'));
    h.simulator.addFlow({ id: 330, displayName: 'only failures' });
    seedSuccesses(h, 330, 12, { everyMs: 60 * MINUTE, endedAgo: 3 * 60 * MINUTE });
    await h.startService();
    await sleep(1_500);
    h.simulator.addAttempt(330, { state: 'succeeded', resources: [{ name: 'orders', extracted: 100, analyzed: 100, loaded: 0 }] });
    await sleep(2_500);
    expect(h.posts()).toEqual([]);
    h.simulator.addAttempt(330, { state: 'failed', errors: ['boom'] });
    expect(await postsReach(h, 1, 'the failed alert')).toEqual(['FAILED: Failures only']);
  });
});

describe('history in Redis', () => {
  it('is bounded per flow and deleted with the flow', async () => {
    const h = (harness = await startHarness('  - { id: 340, name: Busy }\n  - { id: 341, name: Other }'));
    h.simulator.addFlow({ id: 340, displayName: 'busy', frequency: '1h' });
    h.simulator.addFlow({ id: 341, displayName: 'other', frequency: '1h' });
    seedSuccesses(h, 340, 60, { everyMs: 60 * MINUTE });
    const service = await h.startService();
    await eventually(async () => ((await h.redis.hget(portableSchedulesKey(h.prefix), '340')) === null ? undefined : true), 'the schedule');
    const state = await eventually(async () => {
      const raw = await h.redis.hget(`${h.prefix}:flow:340:state`, 'state');
      return raw === null ? undefined : (JSON.parse(raw) as { history: { durations: number[]; loaded: Record<string, number[]> } });
    }, 'the state');
    expect(state.history.durations).toHaveLength(30);
    expect(state.history.loaded.orders).toHaveLength(30);

    await service.reload(h.configWith('  - { id: 341, name: Other }'));
    expect(await h.redis.exists(`${h.prefix}:flow:340:state`)).toBe(0);
    expect(await h.redis.hget(portableSchedulesKey(h.prefix), '340')).toBeNull();
  });
});

describe('exactly once', () => {
  it('two replicas and a restart send each missed, partial and volume alert once', async () => {
    const h = (harness = await startHarness('  - { id: 350, name: Missed }\n  - { id: 351, name: Loads }'));
    h.simulator.addFlow({ id: 350, displayName: 'missed', frequency: '1h' });
    h.simulator.addFlow({ id: 351, displayName: 'loads', dialect: 'schema' });
    const longAgo = Date.now() - 5 * 60 * MINUTE;
    h.simulator.addAttempt(350, { state: 'succeeded', createdAt: longAgo, completedAt: longAgo + MINUTE });
    seedSuccesses(h, 351, 12, { everyMs: 60 * MINUTE });
    const first = await h.startService();
    await h.startService();
    await postsReach(h, 1, 'the missed alert');
    h.simulator.addAttempt(351, { state: 'succeeded', resources: [{ name: 'orders', extracted: 10, analyzed: 10, loaded: 0 }] });
    await postsReach(h, 3, 'the partial and volume alerts');
    await first.close();
    await h.startService();
    await sleep(3_000);
    expect([...h.posts()].sort()).toEqual(['MISSED RUN: Missed', 'PARTIAL LOAD: Loads', 'VOLUME DROP: Loads']);
  });
});
