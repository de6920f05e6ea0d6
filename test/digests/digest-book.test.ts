import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { deliverNotification, DeliveryError, type DeliveryOutcome } from '../../src/delivery/deliver-notification.ts';
import { createDigestBook, digestKeys, waitingDigestsKey, type DigestBook, type DigestPolicy } from '../../src/digests/digest-book.ts';
import type { Notifier } from '../../src/notifiers/notifier.ts';
import { failedAlert, testAlert } from '../notifiers/alert-fixtures.ts';
import { captureLog } from '../support/capture-log.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/** The digest book on a real Redis: what a notifier's waiting digest holds, and when it stops waiting. */

const START = Date.UTC(2026, 11, 1, 8, 0, 0);
// Burst 0: every alert is gathered.
const GATHER_ALL: DigestPolicy = { burst: 0, groupIntervalMs: 60_000 };

let redis: Redis;
let prefix: string;
let book: DigestBook;

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('digest-book');
  book = createDigestBook(() => redis, prefix);
});

afterEach(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function alertOf(flowId: number, detectedAt: number): Alert {
  return failedAlert({ key: `f${flowId}-a1-failed`, flow: { id: flowId, name: `flow ${flowId}` }, detectedAt });
}

function gather(notifier: string, alert: Alert, now: number) {
  return book.gate({ notifier, jobId: `${alert.key}.${notifier}`, alert, markerKey: `${prefix}:delivered:${alert.key}.${notifier}`, policy: GATHER_ALL, now });
}

function settle(notifier: string, jobIds: string[], now: number) {
  return book.settle({ notifier, jobIds, markerKey: (jobId) => `${prefix}:delivered:${jobId}`, policy: GATHER_ALL, now, markerTtlS: 60 });
}

describe('digest book', () => {
  it('has no digest for a notifier that gathered nothing', async () => {
    expect(await book.read('team')).toBeUndefined();
    expect(await book.waiting()).toEqual([]);
  });

  it('lists the members oldest first, with when the first was gathered', async () => {
    expect(await gather('team', alertOf(2, START + 20), START + 100)).toBe('gathered');
    expect(await gather('team', alertOf(1, START + 10), START + 200)).toBe('gathered');
    expect(await gather('team', alertOf(1, START + 10), START + 300)).toBe('gathered');
    const digest = await book.read('team');
    expect(digest?.since).toBe(START + 100);
    expect(digest?.members.map((member) => member.jobId)).toEqual(['f1-a1-failed.team', 'f2-a1-failed.team']);
    expect(await book.waiting()).toEqual(['team']);
  });

  it('forgets a waiting notifier only once its digest is empty', async () => {
    await gather('team', alertOf(1, START), START);
    await book.forget('team');
    expect(await book.waiting()).toEqual(['team']);
    await redis.del(digestKeys(prefix, 'team').digest);
    await book.forget('team');
    expect(await book.waiting()).toEqual([]);
  });

  it('keeps members that arrived while a digest was sent waiting for the next, counted from the send', async () => {
    await gather('team', alertOf(1, START), START);
    // Gathered while the digest of flow 1 was being sent.
    await gather('team', alertOf(2, START + 61_000), START + 61_000);
    await settle('team', ['f1-a1-failed.team'], START + 62_000);
    const next = await book.read('team');
    expect(next?.members.map((member) => member.jobId)).toEqual(['f2-a1-failed.team']);
    expect(next?.since).toBe(START + 62_000);
    expect(await book.waiting()).toEqual(['team']);
    expect(await redis.get(`${prefix}:delivered:f1-a1-failed.team`)).toBe(String(START + 62_000));
    expect(await redis.exists(`${prefix}:delivered:f2-a1-failed.team`)).toBe(0);

    await settle('team', ['f2-a1-failed.team'], START + 130_000);
    expect(await book.read('team')).toBeUndefined();
    expect(await redis.exists(digestKeys(prefix, 'team').since)).toBe(0);
    expect(await book.waiting()).toEqual([]);
  });
});

describe('the gate, as delivery uses it', () => {
  function delivering(gatherAll: DigestBook = book) {
    const singles: Alert[] = [];
    const notifier: Notifier = {
      name: 'team',
      type: 'console',
      send: (alert) => (singles.push(alert), Promise.resolve()),
      sendDigest: () => Promise.reject(new Error('no flush here')),
      close: () => Promise.resolve(),
    };
    let configured = true;
    const { log, lines } = captureLog();
    const digests = { book: gatherAll, policy: () => GATHER_ALL };
    const deliver = (alert: Alert): Promise<DeliveryOutcome> =>
      deliverNotification({ redis, prefix, now: () => START, log, notifier: () => (configured ? notifier : undefined), digests }, { alert, notifier: 'team' });
    return { deliver, singles, lines, unconfigure: () => (configured = false) };
  }

  it('gathers an alert in a storm, saying so', async () => {
    const team = delivering();
    expect(await team.deliver(alertOf(1, START))).toBe('gathered');
    expect(team.lines.at(-1)).toMatchObject({ notifier: 'team', kind: 'failed', msg: 'alert gathered into the next digest' });
  });

  it('gives up on an alert for a notifier no longer in the config rather than gathering it', async () => {
    const team = delivering();
    team.unconfigure();
    const error = await team.deliver(alertOf(1, START)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failure.action).toBe('give-up');
    expect(await redis.smembers(waitingDigestsKey(prefix))).toEqual([]);
  });

  it('never gathers a test alert: it goes out on its own even in a storm', async () => {
    const team = delivering();
    expect(await team.deliver(testAlert())).toBe('delivered');
    expect(team.singles.map((alert) => alert.kind)).toEqual(['test']);
  });

  it('sends nothing when another replica delivered the alert just before the gate', async () => {
    const racing: DigestBook = {
      ...book,
      gate: async (input) => {
        await redis.set(input.markerKey, String(START));
        return book.gate(input);
      },
    };
    const team = delivering(racing);
    expect(await team.deliver(alertOf(1, START))).toBe('already-delivered');
    expect(team.singles).toEqual([]);
    expect(team.lines.at(-1)).toMatchObject({ notifier: 'team', msg: 'alert already delivered; not sending again' });
  });
});
