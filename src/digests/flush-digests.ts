import type { Logger } from 'pino';
import { deliveredMarkerOfJob, deliveryBackoff, DELIVERED_TTL_S } from '../delivery/notification-queue.ts';
import { NotifierError, type Notifier } from '../notifiers/notifier.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { digestKeys, type DigestBook, type DigestPolicy } from './digest-book.ts';

/**
 * Sends each notifier's digest once its first member has waited `groupInterval`. Every replica runs this; a lock per
 * notifier lets one send. Members leave Redis only after the send succeeded, so a failed send (or a crash) loses
 * none: the next flush sends them, with whatever joined since. A notifier that keeps refusing is tried again with the
 * delivery backoff (10 s doubling to 30 min), never given up: its members wait, counted by `status`.
 */

export interface FlushDependencies {
  redis: () => RedisConnection;
  prefix: string;
  book: DigestBook;
  notifier(name: string): Notifier | undefined;
  policy(name: string): DigestPolicy;
  now: () => number;
  log: Logger;
  /** Where every alert of a digest can be seen, for the line that counts those that did not fit. */
  seeAll: string;
  /** Aborts a send in progress (shutdown). */
  signal?: AbortSignal;
}

/** Longer than any notifier's send deadline, so a lock never lapses while its send is in flight. */
const LOCK_TTL_MS = 60_000;

export async function flushDueDigests(deps: FlushDependencies): Promise<number> {
  let sent = 0;
  for (const name of await deps.book.waiting()) {
    if (await flushOne(deps, name)) sent += 1;
  }
  return sent;
}

async function flushOne(deps: FlushDependencies, name: string): Promise<boolean> {
  const policy = deps.policy(name);
  const first = await deps.book.read(name);
  if (first === undefined) {
    await deps.book.forget(name);
    return false;
  }
  const now = deps.now();
  if (now < first.since + policy.groupIntervalMs) return false;
  const keys = digestKeys(deps.prefix, name);
  const retry = parseRetry(await deps.redis().get(keys.retry));
  if (retry !== undefined && now < retry.at) return false;
  const owner = `${process.pid}-${Math.random()}`;
  if ((await deps.redis().set(keys.lock, owner, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') return false;
  try {
    // Read again under the lock: another replica may have sent it a moment ago.
    const digest = await deps.book.read(name);
    if (digest === undefined || deps.now() < digest.since + policy.groupIntervalMs) return false;
    const notifier = deps.notifier(name);
    const log = deps.log.child({ notifier: name });
    if (notifier === undefined) {
      log.warn({ alerts: digest.members.length }, 'a digest waits for a notifier no longer in the config; add it back to send it');
      return false;
    }
    const sentAt = deps.now();
    try {
      await notifier.sendDigest(
        { alerts: digest.members.map((member) => member.alert), since: digest.since, sentAt, seeAll: deps.seeAll },
        deps.signal ? { signal: deps.signal } : {},
      );
    } catch (error) {
      const attempts = (retry?.attempts ?? 0) + 1;
      const at = deps.now() + deliveryBackoff(attempts);
      await deps.redis().set(keys.retry, JSON.stringify({ at, attempts }), 'PX', 24 * 3_600_000);
      const message = error instanceof NotifierError ? error.message : 'the notifier failed in a way it did not classify';
      log.warn({ alerts: digest.members.length, attempts, retryAt: new Date(at).toISOString(), err: message }, 'digest not sent; trying again later');
      return false;
    }
    await deps.book.settle({
      notifier: name,
      jobIds: digest.members.map((member) => member.jobId),
      // The gate names each member by its job id, `<alert key>.<notifier>`.
      markerKey: (jobId) => deliveredMarkerOfJob(deps.prefix, jobId),
      policy,
      now: deps.now(),
      markerTtlS: DELIVERED_TTL_S,
    });
    if (retry !== undefined) await deps.redis().del(keys.retry);
    log.info({ alerts: digest.members.length, since: new Date(digest.since).toISOString() }, 'digest delivered');
    return true;
  } finally {
    await deps.redis().eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, keys.lock, owner);
  }
}

function parseRetry(raw: string | null): { at: number; attempts: number } | undefined {
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as { at?: unknown; attempts?: unknown };
    return typeof parsed.at === 'number' && typeof parsed.attempts === 'number' ? { at: parsed.at, attempts: parsed.attempts } : undefined;
  } catch {
    return undefined;
  }
}
