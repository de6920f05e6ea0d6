import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { isConnectionError } from '../redis/outage-log.ts';

/*
 * Periodic work that one replica at a time does for the installation (re-reading Portable's schedules, discovering
 * flows): every replica looks every tick whether it is due (Redis holds when it was last done), and the one that takes
 * the lock does it. A refresh waiting on a Redis that is away must not hold a shutdown: close gives it a moment.
 */

export interface SharedRefreshOptions {
  redis: () => RedisConnection;
  /** Where the time of the last refresh is kept, and the lock. */
  refreshedKey: string;
  lockKey: string;
  every: () => number;
  /** Whether there is anything to refresh now; default always. */
  enabled?: () => boolean;
  run: (signal: AbortSignal) => Promise<unknown>;
  log: Logger;
  /** Fixed log messages: when Redis is away (debug), and when the refresh failed (warn). */
  messages: { skipped: string; failed: string };
  now: () => number;
  /** How often a replica looks; default a tenth of `every`, between 1 s and 30 s. */
  tickMs?: number;
}

export interface SharedRefresh {
  start(): void;
  readonly signal: AbortSignal;
  /** Makes a refresh due at the next look of any replica. */
  dueSoon(): Promise<void>;
  close(): Promise<void>;
}

/** How long closing waits for a refresh in flight. */
const CLOSE_WAIT_MS = 1_000;
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

export function createSharedRefresh(options: SharedRefreshOptions): SharedRefresh {
  const { refreshedKey, lockKey, log, now } = options;
  const owner = randomUUID();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  const refreshIfDue = async () => {
    if (options.enabled?.() === false) return;
    const redis = options.redis();
    const last = Number(await redis.get(refreshedKey));
    if (Number.isFinite(last) && last > 0 && now() - last < options.every()) return;
    if ((await redis.set(lockKey, owner, 'PX', Math.max(options.every(), 60_000), 'NX')) !== 'OK') return;
    try {
      await options.run(abort.signal);
    } finally {
      await redis.eval(RELEASE, 1, lockKey, owner);
    }
  };

  const tick = () => {
    if (running !== undefined || abort.signal.aborted) return;
    running = refreshIfDue()
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        // Redis away: the connection tells the outage once.
        if (isConnectionError(error)) log.debug({ err: error }, options.messages.skipped);
        else log.warn({ err: error instanceof Error ? error.message : String(error) }, options.messages.failed);
      })
      .finally(() => {
        running = undefined;
      });
  };

  return {
    start() {
      tick();
      timer = setInterval(tick, options.tickMs ?? Math.min(30_000, Math.max(1_000, Math.floor(options.every() / 10))));
      timer.unref();
    },
    signal: abort.signal,
    async dueSoon() {
      await options.redis().del(refreshedKey);
    },
    async close() {
      clearInterval(timer);
      abort.abort();
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (deadline = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(deadline);
    },
  };
}
