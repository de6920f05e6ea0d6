import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { checkFlow, type AlertSink, type CheckClient, type CheckTarget } from '../../src/checks/check-flow.ts';
import { createAlertSink, NOTIFICATION_QUEUE, type NotificationJobData } from '../../src/delivery/notification-queue.ts';
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

function deps(client: CheckClient, alertSink: AlertSink = sink) {
  return { client, store, sink: alertSink, now: () => clock, log: pino({ level: 'silent' }), owner: 'worker-a' };
}

function portable(): CheckClient {
  return createPortableClient({ token: TOKEN, apiUrl: simulator.url ?? '', now: () => clock });
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

  it('moves no checkpoint when its alerts cannot be queued: the next check alerts the failure, once', async () => {
    simulator.addAttempt(FLOW, { state: 'failed', errors: ['Warehouse refused the load'], createdAt: clock - MIN });
    const broken: AlertSink = { enqueue: () => Promise.reject(new Error('Redis refused the write')) };
    await expect(checkFlow(deps(portable(), broken), target)).rejects.toThrow('Redis refused the write');
    // Nothing committed: the state is the one before the check, and the lease is free again.
    expect(await store.load(FLOW)).toMatchObject({ version: 0, checkpoint: null, known: {} });
    expect(await redis.exists(`${prefix}:flow:${FLOW}:lock`)).toBe(0);

    clock += MIN;
    expect(await checkFlow(deps(portable()), target)).toMatchObject({ outcome: 'alerted', committed: true });
    clock += MIN;
    expect(await checkFlow(deps(portable()), target)).toMatchObject({ outcome: 'ok' });
    expect(queued.map((alert) => alert.kind)).toEqual(['failed']);
  });

  it('queues one notification job per alert and notifier however often the same alert is raised', async () => {
    const queue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
    try {
      const real = createAlertSink(() => queue);
      simulator.addAttempt(FLOW, { state: 'failed', errors: ['Schema drift'], createdAt: clock - MIN });
      const twoNotifiers = { ...target, notify: ['oncall', 'data-team'] };
      expect(await checkFlow(deps(portable(), real), twoNotifiers)).toMatchObject({ outcome: 'alerted' });
      // A repeated check that raises the same alert again (its state lost, or a second replica that read the
      // state before the first committed) queues nothing new.
      await redis.del(`${prefix}:flow:${FLOW}:state`);
      clock += 1_000;
      expect(await checkFlow(deps(portable(), real), twoNotifiers)).toMatchObject({ outcome: 'alerted' });
      const jobs = await queue.getJobs(['wait', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
      expect(jobs.map((job) => job.id).sort()).toEqual([
        expect.stringMatching(/\.data-team$/) as string,
        expect.stringMatching(/\.oncall$/) as string,
      ]);
    } finally {
      await queue.close();
    }
  });
});

