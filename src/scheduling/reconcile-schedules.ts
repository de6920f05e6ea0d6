import { randomUUID } from 'node:crypto';
import { DEFAULT_ACCOUNT, flowKey, type FlowKey, type FlowRef } from '../accounts/flow-ref.ts';
import type { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/connect-redis.ts';
import type { Logger } from 'pino';

/** Job data of a scheduled check: only the id, so a check always reads the flow's settings from the current config. */
/** `account` is absent for the default account: jobs of schedulers made before accounts carry only the id. */
export interface CheckJobData {
  flowId: number;
  account?: string;
}

export const CHECK_QUEUE = 'checks';
export const CHECK_JOB = 'check';

export interface ScheduledFlow {
  id: number;
  account: string;
  pollEvery: number;
}

export interface ReconcileReport {
  added: FlowKey[];
  updated: FlowKey[];
  removed: FlowKey[];
  unchanged: number;
  durationMs: number;
}

/** Stable, colon-free (colons make BullMQ mistake a key for a legacy repeat key). */
export function schedulerId(flow: FlowKey): string {
  return `flow-${flow}`;
}

/** The schedulers this program made: `flow-42`, `flow-prod~42`. */
const SCHEDULER_ID = /^flow-((?:[A-Za-z0-9_-]+~)?\d+)$/;

/**
 * Spreads flows that share an interval over it instead of firing them together. Deterministic, so a restart or
 * another replica computes the same offset and leaves the scheduler untouched. Never 0: BullMQ replaces an
 * offset of 0 with one of its own, which would then look like a change on the next reconcile.
 */
export function scheduleOffset(flowId: number, every: number): number {
  if (every <= 1) return 1;
  // Knuth's multiplicative hash spreads consecutive ids across the interval.
  const hash = Math.imul(flowId, 2654435761) >>> 0;
  return 1 + (hash % (every - 1));
}

const LOCK_TTL_MS = 60_000;
/** How fast the first checks of flows added together are started (see reconcileSchedules). */
const FIRST_CHECKS_PER_SECOND = 100;
const BATCH = 200;

/**
 * Makes the queue's Job Schedulers match the config: adds new flows, updates changed intervals, removes flows no
 * longer configured, and touches nothing else. Runs under a Redis lock, so replicas starting together take turns;
 * the second finds nothing to do.
 */
export async function reconcileSchedules(input: {
  queue: Queue<CheckJobData>;
  redis: RedisConnection;
  lockKey: string;
  flows: readonly ScheduledFlow[];
  log: Logger;
  now?: () => number;
  /** Holds the first checks of added flows back this long (a rebuilt installation settling). Default 0. */
  firstCheckDelayMs?: number;
}): Promise<ReconcileReport> {
  const { queue, redis, lockKey, flows, log } = input;
  const holdBack = input.firstCheckDelayMs ?? 0;
  const now = input.now ?? Date.now;
  const owner = randomUUID();
  const startedAt = now();
  await acquire(redis, lockKey, owner);
  try {
    const existing = new Map((await queue.getJobSchedulers(0, -1)).map((scheduler) => [scheduler.key, scheduler]));
    const report: ReconcileReport = { added: [], updated: [], removed: [], unchanged: 0, durationMs: 0 };
    const upserts: ScheduledFlow[] = [];
    for (const flow of flows) {
      const key = flowKey(flow);
      const current = existing.get(schedulerId(key));
      existing.delete(schedulerId(key));
      if (current === undefined) report.added.push(key);
      else if (Number(current.every) !== flow.pollEvery || Number(current.offset) !== scheduleOffset(flow.id, flow.pollEvery)) {
        report.updated.push(key);
      } else {
        report.unchanged += 1;
        continue;
      }
      upserts.push(flow);
    }
    const stale = [...existing.keys()].filter((key) => SCHEDULER_ID.test(key));
    for (let index = 0; index < upserts.length; index += BATCH) {
      await Promise.all(upserts.slice(index, index + BATCH).map((flow) => upsert(queue, flow)));
    }
    // A scheduler's first run waits for the flow's offset slot, up to a whole interval: a flow just added is
    // checked at once instead, so `status` and a failure already waiting in Portable show up in seconds. Many
    // added together (a first start with thousands of flows) are spread out, at most FIRST_CHECKS_PER_SECOND and
    // never over more than their interval, so Portable and the worker see the steady rate, not a burst.
    const byKey = new Map(flows.map((flow) => [flowKey(flow), flow]));
    const spreadMs = report.added.length * (1000 / FIRST_CHECKS_PER_SECOND);
    const firstChecks = report.added.flatMap((key, index) => {
      const flow = byKey.get(key);
      if (flow === undefined) return [];
      const window = Math.min(spreadMs, flow.pollEvery);
      return [firstCheck(flow, holdBack + Math.floor((index / report.added.length) * window))];
    });
    for (let index = 0; index < firstChecks.length; index += BATCH) {
      await queue.addBulk(firstChecks.slice(index, index + BATCH));
    }
    for (let index = 0; index < stale.length; index += BATCH) {
      await Promise.all(stale.slice(index, index + BATCH).map((key) => queue.removeJobScheduler(key)));
    }
    report.removed = stale.map((key) => key.slice('flow-'.length));
    report.durationMs = now() - startedAt;
    log.info(
      { added: report.added.length, updated: report.updated.length, removed: report.removed.length, unchanged: report.unchanged, durationMs: report.durationMs },
      'schedules reconciled',
    );
    return report;
  } finally {
    await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, lockKey, owner);
  }
}

async function upsert(queue: Queue<CheckJobData>, flow: ScheduledFlow): Promise<void> {
  await queue.upsertJobScheduler(
    schedulerId(flowKey(flow)),
    { every: flow.pollEvery, offset: scheduleOffset(flow.id, flow.pollEvery) },
    {
      name: CHECK_JOB,
      data: checkJobData(flow),
      // A check that fails is simply the next scheduled check's job; no retries, little history.
      opts: { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000, age: 24 * 3600 } },
    },
  );
}

function firstCheck(flow: ScheduledFlow, delay: number) {
  return {
    name: CHECK_JOB,
    data: checkJobData(flow),
    // The id keeps replicas that reconcile one after another from queueing it twice while it waits.
    opts: { jobId: `first-check-${flowKey(flow)}`, delay, removeOnComplete: true, removeOnFail: true },
  };
}

function checkJobData(flow: FlowRef): CheckJobData {
  return flow.account === DEFAULT_ACCOUNT ? { flowId: flow.id } : { flowId: flow.id, account: flow.account };
}

/** The flow a check job is about; a job without an account (made before accounts) is of the default account. */
export function checkJobFlow(data: CheckJobData): FlowKey {
  return flowKey({ account: data.account ?? DEFAULT_ACCOUNT, id: data.flowId });
}

async function acquire(redis: RedisConnection, key: string, owner: string): Promise<void> {
  const deadline = Date.now() + 2 * LOCK_TTL_MS;
  while ((await redis.set(key, owner, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new Error(`could not take the schedule lock ${key}: another worker holds it`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
