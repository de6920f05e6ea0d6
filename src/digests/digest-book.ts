import type { Alert } from '../alerts/alert.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { runScript } from '../redis/run-script.ts';

/**
 * Storms become digests. Per notifier, Redis keeps the sends of the last `groupInterval` (a sorted set by time) and
 * the alerts gathered for the next digest (a hash by job id). Both live in Redis, so every replica sees the same
 * window and the same members: a restart or a second worker neither loses a member nor sends one twice.
 */

/** How many individual messages a notifier may send within `groupIntervalMs` before alerts are gathered. */
export interface DigestPolicy {
  burst: number;
  groupIntervalMs: number;
}

export const DEFAULT_DIGEST_POLICY: DigestPolicy = { burst: 5, groupIntervalMs: 60_000 };

export type GateOutcome =
  /** Send it on its own now (a slot of the window is taken for this job). */
  | 'send'
  /** Gathered into the notifier's next digest (or already there). */
  | 'gathered'
  /** Delivered before (the marker is set): send nothing. */
  | 'already-delivered';

/**
 * Decides, atomically across replicas, whether one alert goes out on its own or joins the digest. While a digest is
 * waiting, every new alert joins it (a storm's later alerts never overtake its earlier ones); otherwise the alert is
 * sent on its own while fewer than `burst` messages went out within the interval. A job retried after a failed send
 * keeps the slot it took (its id is the set's member), so retries do not use the window up.
 *
 * KEYS: delivered marker, sent set, digest hash, digest since, waiting set. ARGV: now, interval, burst, job id, alert
 * JSON, notifier.
 */
const GATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'already-delivered' end
if redis.call('HEXISTS', KEYS[3], ARGV[4]) == 1 then return 'gathered' end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[2], ARGV[4]) then return 'send' end
if redis.call('HLEN', KEYS[3]) == 0 and redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[2], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 'send'
end
redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
redis.call('SET', KEYS[4], now, 'NX')
redis.call('SADD', KEYS[5], ARGV[6])
return 'gathered'
`;

/**
 * After a digest went out: its members leave the hash and are marked delivered (a job of the same alert finds the
 * marker), the digest takes a slot of the window, and members that arrived while it was sent wait for the next one.
 *
 * KEYS: digest hash, digest since, sent set, waiting set, then one delivered marker per member. ARGV: now, interval,
 * marker TTL (s), notifier, then the members' job ids.
 */
const SETTLE_SCRIPT = `
local now = ARGV[1]
for index = 5, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[index])
  redis.call('SET', KEYS[index], now, 'EX', ARGV[3])
end
redis.call('ZADD', KEYS[3], now, 'digest:' .. now)
redis.call('PEXPIRE', KEYS[3], ARGV[2])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[4], ARGV[4])
else
  redis.call('SET', KEYS[2], now)
end
return 1
`;

/** Forgets a notifier's waiting entry only if its digest is empty (a member gathered meanwhile keeps it). */
const FORGET_SCRIPT = `
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 1
`;

export interface GatheredDigest {
  /** When its first member was gathered. */
  since: number;
  /** Members by job id, oldest first. */
  members: Array<{ jobId: string; alert: Alert }>;
}

export interface DigestBook {
  gate(input: { notifier: string; jobId: string; alert: Alert; markerKey: string; policy: DigestPolicy; now: number }): Promise<GateOutcome>;
  /** The notifier's waiting digest; undefined when none waits. */
  read(notifier: string): Promise<GatheredDigest | undefined>;
  /** Marks the members as delivered (see SETTLE_SCRIPT); `markerKey` names each member's delivered marker. */
  settle(input: { notifier: string; jobIds: readonly string[]; markerKey: (jobId: string) => string; policy: DigestPolicy; now: number; markerTtlS: number }): Promise<void>;
  /** Notifiers with a digest waiting. */
  waiting(): Promise<string[]>;
  /** Drops a notifier from `waiting` when its digest is empty. */
  forget(notifier: string): Promise<void>;
}

export function digestKeys(prefix: string, notifier: string) {
  return {
    sent: `${prefix}:notifier:${notifier}:sent`,
    digest: `${prefix}:notifier:${notifier}:digest`,
    since: `${prefix}:notifier:${notifier}:digest-since`,
    /** Held by the replica sending the digest, and when a failed send may be tried again. */
    lock: `${prefix}:notifier:${notifier}:digest-lock`,
    retry: `${prefix}:notifier:${notifier}:digest-retry`,
  };
}

/** A set of the notifiers whose digest waits, so a flush finds them without scanning keys. */
export function waitingDigestsKey(prefix: string): string {
  return `${prefix}:digests-waiting`;
}

export function createDigestBook(connection: () => RedisConnection, prefix: string): DigestBook {
  return {
    async gate({ notifier, jobId, alert, markerKey, policy, now }) {
      const keys = digestKeys(prefix, notifier);
      const keyList = [markerKey, keys.sent, keys.digest, keys.since, waitingDigestsKey(prefix)];
      const args = [now, policy.groupIntervalMs, policy.burst, jobId, JSON.stringify(alert), notifier];
      return (await runScript(connection(), GATE_SCRIPT, keyList, args)) as GateOutcome;
    },
    async read(notifier) {
      const keys = digestKeys(prefix, notifier);
      const [[, since], [, members]] = ((await connection().multi().get(keys.since).hgetall(keys.digest).exec()) ?? []) as [
        [unknown, string | null],
        [unknown, Record<string, string>],
      ];
      const entries = Object.entries(members ?? {});
      if (entries.length === 0) return undefined;
      const parsed = entries.map(([jobId, json]) => ({ jobId, alert: JSON.parse(json) as Alert }));
      parsed.sort((first, second) => first.alert.detectedAt - second.alert.detectedAt || first.jobId.localeCompare(second.jobId));
      return { since: Number(since) || (parsed[0]?.alert.detectedAt ?? 0), members: parsed };
    },
    async settle({ notifier, jobIds, markerKey, policy, now, markerTtlS }) {
      const keys = digestKeys(prefix, notifier);
      const keyList = [keys.digest, keys.since, keys.sent, waitingDigestsKey(prefix), ...jobIds.map(markerKey)];
      await runScript(connection(), SETTLE_SCRIPT, keyList, [now, policy.groupIntervalMs, markerTtlS, notifier, ...jobIds]);
    },
    async waiting() {
      return connection().smembers(waitingDigestsKey(prefix));
    },
    async forget(notifier) {
      await runScript(connection(), FORGET_SCRIPT, [digestKeys(prefix, notifier).digest, waitingDigestsKey(prefix)], [notifier]);
    },
  };
}
