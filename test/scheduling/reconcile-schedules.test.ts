import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileSchedules, scheduleOffset, type CheckJobData, type ScheduledFlow } from '../../src/scheduling/reconcile-schedules.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

let redis: Redis;
let prefix: string;
let queue: Queue<CheckJobData>;
const log = pino({ level: 'silent' });

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('reconcile');
  queue = new Queue<CheckJobData>('checks', { connection: redis, prefix });
});

afterEach(async () => {
  await queue.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

const reconcile = (flows: ScheduledFlow[]) => reconcileSchedules({ queue, redis, lockKey: `${prefix}:lock`, flows, log });

async function schedulers() {
  const all = await queue.getJobSchedulers(0, -1);
  return Object.fromEntries(all.map((scheduler) => [scheduler.key, { every: Number(scheduler.every), offset: Number(scheduler.offset) }]));
}

describe('reconcileSchedules', () => {
  it('adds, updates and removes only what changed', async () => {
    const first = await reconcile([{ id: 1, pollEvery: 60_000 }, { id: 2, pollEvery: 60_000 }, { id: 3, pollEvery: 30_000 }]);
    expect(first).toMatchObject({ added: [1, 2, 3], updated: [], removed: [], unchanged: 0 });
    const next = await reconcile([{ id: 1, pollEvery: 60_000 }, { id: 2, pollEvery: 120_000 }, { id: 4, pollEvery: 60_000 }]);
    expect(next).toMatchObject({ added: [4], updated: [2], removed: [3], unchanged: 1 });
    expect(await schedulers()).toEqual({
      'flow-1': { every: 60_000, offset: scheduleOffset(1, 60_000) },
      'flow-2': { every: 120_000, offset: scheduleOffset(2, 120_000) },
      'flow-4': { every: 60_000, offset: scheduleOffset(4, 60_000) },
    });
    expect(await reconcile([{ id: 1, pollEvery: 60_000 }, { id: 2, pollEvery: 120_000 }, { id: 4, pollEvery: 60_000 }])).toMatchObject({
      added: [],
      updated: [],
      removed: [],
      unchanged: 3,
    });
  });

  it('several replicas reconciling at once leave exactly one scheduler per flow', async () => {
    const flows = Array.from({ length: 200 }, (_, index) => ({ id: index + 1, pollEvery: 60_000 }));
    const reports = await Promise.all([reconcile(flows), reconcile(flows), reconcile(flows)]);
    expect(reports.map((report) => report.added.length).sort((a, b) => a - b)).toEqual([0, 0, 200]);
    expect(Object.keys(await schedulers())).toHaveLength(200);
    // Each scheduler has exactly one next job waiting, and each new flow one first check, not one per replica.
    const jobs = await queue.getJobs(['delayed', 'wait', 'prioritized'], 0, -1);
    const firstChecks = jobs.filter((job) => job.id?.startsWith('first-check-'));
    expect(jobs.length - firstChecks.length).toBe(200);
    expect(new Set(firstChecks.map((job) => job.id)).size).toBe(200);
    expect(firstChecks).toHaveLength(200);
    // 200 first checks at 100/s: spread over two seconds, not fired together.
    expect(Math.max(...firstChecks.map((job) => job.delay))).toBeGreaterThan(1_500);
  });

  it('spreads flows that share an interval over it', () => {
    const offsets = Array.from({ length: 1000 }, (_, index) => scheduleOffset(index + 1, 60_000));
    const perTenSeconds = new Array<number>(6).fill(0);
    for (const offset of offsets) perTenSeconds[Math.floor(offset / 10_000)]! += 1;
    for (const count of perTenSeconds) expect(count).toBeGreaterThan(120);
    expect(Math.min(...offsets)).toBeGreaterThan(0);
  });
});
