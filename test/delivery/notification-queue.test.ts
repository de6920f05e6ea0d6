import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlertSink, NOTIFICATION_QUEUE, notificationJobId, type NotificationJobData } from '../../src/delivery/notification-queue.ts';
import { failedAlert, stalledAlert } from '../notifiers/alert-fixtures.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

let redis: Redis;
let prefix: string;
let queue: Queue<NotificationJobData>;

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('notify-queue');
  queue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
});

afterEach(async () => {
  await queue.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

// Keys as detection makes them (f<flow>-a<attempt>-<kind>): no ':' of their own.
const failed = failedAlert({ key: 'f689422-a632458-failed' });
const stalled = { ...stalledAlert(), key: 'f689422-a632459-stalled' };

async function queuedNotifiers(alertKey: string, notifiers: string[]): Promise<string[]> {
  const jobs = await Promise.all(notifiers.map((notifier) => queue.getJob(notificationJobId(alertKey, notifier))));
  return jobs.flatMap((job) => (job ? [job.data.notifier] : []));
}

describe('createAlertSink', () => {
  it('queues one job per alert and notifier, once however often the same alerts are queued', async () => {
    const sink = createAlertSink(() => queue);
    const items = [
      { alert: failed, notifiers: ['oncall', 'data-team'] },
      { alert: stalled, notifiers: ['oncall'] },
    ];
    await sink.enqueue(items);
    await sink.enqueue(items);
    expect(await queuedNotifiers(failed.key, ['oncall', 'data-team'])).toEqual(['oncall', 'data-team']);
    expect(await queuedNotifiers(stalled.key, ['oncall'])).toEqual(['oncall']);
    expect(await queue.count()).toBe(3);
  });

  it('queues every job it can when BullMQ refuses one, then fails naming the notifier, so the checkpoint stays', async () => {
    // The premise: BullMQ 6 refuses a custom job id holding one ':' (two are let through for legacy repeat keys).
    await expect(queue.add('probe', { alert: failed, notifier: 'x' }, { jobId: 'a:b' })).rejects.toThrow('Custom Id cannot contain :');

    const sink = createAlertSink(() => queue);
    const items = [
      { alert: failed, notifiers: ['oncall', 'team:oncall', 'data-team'] },
      { alert: stalled, notifiers: ['oncall'] },
    ];
    const refusal = await sink.enqueue(items).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(await queuedNotifiers(failed.key, ['oncall', 'data-team'])).toEqual(['oncall', 'data-team']);
    expect(await queuedNotifiers(stalled.key, ['oncall'])).toEqual(['oncall']);
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error).message).toBe(`could not queue alert ${failed.key} for notifier "team:oncall": Custom Id cannot contain :`);

    // The check runs again (its checkpoint did not move): what was queued is not queued twice.
    await expect(sink.enqueue(items)).rejects.toThrow('"team:oncall"');
    expect(await queue.count()).toBe(3);
  });
});
