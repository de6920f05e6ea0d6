import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { checkFlow, type AlertSink, type CheckClient, type CheckTarget } from '../../src/checks/check-flow.ts';
import { createPortableClient } from '../../src/portable/portable-client.ts';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { createFlowStateStore, type FlowStateStore } from '../../src/state/flow-state-store.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/**
 * One check of one flow on real parts (Redis, the simulator over HTTP, the real client) with one clock for the
 * worker and for Portable that the test moves by hand, so a check can "take" ten minutes.
 */

const TOKEN = 'pw-check-token-3a1f';
const MIN = 60_000;
const FLOW = 501;

let redis: Redis;
let prefix: string;
let store: FlowStateStore;
let simulator: PortableSimulator;
let clock: number;
let queued: Alert[];

const sink: AlertSink = {
  enqueue(items) {
    queued.push(...items.map((item) => item.alert));
    return Promise.resolve();
  },
};

const target: CheckTarget = { id: FLOW, name: 'Events', notify: ['oncall'], accountNotifiers: ['oncall'], maxRuntime: 2 * 60 * MIN, backfill: 60 * MIN, sendOnResolved: true };

beforeEach(async () => {
  redis = connectRedis();
  prefix = uniquePrefix('check');
  store = createFlowStateStore(redis, prefix);
  clock = Date.UTC(2026, 10, 30, 12, 0, 0);
  queued = [];
  simulator = createPortableSimulator({ token: TOKEN, now: () => clock });
  await simulator.listen();
  simulator.addFlow({ id: FLOW, displayName: 'events' });
});

afterEach(async () => {
  await simulator.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function deps(client: CheckClient) {
  return { client, store, sink, now: () => clock, log: pino({ level: 'silent' }), owner: 'worker-a' };
}

describe('checkFlow', () => {
  it('takes its checkpoint before its first request: a run created while a long check ran is read by the next one', async () => {
    const client = createPortableClient({ token: TOKEN, apiUrl: simulator.url ?? '', now: () => clock });
    // The first check's answer arrives, then Portable creates a failed run, and the check only ends ten minutes
    // later (pages, retries, a slow Redis): longer than the 5-minute overlap the next window starts with.
    const slowClient: CheckClient = {
      async listRunAttempts(flowId, options) {
        const answer = await client.listRunAttempts(flowId, options);
        simulator.addAttempt(FLOW, { state: 'failed', errors: ['Created mid-check'], createdAt: clock + MIN });
        clock += 10 * MIN;
        return answer;
      },
      getFlow: (flowId, options) => client.getFlow(flowId, options),
    };
    expect(await checkFlow(deps(slowClient), target)).toMatchObject({ outcome: 'ok', committed: true });
    clock += MIN;
    const second = await checkFlow(deps(client), target);
    expect(second).toMatchObject({ outcome: 'alerted', committed: true });
    expect(queued.map((alert) => alert.kind)).toEqual(['failed']);
  });
});
