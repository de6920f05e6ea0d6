import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert } from '../alerts/alert.ts';
import { formatTime } from '../notifiers/alert-facts.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { installationMarkerKey, type FlowStateStore } from '../state/flow-state-store.ts';

/**
 * Notices when Redis has lost the installation's state (a restart without persistence, a failover to an empty
 * replica, FLUSHALL) and repairs it: every Job Scheduler, checkpoint and open incident is gone then, and nothing
 * else would bring the checks back.
 *
 * A marker hash names the installation's current life in Redis. Each worker checks it every few seconds (one
 * HGET) and on every check's begin; when it is gone (or replaced by a replica that noticed first) the worker puts
 * back the flow states it remembers, reconciles the schedules and — the replica that recreated the marker only —
 * sends one `monitor-error` alert. A rebuilt installation settles for a moment before checks may run, so every
 * live replica has seeded what it remembers before any check commits over it.
 */
export interface StateGuard {
  /** Makes sure the marker exists and adopts it, once; a one-off command needs only this. */
  ensure(): Promise<void>;
  /** `ensure`, then keeps verifying every `verifyEveryMs`. */
  start(): Promise<void>;
  /** Whether the installation is intact (one HGET); a loss found here starts the repair. */
  intact(): Promise<boolean>;
  /** Verifies now, without waiting for the timer (a check found the marker moved). */
  verifySoon(): void;
  close(): Promise<void>;
}

export interface StateGuardOptions {
  /** The current connection (the watchdog may replace it). */
  redis: () => RedisConnection;
  prefix: string;
  store: FlowStateStore;
  log: Logger;
  now: () => number;
  /** Reconciles the schedules with the current config; first checks of added flows wait `firstCheckDelayMs`. */
  reconcile(firstCheckDelayMs: number): Promise<unknown>;
  /** How many check schedules the current config has (fewer in Redis means some were lost). */
  expectedSchedules(): number;
  schedulesInRedis(): Promise<number>;
  /** Queues the alert that says Redis lost the state. */
  announce(alert: Alert): Promise<void>;
  onStateLost?: () => void;
  verifyEveryMs?: number;
  settleMs?: number;
}

/** Well inside the 30 s the issue allows; one HGET per worker each time. */
export const VERIFY_EVERY_MS = 5_000;
/** Two verifications and a margin: every live replica has noticed the loss and seeded before checks run again. */
export const SETTLE_MS = 2 * VERIFY_EVERY_MS + 2_000;

const CREATE_SCRIPT = `
local id = redis.call('HGET', KEYS[1], 'id')
if id then return { id, redis.call('HGET', KEYS[1], 'settledAt') or '0', 0 } end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'createdAt', ARGV[2], 'settledAt', ARGV[3])
return { ARGV[1], ARGV[3], 1 }
`;

