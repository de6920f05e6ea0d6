import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { deliverNotification, deliveredMarkerKey } from '../../src/delivery/deliver-notification.ts';
import { createDigestBook, waitingDigestsKey, type DigestBook, type DigestPolicy } from '../../src/digests/digest-book.ts';
import type { Digest } from '../../src/digests/digest-types.ts';
import { flushDueDigests } from '../../src/digests/flush-digests.ts';
import { NotifierError, type Notifier, type SendOptions } from '../../src/notifiers/notifier.ts';
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
  const options: Array<SendOptions | undefined> = [];
  let failures = 0;
  let failure: Error = new NotifierError('the receiver answered 503', { retryable: true, status: 503 });
  const notifier: Notifier = {
    name,
    type: 'console',
    send(alert) {
      singles.push(alert);
      return Promise.resolve();
    },
    sendDigest(digest, sendOptions) {
      options.push(sendOptions);
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(failure);
      }
      digests.push(digest);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const failNext = (count: number, error: Error = failure) => {
    failures = count;
    failure = error;
  };
  return { notifier, singles, digests, options, failNext };
}

function alertOf(flowId: number): Alert {
  // Detected one millisecond apart, in the order of the ids: a digest lists its alerts oldest first.
  return failedAlert({ key: `f${flowId}-a${flowId * 10}-failed`, flow: { id: flowId, name: `flow ${flowId}` }, detectedAt: now + flowId });
}

