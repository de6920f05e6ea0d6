import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { deliverNotification, deliveredMarkerKey } from '../../src/delivery/deliver-notification.ts';
import { createDigestBook, type DigestPolicy } from '../../src/digests/digest-book.ts';
import type { Digest } from '../../src/digests/digest-types.ts';
import { flushDueDigests } from '../../src/digests/flush-digests.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { failedAlert } from '../notifiers/alert-fixtures.ts';
import { captureLog } from '../support/capture-log.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/** Storms become digests: the window, the membership and the flush, on a real Redis, as two replicas would share it. */

const START = Date.UTC(2026, 11, 1, 8, 0, 0);
const POLICY: DigestPolicy = { burst: 3, groupIntervalMs: 60_000 };

let redis: Redis;
let prefix: string;
let now: number;

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('digest');
  now = START;
});

afterEach(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function recordingNotifier(name = 'team') {
  const singles: Alert[] = [];
  const digests: Digest[] = [];
  let failures = 0;
  const notifier: Notifier = {
    name,
    type: 'console',
    send(alert) {
      singles.push(alert);
      return Promise.resolve();
    },
    sendDigest(digest) {
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(new NotifierError('the receiver answered 503', { retryable: true, status: 503 }));
      }
      digests.push(digest);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return { notifier, singles, digests, failNext: (count: number) => (failures = count) };
}

function alertOf(flowId: number): Alert {
  // Detected one millisecond apart, in the order of the ids: a digest lists its alerts oldest first.
  return failedAlert({ key: `f${flowId}-a${flowId * 10}-failed`, flow: { id: flowId, name: `flow ${flowId}` }, detectedAt: now + flowId });
}

function setup(notifier: Notifier, policy = POLICY) {
  const log = captureLog().log;
  const book = createDigestBook(() => redis, prefix);
  const digests = { book, policy: () => policy };
  const deliver = (alert: Alert) =>
    deliverNotification({ redis, prefix, now: () => now, log, notifier: (name) => (name === notifier.name ? notifier : undefined), digests }, { alert, notifier: notifier.name });
  const flush = () =>
    flushDueDigests({ redis: () => redis, prefix, book, notifier: (name) => (name === notifier.name ? notifier : undefined), policy: () => policy, now: () => now, log, seeAll: 'run portable-watch status' });
  return { deliver, flush };
}

describe('digests', () => {
  it('sends the first `burst` alerts at once and gathers the rest into one digest sent a groupInterval later', async () => {
    const team = recordingNotifier();
    const { deliver, flush } = setup(team.notifier);
    const outcomes = [];
    for (let id = 1; id <= 10; id += 1) outcomes.push(await deliver(alertOf(id)));
    expect(outcomes).toEqual([...Array<string>(3).fill('delivered'), ...Array<string>(7).fill('gathered')]);
    expect(team.singles.map((alert) => alert.flow.id)).toEqual([1, 2, 3]);

    now += 59_000;
    expect(await flush()).toBe(0);
    now += 1_000;
    expect(await flush()).toBe(1);
    expect(team.digests).toHaveLength(1);
    expect(team.digests[0]?.alerts.map((alert) => alert.flow.id)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(team.digests[0]?.since).toBe(START);
    expect(await flush()).toBe(0);

    // Every member is marked delivered: a job of the same alert queued again sends nothing.
    expect(await redis.exists(deliveredMarkerKey(prefix, alertOf(7).key, 'team'))).toBe(1);
    expect(await deliver(alertOf(7))).toBe('already-delivered');
    expect(team.singles).toHaveLength(3);
  });

  it('lets new alerts join a waiting digest even once the window has room again, and sends them singly after it', async () => {
    const team = recordingNotifier();
    const { deliver, flush } = setup(team.notifier);
    for (let id = 1; id <= 4; id += 1) await deliver(alertOf(id));
    now += 61_000;
    // The three sends have left the window, but a digest waits: this alert must not overtake it.
    expect(await deliver(alertOf(5))).toBe('gathered');
    expect(await flush()).toBe(1);
    expect(team.digests[0]?.alerts.map((alert) => alert.flow.id)).toEqual([4, 5]);
    // The digest took a slot of the window; two more fit before the next storm is gathered.
    expect(await deliver(alertOf(6))).toBe('delivered');
    expect(await deliver(alertOf(7))).toBe('delivered');
    expect(await deliver(alertOf(8))).toBe('gathered');
  });

  it('keeps the members of a digest whose send failed and sends them, with what joined since, after the backoff', async () => {
    const team = recordingNotifier();
    const { deliver, flush } = setup(team.notifier);
    for (let id = 1; id <= 5; id += 1) await deliver(alertOf(id));
    team.failNext(1);
    now += 60_000;
    expect(await flush()).toBe(0);
    expect(team.digests).toHaveLength(0);
    await deliver(alertOf(6));
    now += 1_000;
    expect(await flush()).toBe(0);
    now += 30_000;
    expect(await flush()).toBe(1);
    expect(team.digests[0]?.alerts.map((alert) => alert.flow.id)).toEqual([4, 5, 6]);
  });

  it('sends one digest when two replicas flush at the same moment', async () => {
    const team = recordingNotifier();
    const first = setup(team.notifier);
    const second = setup(team.notifier);
    for (let id = 1; id <= 20; id += 1) await (id % 2 === 0 ? first : second).deliver(alertOf(id));
    now += 60_000;
    const sent = await Promise.all([first.flush(), second.flush(), first.flush(), second.flush()]);
    expect(sent.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(team.digests).toHaveLength(1);
    expect(team.singles.length + (team.digests[0]?.alerts.length ?? 0)).toBe(20);
    expect(new Set(team.digests[0]?.alerts.map((alert) => alert.key)).size).toBe(17);
  });

  it('counts a retried job once in the window', async () => {
    const team = recordingNotifier();
    const { deliver } = setup(team.notifier);
    // The same job three times (a send retried after failures) takes one slot.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await redis.del(deliveredMarkerKey(prefix, alertOf(1).key, 'team'));
      expect(await deliver(alertOf(1))).toBe('delivered');
    }
    expect(await deliver(alertOf(2))).toBe('delivered');
    expect(await deliver(alertOf(3))).toBe('delivered');
    expect(await deliver(alertOf(4))).toBe('gathered');
  });
});