export function createStateGuard(options: StateGuardOptions): StateGuard {
  const { store, log, now } = options;
  const redis = options.redis;
  const markerKey = installationMarkerKey(options.prefix);
  const verifyEveryMs = options.verifyEveryMs ?? VERIFY_EVERY_MS;
  const settleMs = options.settleMs ?? SETTLE_MS;
  let known: string | undefined;
  let lastIntactAt = now();
  let repairing: Promise<void> | undefined;
  let verifying: Promise<void> | undefined;
  let pending: Alert | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** The marker's id, creating it with `settledAt` when absent; `created` says whether this call made it. */
  async function claim(settledAt: number): Promise<{ id: string; settledAt: number; created: boolean }> {
    const [id, settled, created] = (await redis().eval(CREATE_SCRIPT, 1, markerKey, randomUUID(), now(), settledAt)) as [string, string, number];
    return { id, settledAt: Number(settled), created: created === 1 };
  }

  async function verify(): Promise<void> {
    if (known === undefined || closed) return;
    const id = await redis().hget(markerKey, 'id');
    if (id === known) {
      lastIntactAt = now();
      if (pending !== undefined) await announce();
      await restoreMissingSchedules();
      return;
    }
    await repair();
  }

  function repair(): Promise<void> {
    repairing ??= heal().finally(() => {
      repairing = undefined;
    });
    return repairing;
  }

  async function heal(): Promise<void> {
    const startedAt = now();
    const lostAt = await estimateLossTime(redis(), lastIntactAt, startedAt);
    log.warn({ lostAt: new Date(lostAt).toISOString() }, "Redis lost portable-watch's state (restart without persistence, failover or flush?); restoring it");
    options.onStateLost?.();
    const marker = await claim(startedAt + settleMs);
    // Kept until queued: a repair cut short by Redis failing again still announces the loss on its next try.
    if (marker.created) pending = stateLostAlert(marker.id, lostAt, startedAt);
    store.setInstallation(marker.id);
    const seeded = await store.seedRemembered();
    await options.reconcile(Math.max(0, marker.settledAt - now()) + 500);
    known = marker.id;
    lastIntactAt = now();
    if (pending !== undefined) await announce();
    log.info({ flowsRemembered: seeded.flows, statesRestored: seeded.written, durationMs: now() - startedAt }, 'checking resumed after Redis lost its state');
  }

  async function announce(): Promise<void> {
    if (pending === undefined) return;
    await options.announce(pending);
    pending = undefined;
  }

  /** Schedules can also go one by one (a key deleted by hand, an eviction): recreate them, say so once. */
  async function restoreMissingSchedules(): Promise<void> {
    const expected = options.expectedSchedules();
    const present = await options.schedulesInRedis();
    if (present >= expected) return;
    log.warn({ expected, present }, 'check schedules were missing from Redis; recreating them');
    await options.reconcile(0);
  }

  function verifyQuietly(): Promise<void> {
    verifying ??= verify()
      .catch((error: unknown) => {
        // Redis unreachable: the connection reports that itself; the next round tries again.
        log.debug({ err: error instanceof Error ? error.message : String(error) }, 'could not verify the installation state');
      })
      .finally(() => {
        verifying = undefined;
      });
    return verifying;
  }

  async function ensure(): Promise<void> {
    if (known !== undefined) return;
    // An empty Redis at start is a first start: nothing is remembered, so nothing is announced.
    const marker = await claim(0);
    store.setInstallation(marker.id);
    known = marker.id;
    lastIntactAt = now();
  }

  return {
    ensure,
    async start() {
      await ensure();
      timer ??= setInterval(() => void verifyQuietly(), verifyEveryMs);
      timer.unref();
    },
    async intact() {
      if (repairing !== undefined) return false;
      if (known === undefined) return true;
      const id = await redis().hget(markerKey, 'id');
      if (id === known) return true;
      void verifyQuietly();
      return false;
    },
    verifySoon() {
      void verifyQuietly();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await Promise.allSettled([verifying, repairing]);
    },
  };
}

/**
 * When the state went: a restarted Redis says when it started; a flushed one does not, and then the last time the
 * marker was seen is the best bound.
 */
async function estimateLossTime(redis: RedisConnection, lastIntactAt: number, now: number): Promise<number> {
  try {
    const info = await redis.info('server');
    const uptime = /uptime_in_seconds:(\d+)/.exec(info)?.[1];
    if (uptime !== undefined) return Math.max(lastIntactAt, now - Number(uptime) * 1000);
  } catch {
    // INFO may be renamed or refused (managed Redis); the marker's last sighting will do.
  }
  return lastIntactAt;
}

function stateLostAlert(installationId: string, lostAt: number, now: number): Alert {
  return {
    key: `state-lost-${installationId}`,
    kind: 'monitor-error',
    flow: { id: 0, name: 'portable-watch' },
    monitor: {
      problem: 'state-lost',
      message: `Redis lost portable-watch's state at about ${formatTime(lostAt)} (restart without persistence?); checking resumed`,
      since: lostAt,
      scope: 'installation',
    },
    detectedAt: now,
  };
}