function setup(notifier: Notifier, policy = POLICY, options: { configured?: () => boolean; book?: DigestBook; signal?: AbortSignal } = {}) {
  const { log, lines } = captureLog();
  const book = options.book ?? createDigestBook(() => redis, prefix);
  const digests = { book, policy: () => policy };
  const lookup = (name: string) => (name === notifier.name && (options.configured?.() ?? true) ? notifier : undefined);
  const deliver = (alert: Alert) => deliverNotification({ redis, prefix, now: () => now, log, notifier: lookup, digests }, { alert, notifier: notifier.name });
  const flush = () =>
    flushDueDigests({ redis: () => redis, prefix, book, notifier: lookup, policy: () => policy, now: () => now, log, seeAll: 'run portable-watch status', ...(options.signal ? { signal: options.signal } : {}) });
  return { deliver, flush, lines };
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

describe('digests that cannot go out yet', () => {
  const retryKey = () => `${prefix}:notifier:team:digest-retry`;
  const retryRecord = async () => JSON.parse((await redis.get(retryKey())) ?? 'null') as { at: number; attempts: number } | null;

  it('tries a refused digest again after the delivery backoff, doubling, from the moment it is due, then clears the record', async () => {
    const team = recordingNotifier();
    const { deliver, flush, lines } = setup(team.notifier);
    for (let id = 1; id <= 5; id += 1) await deliver(alertOf(id));
    team.failNext(2);
    now += 60_000;
    expect(await flush()).toBe(0);
    const first = await retryRecord();
    expect(first?.attempts).toBe(1);
    expect(first!.at - now).toBeGreaterThanOrEqual(5_000);
    expect(first!.at - now).toBeLessThan(10_000);
    expect(lines.at(-1)).toMatchObject({ level: 40, notifier: 'team', alerts: 2, attempts: 1, retryAt: new Date(first!.at).toISOString(), err: 'the receiver answered 503', msg: 'digest not sent; trying again later' });

    now = first!.at - 1;
    expect(await flush()).toBe(0);
    expect(team.options).toHaveLength(1);
    now = first!.at;
    expect(await flush()).toBe(0);
    const second = await retryRecord();
    expect(second?.attempts).toBe(2);
    expect(second!.at - now).toBeGreaterThanOrEqual(10_000);
    expect(second!.at - now).toBeLessThan(20_000);

    now = second!.at;
    expect(await flush()).toBe(1);
    expect(team.digests[0]?.alerts.map((alert) => alert.flow.id)).toEqual([4, 5]);
    expect(await redis.exists(retryKey())).toBe(0);
    expect(lines.at(-1)).toMatchObject({ level: 30, notifier: 'team', alerts: 2, since: new Date(START).toISOString(), msg: 'digest delivered' });
  });

  it('logs an error no notifier classified without its text (it may hold a URL)', async () => {
    const team = recordingNotifier();
    const { deliver, flush, lines } = setup(team.notifier);
    for (let id = 1; id <= 4; id += 1) await deliver(alertOf(id));
    team.failNext(1, new Error('request to https://hooks.slack.com/services/T0/B0/s3cret failed'));
    now += 60_000;
    expect(await flush()).toBe(0);
    expect(lines.at(-1)).toMatchObject({ err: 'the notifier failed in a way it did not classify', msg: 'digest not sent; trying again later' });
  });

  it('keeps the digest of a notifier no longer in the config, and sends it once the notifier is back', async () => {
    const team = recordingNotifier();
    let configured = true;
    const { deliver, flush, lines } = setup(team.notifier, POLICY, { configured: () => configured });
    for (let id = 1; id <= 5; id += 1) await deliver(alertOf(id));
    configured = false;
    now += 60_000;
    expect(await flush()).toBe(0);
    expect(lines.at(-1)).toMatchObject({ level: 40, notifier: 'team', alerts: 2, msg: 'a digest waits for a notifier no longer in the config; add it back to send it' });
    expect(await redis.smembers(waitingDigestsKey(prefix))).toEqual(['team']);
    configured = true;
    expect(await flush()).toBe(1);
    expect(team.digests[0]?.alerts).toHaveLength(2);
  });

  it('forgets a waiting notifier whose digest is gone, sending nothing', async () => {
    const team = recordingNotifier();
    await redis.sadd(waitingDigestsKey(prefix), 'team');
    expect(await setup(team.notifier).flush()).toBe(0);
    expect(await redis.smembers(waitingDigestsKey(prefix))).toEqual([]);
    expect(team.options).toEqual([]);
  });

  it('leaves a digest another replica is sending to it, and its lock too', async () => {
    const team = recordingNotifier();
    const { deliver, flush } = setup(team.notifier);
    for (let id = 1; id <= 5; id += 1) await deliver(alertOf(id));
    now += 60_000;
    const lock = `${prefix}:notifier:team:digest-lock`;
    await redis.set(lock, 'another-replica', 'PX', 60_000);
    expect(await flush()).toBe(0);
    expect(await redis.get(lock)).toBe('another-replica');
    await redis.del(lock);
    expect(await flush()).toBe(1);
    expect(await redis.exists(lock)).toBe(0);
  });

  it('does not send a member that joined right after another replica sent the digest before its own interval', async () => {
    const team = recordingNotifier();
    const policy = { burst: 1, groupIntervalMs: 60_000 };
    const other = setup(team.notifier, policy);
    const real = createDigestBook(() => redis, prefix);
    let raced = false;
    // Between this replica's first look and its lock, the other replica sends the digest and alert 9 joins a new one.
    const racing: DigestBook = {
      ...real,
      read: async (name) => {
        const digest = await real.read(name);
        if (!raced) {
          raced = true;
          expect(await other.flush()).toBe(1);
          expect(await other.deliver(alertOf(9))).toBe('gathered');
        }
        return digest;
      },
    };
    const late = setup(team.notifier, policy, { book: racing });
    for (let id = 1; id <= 5; id += 1) await late.deliver(alertOf(id));
    now += 60_000;
    expect(await late.flush()).toBe(0);
    expect(team.digests.map((digest) => digest.alerts.map((alert) => alert.flow.id))).toEqual([[2, 3, 4, 5]]);
    now += 60_000;
    expect(await late.flush()).toBe(1);
    expect(team.digests[1]?.alerts.map((alert) => alert.flow.id)).toEqual([9]);
  });

  it('passes the shutdown signal on to the notifier, and nothing when there is none', async () => {
    const team = recordingNotifier();
    const signal = new AbortController().signal;
    const withSignal = setup(team.notifier, POLICY, { signal });
    for (let id = 1; id <= 4; id += 1) await withSignal.deliver(alertOf(id));
    now += 60_000;
    await withSignal.flush();
    // Two go out singly beside the digest's slot; the third is gathered.
    for (let id = 5; id <= 7; id += 1) await withSignal.deliver(alertOf(id));
    now += 60_000;
    await setup(team.notifier).flush();
    expect(team.options).toEqual([{ signal }, {}]);
  });
});
