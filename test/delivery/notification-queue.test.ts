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

describe('createAlertSink, job by job', () => {
  it('names every alert and notifier it could not queue, and keeps the cause', async () => {
    const sink = createAlertSink(() => queue);
    const refusal = await sink
      .enqueue([
        { alert: failed, notifiers: ['team:a', 'oncall'] },
        { alert: stalled, notifiers: ['team:b'] },
      ])
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(refusal?.message).toBe(`could not queue alerts ${failed.key}, ${stalled.key} for notifiers "team:a", "team:b": Custom Id cannot contain :`);
    expect(refusal?.cause).toBeInstanceOf(Error);
    expect((refusal?.cause as Error).message).toBe('Custom Id cannot contain :');
    expect(await queuedNotifiers(failed.key, ['oncall'])).toEqual(['oncall']);
  });

  it('a bulk add that fails as a whole is tried job by job, and succeeds quietly when every job gets in', async () => {
    // A connection blip during the bulk add (the real queue otherwise).
    const blinking = new Proxy(queue, {
      get: (real, property, receiver) => (property === 'addBulk' ? () => Promise.reject(new Error('Connection is closed.')) : Reflect.get(real, property, receiver) as unknown),
    });
    const sink = createAlertSink(() => blinking);
    await sink.enqueue([{ alert: failed, notifiers: ['oncall', 'data-team'] }]);
    expect(await queuedNotifiers(failed.key, ['oncall', 'data-team'])).toEqual(['oncall', 'data-team']);
  });

  it('queues jobs that retry for half a day and stay long enough to dedupe a repeated check', async () => {
    await createAlertSink(() => queue).enqueue([{ alert: failed, notifiers: ['oncall'] }]);
    const job = await queue.getJob(notificationJobId(failed.key, 'oncall'));
    expect(job?.name).toBe('failed');
    expect(job?.opts).toMatchObject({
      attempts: 30,
      backoff: { type: 'delivery' },
      removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
  });
});
