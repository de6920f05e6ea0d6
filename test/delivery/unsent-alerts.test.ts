import { DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { deliveredMarkerKey } from '../../src/delivery/deliver-notification.ts';
import { createAlertSink, NOTIFICATION_QUEUE, notificationJobId, type NotificationJobData } from '../../src/delivery/notification-queue.ts';
import { readUnsentAlerts } from '../../src/delivery/read-unsent-alerts.ts';
import { retryGivenUp } from '../../src/delivery/retry-given-up.ts';
import { failedAlert, monitorErrorAlert, stateLostAlert } from '../notifiers/alert-fixtures.ts';
import { connectRedis, dropPrefix, eventually, uniquePrefix } from '../support/redis.ts';

/** The notifications queue as `alerts` and `status` read it, and `alerts retry` on it, with real BullMQ jobs. */

let redis: Redis;
let prefix: string;
let queue: Queue<NotificationJobData>;

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('unsent');
  queue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
});

afterEach(async () => {
  await queue.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

const failed = (flowId: number) => failedAlert({ key: `f${flowId}-a1-failed`, flow: { id: flowId, name: `Flow ${flowId}` } });
const account: Alert = { ...monitorErrorAlert('account'), key: 'account-m1-monitor-error' };

/**
 * Queues the alerts as the worker does, then runs a worker that refuses them: for good for `oncall`; for `slow`,
 * asked by Slack to wait (429), which spends no attempt; for now for anyone else, whose retry then waits a minute.
 * Resolves once every job has left the wait list.
 */
async function refuse(items: Array<{ alert: Alert; notifiers: string[] }>): Promise<void> {
  await createAlertSink(() => queue).enqueue(items);
  const connection = connectRedis();
  const worker = new Worker<NotificationJobData>(
    NOTIFICATION_QUEUE,
    async (job, token) => {
      if (job.data.notifier === 'oncall') throw new UnrecoverableError('Slack webhook for notifier "oncall" was revoked or deleted (404 no_service)');
      if (job.data.notifier === 'slow') {
        // As jobs/deliver-notification.ts does for a 429 with Retry-After.
        await job.moveToDelayed(Date.now() + 60_000, token);
        throw new DelayedError('rate limited');
      }
      throw new Error('Slack webhook for notifier "team" got a server error from Slack (503)');
    },
    { connection, prefix, settings: { backoffStrategy: () => 60_000 } },
  );
  const jobs = items.reduce((sum, item) => sum + item.notifiers.length, 0);
  try {
    await eventually(async () => {
      const counts = await queue.getJobCounts('failed', 'delayed');
      return (counts.failed ?? 0) + (counts.delayed ?? 0) === jobs ? true : undefined;
    }, 'every job refused');
  } finally {
    await worker.close();
    connection.disconnect();
  }
}

describe('readUnsentAlerts', () => {
  it('lists given up, then retrying, then waiting, with flow, notifier, attempts and last error; account- and installation-wide without a flow', async () => {
    await refuse([
      { alert: failed(1), notifiers: ['oncall', 'team', 'slow'] },
      { alert: account, notifiers: ['oncall'] },
    ]);
    await createAlertSink(() => queue).enqueue([{ alert: { ...stateLostAlert(), key: 'state-lost-x' }, notifiers: ['team'] }]);

    const alerts = await readUnsentAlerts(queue);
    expect(alerts.map((alert) => [alert.state, alert.kind, alert.scope, alert.flow?.id ?? null, alert.notifier, alert.attempts])).toEqual([
      ['given-up', 'failed', 'flow', 1, 'oncall', 1],
      ['given-up', 'monitor-error', 'account', null, 'oncall', 1],
      ['retrying', 'failed', 'flow', 1, 'team', 1],
      // Delayed without a failed attempt: Slack asked it to wait, so it is retrying all the same.
      ['retrying', 'failed', 'flow', 1, 'slow', 0],
      ['waiting', 'monitor-error', 'installation', null, 'team', 0],
    ]);
    const [givenUp, , retrying, slow, waiting] = alerts;
    expect(givenUp).toMatchObject({
      jobId: notificationJobId('f1-a1-failed', 'oncall'),
      key: 'f1-a1-failed',
      flow: { id: 1, name: 'Flow 1' },
      maxAttempts: 30,
      lastError: 'Slack webhook for notifier "oncall" was revoked or deleted (404 no_service)',
    });
    expect(givenUp?.lastTriedAt).toBeGreaterThanOrEqual(givenUp?.queuedAt ?? Infinity);
    expect(retrying?.lastError).toContain('(503)');
    expect(slow?.lastTriedAt).toBeGreaterThanOrEqual(slow?.queuedAt ?? Infinity);
    expect(waiting).toMatchObject({ lastError: null, lastTriedAt: null });
  });
});

describe('retryGivenUp', () => {
  it('moves the chosen notifier’s given-up jobs back to waiting under their own ids, attempts reset; leaves delivered and other ones', async () => {
    await refuse([
      { alert: failed(1), notifiers: ['oncall', 'team'] },
      { alert: failed(2), notifiers: ['oncall', 'spare'] },
    ]);
    // Sent once before its job failed (a crash between the send and the job's completion): never sent again.
    await redis.set(deliveredMarkerKey(prefix, 'f2-a1-failed', 'oncall'), '1');
    // `team` and `spare` were refused for now: a delayed retry is not a given-up alert.
    const given = await queue.getJobCounts('failed', 'delayed');
    expect(given).toEqual({ failed: 2, delayed: 2 });

    const result = await retryGivenUp({ queue, redis, prefix, notifiers: ['oncall', 'team'] });
    expect(result).toEqual({
      counts: [
        { notifier: 'oncall', requeued: 1, alreadyDelivered: 1, takenElsewhere: 0 },
        { notifier: 'team', requeued: 0, alreadyDelivered: 0, takenElsewhere: 0 },
      ],
      notChosen: [],
    });
    const requeued = await queue.getJob(notificationJobId('f1-a1-failed', 'oncall'));
    expect(await requeued?.getState()).toBe('waiting');
    expect(requeued?.attemptsMade).toBe(0);
    expect(await queue.getJob(notificationJobId('f2-a1-failed', 'oncall')).then((job) => job?.getState())).toBe('failed');
    // Moved, not copied: still four jobs.
    expect(await queue.getJobCounts('wait', 'failed', 'delayed')).toEqual({ wait: 1, failed: 1, delayed: 2 });
  });

  it('reports the given-up alerts of notifiers not chosen', async () => {
    await refuse([{ alert: failed(1), notifiers: ['oncall'] }]);
    expect(await retryGivenUp({ queue, redis, prefix, notifiers: ['team'] })).toEqual({
      counts: [{ notifier: 'team', requeued: 0, alreadyDelivered: 0, takenElsewhere: 0 }],
      notChosen: [{ notifier: 'oncall', givenUp: 1 }],
    });
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 1 });
  });

  it('two runs at the same time move each job once between them, over more than one page of jobs', async () => {
    const alerts = Array.from({ length: 501 }, (_, index) => ({ alert: failed(index + 1), notifiers: ['oncall'] }));
    await refuse(alerts);
    const other = connectRedis();
    const otherQueue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: other, prefix });
    try {
      const [first, second] = await Promise.all([
        retryGivenUp({ queue, redis, prefix, notifiers: ['oncall'] }),
        retryGivenUp({ queue: otherQueue, redis: other, prefix, notifiers: ['oncall'] }),
      ]);
      const [mine, theirs] = [first.counts[0], second.counts[0]];
      expect((mine?.requeued ?? 0) + (theirs?.requeued ?? 0)).toBe(501);
      // Both saw jobs the other had moved: the race really happened, and was lost quietly.
      expect((mine?.takenElsewhere ?? 0) + (theirs?.takenElsewhere ?? 0)).toBeGreaterThan(0);
      expect(await queue.getJobCounts('wait', 'failed')).toEqual({ wait: 501, failed: 0 });
    } finally {
      await otherQueue.close();
      other.disconnect();
    }
  });
});
