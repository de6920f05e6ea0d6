import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deliveredMarkerKey } from '../../src/delivery/deliver-notification.ts';
import { DELIVERY_ATTEMPTS, NOTIFICATION_QUEUE, notificationJobId, type NotificationJobData } from '../../src/delivery/notification-queue.ts';
import { countByState, readGivenUpJobs, readUnsentAlerts, type UnsentAlert } from '../../src/delivery/read-unsent-alerts.ts';
import { retryGivenUp } from '../../src/delivery/retry-given-up.ts';
import { failedAlert } from '../notifiers/alert-fixtures.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/**
 * The edges of reading and retrying unsent alerts, on real BullMQ jobs put into each state by hand (a worker with no
 * processor takes one job at a time), so the order they are read in and their times are known.
 */

let redis: Redis;
let prefix: string;
let queue: Queue<NotificationJobData>;
let worker: Worker<NotificationJobData>;
let workerConnection: Redis;
const token = 'edges-test';

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('unsent-edges');
  queue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
  workerConnection = connectRedis();
  worker = new Worker<NotificationJobData>(NOTIFICATION_QUEUE, null, { connection: workerConnection, prefix, autorun: false });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await worker.close();
  workerConnection.disconnect();
  await queue.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** Queued a minute ago plus `offsetMs`: every job's queuedAt is chosen, not the order it was added in. */
const base = Date.now() - 60_000;

function job(name: string, notifier: string, offsetMs: number, opts: JobsOptions = {}): Promise<Job<NotificationJobData>> {
  const alert = failedAlert({ key: name, flow: { id: 1, name: 'Flow 1' } });
  return queue.add(alert.kind, { alert, notifier }, { jobId: notificationJobId(name, notifier), attempts: DELIVERY_ATTEMPTS, timestamp: base + offsetMs, ...opts });
}

