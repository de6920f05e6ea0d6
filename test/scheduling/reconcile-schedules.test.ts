import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkJobFlow, reconcileSchedules, scheduleOffset, type CheckJobData, type ScheduledFlow } from '../../src/scheduling/reconcile-schedules.ts';
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

/** Flows of the default account, as a config without `accounts:` has them. */
const flowsOf = (...flows: { id: number; pollEvery: number }[]): ScheduledFlow[] => flows.map((flow) => ({ ...flow, account: 'default' }));

const reconcile = (flows: ScheduledFlow[]) => reconcileSchedules({ queue, redis, lockKey: `${prefix}:lock`, flows, log });

async function schedulers() {
  const all = await queue.getJobSchedulers(0, -1);
  return Object.fromEntries(all.map((scheduler) => [scheduler.key, { every: Number(scheduler.every), offset: Number(scheduler.offset) }]));
}

describe('reconcileSchedules', () => {
  it('adds, updates and removes only what changed', async () => {
    const first = await reconcile(flowsOf({ id: 1, pollEvery: 60_000 }, { id: 2, pollEvery: 60_000 }, { id: 3, pollEvery: 30_000 }));
    expect(first).toMatchObject({ added: ['1', '2', '3'], updated: [], removed: [], unchanged: 0 });
    const next = await reconcile(flowsOf({ id: 1, pollEvery: 60_000 }, { id: 2, pollEvery: 120_000 }, { id: 4, pollEvery: 60_000 }));
    expect(next).toMatchObject({ added: ['4'], updated: ['2'], removed: ['3'], unchanged: 1 });
    expect(await schedulers()).toEqual({
      'flow-1': { every: 60_000, offset: scheduleOffset(1, 60_000) },
      'flow-2': { every: 120_000, offset: scheduleOffset(2, 120_000) },
      'flow-4': { every: 60_000, offset: scheduleOffset(4, 60_000) },
    });
    expect(await reconcile(flowsOf({ id: 1, pollEvery: 60_000 }, { id: 2, pollEvery: 120_000 }, { id: 4, pollEvery: 60_000 }))).toMatchObject({
      added: [],
      updated: [],
      removed: [],
      unchanged: 3,
    });
  });

  it('several replicas reconciling at once leave exactly one scheduler per flow', async () => {
    const flows = Array.from({ length: 200 }, (_, index) => ({ id: index + 1, account: 'default', pollEvery: 60_000 }));
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

  it('gives flows of two accounts with one id a scheduler each, and keeps a scheduler made before accounts', async () => {
    // A scheduler as versions before accounts made it: the bare id, and job data without an account.
    await queue.upsertJobScheduler(
      'flow-7',
      { every: 60_000, offset: scheduleOffset(7, 60_000) },
      { name: 'check', data: { flowId: 7 }, opts: { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000, age: 24 * 3600 } } },
    );
    const flows: ScheduledFlow[] = [
      { id: 42, account: 'default', pollEvery: 60_000 },
      { id: 42, account: 'prod', pollEvery: 60_000 },
      { id: 7, account: 'default', pollEvery: 60_000 },
    ];
    expect(await reconcile(flows)).toMatchObject({ added: ['42', 'prod~42'], updated: [], removed: [], unchanged: 1 });
    expect(await schedulers()).toEqual({
      'flow-42': { every: 60_000, offset: scheduleOffset(42, 60_000) },
      'flow-prod~42': { every: 60_000, offset: scheduleOffset(42, 60_000) },
      'flow-7': { every: 60_000, offset: scheduleOffset(7, 60_000) },
    });
    // Each scheduler's next job says which account's flow 42 it checks; the old one still carries the id alone.
    const jobs = (await queue.getJobs(['delayed', 'wait', 'prioritized'], 0, -1)).map((job) => ({ id: job.id, scheduler: job.repeatJobKey, data: job.data }));
    const scheduled = jobs.filter((job) => job.scheduler !== undefined);
    expect(Object.fromEntries(scheduled.map((job) => [job.scheduler, job.data]))).toEqual({
      'flow-42': { flowId: 42 },
      'flow-prod~42': { flowId: 42, account: 'prod' },
      'flow-7': { flowId: 7 },
    });
    expect(scheduled).toHaveLength(3);
    const firstChecks = jobs.filter((job) => job.id?.startsWith('first-check-'));
    expect(Object.fromEntries(firstChecks.map((job) => [job.id, job.data]))).toEqual({
      'first-check-42': { flowId: 42 },
      'first-check-prod~42': { flowId: 42, account: 'prod' },
    });
    expect(scheduled.map((job) => checkJobFlow(job.data)).sort()).toEqual(['42', '7', 'prod~42']);
    // The default account's flow 7 leaving removes the scheduler made before accounts; the two flows 42 stay.
    expect(await reconcile(flows.slice(0, 2))).toMatchObject({ added: [], updated: [], removed: ['7'], unchanged: 2 });
    expect(Object.keys(await schedulers()).sort()).toEqual(['flow-42', 'flow-prod~42']);
  });

  it('spreads flows that share an interval over it', () => {
    const offsets = Array.from({ length: 1000 }, (_, index) => scheduleOffset(index + 1, 60_000));
    const perTenSeconds = new Array<number>(6).fill(0);
    for (const offset of offsets) perTenSeconds[Math.floor(offset / 10_000)]! += 1;
    for (const count of perTenSeconds) expect(count).toBeGreaterThan(120);
    expect(Math.min(...offsets)).toBeGreaterThan(0);
  });
});
