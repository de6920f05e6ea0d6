import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALERT_LOG_LENGTH, alertLogKey, readAlertLog } from '../../src/delivery/alert-log.ts';
import { createAlertSink, NOTIFICATION_QUEUE, type NotificationJobData } from '../../src/delivery/notification-queue.ts';
import { failedAlert, stalledAlert } from '../notifiers/alert-fixtures.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

let redis: Redis;
let prefix: string;
let queue: Queue<NotificationJobData>;

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('alert-log');
  queue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
});

afterEach(async () => {
  await queue.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

describe("a flow's alert log (the status page's alerts sent)", () => {
  it('keeps each alert queued for a flow, newest first, with its full errors and notifiers, once', async () => {
    const sink = createAlertSink(() => queue, { redis: () => redis, prefix });
    const long = `${'x'.repeat(9_000)}\nsecond line`;
    const failed = failedAlert({ key: 'f689422-a1-failed' });
    const withErrors = { ...failed, attempt: { ...failed.attempt!, id: 1, errors: ['Login failed\n  at step 3', long] } };
    await sink.enqueue([{ alert: withErrors, notifiers: ['oncall', 'email'] }]);
    await sink.enqueue([{ alert: withErrors, notifiers: ['oncall', 'email'] }]);
    // A held alert released later is the same alert: not logged again.
    await sink.enqueue([{ alert: withErrors, notifiers: ['oncall'], jobSuffix: 'released-1' }]);
    await sink.enqueue([{ alert: { ...stalledAlert(), key: 'f689422-a2-stalled' }, notifiers: ['oncall'] }]);

    const log = await readAlertLog(redis, prefix, String(failed.flow.id));
    expect(log.map((entry) => entry.key)).toEqual(['f689422-a2-stalled', 'f689422-a1-failed']);
    expect(log[1]).toMatchObject({ kind: 'failed', attemptId: 1, notifiers: ['oncall', 'email'] });
    expect(log[1]?.headline).toMatch(/^FAILED: /);
    expect(log[1]?.errors[0]).toBe('Login failed\n  at step 3');
    // 8,000 characters in all: the first error's 24, then the long one cut.
    expect(log[1]?.errors[1]).toBe(`${'x'.repeat(8_000 - 24)}… (cut)`);
    expect(await redis.ttl(alertLogKey(prefix, '689422'))).toBeGreaterThan(29 * 24 * 3600);
  });

  it('is capped, and skips an entry it cannot read', async () => {
    const sink = createAlertSink(() => queue, { redis: () => redis, prefix });
    for (let index = 0; index < ALERT_LOG_LENGTH + 5; index += 1) await sink.enqueue([{ alert: failedAlert({ key: `f7-a${index}-failed`, flow: { id: 7, name: 'Seven' } }), notifiers: [] }]);
    await redis.lpush(alertLogKey(prefix, '7'), 'not json');
    const log = await readAlertLog(redis, prefix, '7');
    expect(log).toHaveLength(ALERT_LOG_LENGTH - 1);
    expect(log[0]?.key).toBe(`f7-a${ALERT_LOG_LENGTH + 4}-failed`);
    expect(await redis.llen(alertLogKey(prefix, '7'))).toBe(ALERT_LOG_LENGTH + 1);
  });
});