/** Takes the next waiting job as a worker would (it becomes active) and checks it is the one expected. */
async function take(expected: Job<NotificationJobData>): Promise<Job<NotificationJobData>> {
  const taken = await worker.getNextJob(token);
  expect(taken?.id).toBe(expected.id);
  return taken;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Queued, taken and refused for good: given up. Each one finishes after the one before. */
async function giveUp(name: string, notifier: string, offsetMs: number, message = 'refused for good'): Promise<void> {
  const taken = await take(await job(name, notifier, offsetMs));
  await taken.moveToFailed(new UnrecoverableError(message), token, false);
  await pause();
}

describe('readUnsentAlerts', () => {
  it('orders given up first, then retrying, then waiting, each oldest first, whatever order BullMQ lists them in', async () => {
    // Given up in the opposite order to their age: the failed set lists the newer one first.
    await giveUp('given-new', 'team', 300);
    await giveUp('given-old', 'team', 100);
    // Taken by a worker, not yet sent: active, still waiting for its first send, read before the delayed one.
    await take(await job('active', 'team', 50));
    // Failed once, retried at once without backoff: back in the wait list, retrying.
    const again = await take(await job('retry-wait', 'team', 250, { backoff: undefined }));
    await again.moveToFailed(new Error('Slack answered 503'), token, false);
    // Delayed without ever being tried (as a send Slack asked to wait): retrying all the same.
    await job('delayed', 'team', 500, { delay: 3_600_000 });
    // Added newest first: the wait list lists the newer one first.
    await job('wait-new', 'team', 400);
    await job('wait-old', 'team', 200);

    const alerts = await readUnsentAlerts(queue);
    expect(alerts.map((alert) => [alert.key, alert.state, alert.queuedAt - base])).toEqual([
      ['given-old', 'given-up', 100],
      ['given-new', 'given-up', 300],
      ['retry-wait', 'retrying', 250],
      ['delayed', 'retrying', 500],
      ['active', 'waiting', 50],
      ['wait-old', 'waiting', 200],
      ['wait-new', 'waiting', 400],
    ]);
    const byKey = new Map(alerts.map((alert) => [alert.key, alert]));
    expect(byKey.get('retry-wait')).toMatchObject({ attempts: 1, lastError: 'Slack answered 503' });
    expect(byKey.get('retry-wait')?.lastTriedAt).toBeGreaterThan(base);
    // Never tried: no time of a last try, no error.
    expect(byKey.get('delayed')).toMatchObject({ attempts: 0, lastError: null, lastTriedAt: null });
    expect(byKey.get('delayed')?.lastTriedAt).toBeNull();
    expect(byKey.get('wait-new')?.lastTriedAt).toBeNull();
    expect(countByState(alerts)).toEqual({ givenUp: 2, retrying: 2, waiting: 3 });
  });

  it('shows a failure stored without a message as no error', async () => {
    await giveUp('silent', 'team', 0, '');
    const [alert] = await readUnsentAlerts(queue);
    expect(alert).toMatchObject({ state: 'given-up', attempts: 1 });
    expect(alert?.lastError).toBeNull();
  });

  it('lists a job that moves from given up to waiting while it is read once, as first seen', async () => {
    await giveUp('moving', 'team', 0);
    const getJobs = queue.getJobs.bind(queue);
    vi.spyOn(queue, 'getJobs').mockImplementation(async (...args) => {
      const jobs = await getJobs(...args);
      // Another `alerts retry` moves it back to waiting right after the failed set was read.
      if (args[0]?.[0] === 'failed') for (const found of jobs) await found.retry('failed');
      return jobs;
    });
    const alerts = await readUnsentAlerts(queue);
    expect(alerts.map((alert) => [alert.key, alert.state])).toEqual([['moving', 'given-up']]);
    expect(await queue.getJobCounts('wait', 'failed')).toEqual({ wait: 1, failed: 0 });
  });

  it('reads every job over more than one page, each once', async () => {
    const alerts = Array.from({ length: 501 }, (_, index) => failedAlert({ key: `page-${index}`, flow: { id: index, name: `Flow ${index}` } }));
    await queue.addBulk(alerts.map((alert) => ({ name: alert.kind, data: { alert, notifier: 'team' }, opts: { jobId: notificationJobId(alert.key, 'team') } })));
    // Failed jobs are read the same way: move them all to the failed set at once.
    const ids = alerts.map((alert) => notificationJobId(alert.key, 'team'));
    const jobKeys = ids.map((id) => `${prefix}:${NOTIFICATION_QUEUE}:${id}`);
    const now = Date.now();
    await redis
      .multi()
      .del(`${prefix}:${NOTIFICATION_QUEUE}:wait`)
      .zadd(`${prefix}:${NOTIFICATION_QUEUE}:failed`, ...ids.flatMap((id, index) => [now + index, id]))
      .exec();
    for (const key of jobKeys.slice(0, 3)) expect(await redis.exists(key)).toBe(1);

    const given = await readGivenUpJobs(queue);
    expect(given).toHaveLength(501);
    expect(new Set(given.map((found) => found.id)).size).toBe(501);
    const unsent = await readUnsentAlerts(queue);
    expect(unsent).toHaveLength(501);
    expect(new Set(unsent.map((alert: UnsentAlert) => alert.jobId))).toEqual(new Set(ids));
  });
});

describe('countByState', () => {
  it('counts each state in its own field', () => {
    const alert = (state: UnsentAlert['state']) => ({ state }) as UnsentAlert;
    expect(countByState([alert('given-up'), alert('retrying'), alert('given-up'), alert('waiting'), alert('given-up'), alert('retrying')])).toEqual({
      givenUp: 3,
      retrying: 2,
      waiting: 1,
    });
    expect(countByState([])).toEqual({ givenUp: 0, retrying: 0, waiting: 0 });
  });
});

describe('retryGivenUp', () => {
  it('gives a retried job every attempt again: none made, none started, no last try', async () => {
    await giveUp('spent', 'team', 0);
    const before = await queue.getJob(notificationJobId('spent', 'team'));
    expect([before?.attemptsMade, before?.attemptsStarted]).toEqual([1, 1]);

    expect((await retryGivenUp({ queue, redis, prefix, notifiers: ['team'] })).counts).toEqual([{ notifier: 'team', requeued: 1, alreadyDelivered: 0, takenElsewhere: 0 }]);
    const after = await queue.getJob(notificationJobId('spent', 'team'));
    expect([after?.attemptsMade, after?.attemptsStarted]).toEqual([0, 0]);
    const [alert] = await readUnsentAlerts(queue);
    expect(alert).toMatchObject({ state: 'waiting', attempts: 0, maxAttempts: DELIVERY_ATTEMPTS, lastError: null, lastTriedAt: null });
  });

  it('lists the notifiers not chosen by name, not in the order their alerts were given up', async () => {
    await giveUp('a1', 'zulu', 0);
    await giveUp('a2', 'mike', 0);
    await giveUp('a3', 'alpha', 0);
    await giveUp('a4', 'zulu', 0);
    expect(await retryGivenUp({ queue, redis, prefix, notifiers: ['team'] })).toEqual({
      counts: [{ notifier: 'team', requeued: 0, alreadyDelivered: 0, takenElsewhere: 0 }],
      notChosen: [
        { notifier: 'alpha', givenUp: 1 },
        { notifier: 'mike', givenUp: 1 },
        { notifier: 'zulu', givenUp: 2 },
      ],
    });
  });

  it('counts a job removed between reading and retrying as taken elsewhere, and goes on with the others', async () => {
    await giveUp('gone', 'team', 0);
    await giveUp('kept', 'team', 0);
    await redis.set(deliveredMarkerKey(prefix, 'other', 'team'), '1');
    const getJobs = queue.getJobs.bind(queue);
    vi.spyOn(queue, 'getJobs').mockImplementation(async (...args) => {
      const jobs = await getJobs(...args);
      // Removed (by its age limit, or by hand) right after the failed set was read.
      await queue.remove(notificationJobId('gone', 'team'));
      return jobs;
    });
    expect((await retryGivenUp({ queue, redis, prefix, notifiers: ['team'] })).counts).toEqual([{ notifier: 'team', requeued: 1, alreadyDelivered: 0, takenElsewhere: 1 }]);
    expect(await queue.getJob(notificationJobId('gone', 'team'))).toBeUndefined();
    expect(await queue.getJob(notificationJobId('kept', 'team')).then((found) => found?.getState())).toBe('waiting');
  });

  it('fails, rather than counting the alert as taken elsewhere, when Redis refuses the move', async () => {
    await giveUp('stuck', 'team', 0);
    const queueConnection = connectRedis();
    const own = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: queueConnection, prefix });
    const getJobs = own.getJobs.bind(own);
    vi.spyOn(own, 'getJobs').mockImplementation(async (...args) => {
      const jobs = await getJobs(...args);
      // The queue's connection is lost after reading; the delivered markers are read on another one.
      queueConnection.disconnect();
      return jobs;
    });
    try {
      await expect(retryGivenUp({ queue: own, redis, prefix, notifiers: ['team'] })).rejects.toThrow(/closed/i);
    } finally {
      await own.close().catch(() => undefined);
    }
    expect(await queue.getJob(notificationJobId('stuck', 'team')).then((found) => found?.getState())).toBe('failed');
  });
});
