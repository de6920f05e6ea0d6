import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { checkFlow, type AlertSink, type CheckTarget } from '../../src/checks/check-flow.ts';
import { createPortableClient } from '../../src/portable/portable-client.ts';
import { healthyRuns, toAttemptInput } from '../../src/simulator/plan-run.ts';
import { createPortableSimulator, type Dialect, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { createFlowStateStore, type FlowStateStore } from '../../src/state/flow-state-store.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/**
 * The quiet counterpart of issue 11's rules, on real parts (the simulator over HTTP, real Redis, the real client and
 * check): 1,000 healthy runs with realistic noise, each checked while it runs and once it has ended, with every rule
 * on, `maxRuntime: auto` and an hourly schedule — and not one alert. The same flow then drops to zero rows once,
 * and that one run is alerted.
 */

const TOKEN = 'pw-healthy-token-0c4e';
const MIN = 60_000;
const HOUR = 60 * MIN;
const FLOW = 901;

let redis: Redis;
let prefix: string;
let store: FlowStateStore;
let simulator: PortableSimulator;
let clock: number;
let alerts: Alert[];

const sink: AlertSink = {
  enqueue(items) {
    alerts.push(...items.map((item) => item.alert));
    return Promise.resolve();
  },
};

const target: CheckTarget = {
  id: FLOW,
  account: 'default',
  name: 'Healthy',
  notify: ['oncall'],
  accountNotifiers: ['oncall'],
  maxRuntime: 'auto',
  autoFallback: 2 * HOUR,
  backfill: 24 * HOUR,
  sendOnResolved: true,
  scheduleTimezone: 'UTC',
};

beforeEach(async () => {
  redis = connectRedis();
  prefix = uniquePrefix('healthy');
  store = createFlowStateStore(redis, prefix);
  alerts = [];
  simulator = createPortableSimulator({ token: TOKEN, now: () => clock });
  await simulator.listen();
});

afterEach(async () => {
  await simulator.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

describe.each<Dialect>(['example', 'schema'])('1,000 healthy runs in the %s dialect', (dialect) => {
  it('raise no alert with every rule on; one run that loads nothing is alerted, once', async () => {
    const start = Date.UTC(2026, 0, 1);
    clock = start - HOUR;
    simulator.addFlow({ id: FLOW, displayName: 'healthy', dialect, frequency: '1h' });
    await redis.hset(`${prefix}:schedules`, String(FLOW), JSON.stringify({ frequency: '1h' }));
    const client = createPortableClient({ token: TOKEN, apiUrl: simulator.url, now: () => clock, retry: { limit: 0 } });
    const deps = { client, store, sink, now: () => clock, log: pino({ level: 'silent' }), owner: 'healthy-test' };
    const check = async (at: number) => {
      clock = at;
      const report = await checkFlow(deps, target);
      expect(report.outcome === 'ok' || report.outcome === 'alerted').toBe(true);
    };

    const runs = healthyRuns(1_000, dialect === 'example' ? 7 : 11, { start });
    for (const run of runs) {
      // While it runs: the stall rule judges it against what the flow learned so far.
      clock = run.createdAt;
      const attempt = simulator.addAttempt(FLOW, { ...toAttemptInput(run), state: 'running', completedAt: null, createdAt: run.createdAt });
      await check(run.createdAt + Math.floor(run.durationMs * 0.9));
      clock = run.completedAt;
      simulator.updateAttempt(FLOW, attempt.id, { state: 'succeeded', completedAt: run.completedAt });
      await check(run.completedAt + MIN);
    }
    expect(alerts.map((alert) => alert.key)).toEqual([]);
    const state = await store.load(String(FLOW));
    expect(state.history.durations).toHaveLength(30);
    expect(Object.keys(state.history.loaded).length).toBeGreaterThan(0);

    // The same flow, the next hour, loads nothing into every resource: one volume alert naming them.
    const last = runs.at(-1) as (typeof runs)[number];
    const dropAt = last.createdAt + HOUR;
    clock = dropAt + 5 * MIN;
    const empty = last.resources.map((resource) => ({ ...resource, extracted: 0, analyzed: 0, loaded: 0 }));
    simulator.addAttempt(FLOW, { state: 'succeeded', createdAt: dropAt, completedAt: dropAt + 5 * MIN, resources: empty });
    await check(dropAt + 6 * MIN);
    await check(dropAt + 7 * MIN);
    expect(alerts.map((alert) => alert.kind)).toEqual(['volume']);
    expect(alerts[0]?.volume?.resources.map((resource) => resource.name).sort()).toEqual(last.resources.map((resource) => resource.name).sort());
  }, 120_000);
});
