import type { Logger } from 'pino';

/**
 * The last line of defence against going blind without a word: when no check has completed for 3 × the shortest
 * `pollEvery` (at least 30 s) while checks are due, the worker says so once and rebuilds its Redis connection and
 * BullMQ workers; when that has not brought checks back within 2 minutes, /healthz answers 503 so the
 * orchestrator restarts the process.
 *
 * "No check completed" is judged for the whole installation when Redis can tell (another replica checking means
 * this one is merely idle, not stuck) and for this process alone when it cannot.
 */
export interface CheckWatchdog {
  /** A check finished, whatever its outcome. */
  checkCompleted(): void;
  /** For /healthz: unhealthy once a rebuild has not brought checks back within `giveUpAfterMs`. */
  health(): { healthy: true } | { healthy: false; reason: string };
  start(): void;
  close(): void;
}

export interface CheckWatchdogOptions {
  /** The wall clock: what Redis' record of the installation's last check is compared with, and what logs show. */
  now: () => number;
  /**
   * This process' own elapsed time, default performance.now(): a wall clock stepped forward (NTP, a VM resumed) must
   * not look like hours without a check and rebuild workers that are fine.
   */
  elapsed?: () => number;
  log: Pick<Logger, 'warn' | 'info' | 'error' | 'debug'>;
  /** The shortest `pollEvery` of the flows watched now; undefined when none is (no check is due). */
  shortestPollEvery(): number | undefined;
  /** When a check last began anywhere in the installation, as Redis holds it; undefined when Redis cannot say. */
  lastCheckInInstallation(): Promise<number | undefined>;
  /** Recreates the connection and the workers; throws when Redis cannot be reached (tried again later). */
  restart(): Promise<void>;
  onRestart?: () => void;
  /**
   * Whether Redis refuses connections (an outage open or just ended, see OutageLog.refusing). The watchdog still
   * tries its rebuild then, but quietly: the outage log already says why no check completes. A connection gone
   * quiet while Redis is fine is the watchdog's own case, and told as before.
   */
  redisRefusing?: () => boolean;
  /** Defaults: look every 5 s; stalled after 3 × pollEvery, at least 30 s; give up 2 minutes after the first rebuild. */
  everyMs?: number;
  minStallMs?: number;
  giveUpAfterMs?: number;
}

export const WATCHDOG_MIN_STALL_MS = 30_000;
export const WATCHDOG_GIVE_UP_MS = 2 * 60_000;

export function createCheckWatchdog(options: CheckWatchdogOptions): CheckWatchdog {
  const { now, log } = options;
  const elapsed = options.elapsed ?? (() => performance.now());
  const minStallMs = options.minStallMs ?? WATCHDOG_MIN_STALL_MS;
  const giveUpAfterMs = options.giveUpAfterMs ?? WATCHDOG_GIVE_UP_MS;
  // Every time below is on the elapsed clock but `lastCompletedAt` (for people) and Redis' record (the wall clock).
  let lastCompleted = elapsed();
  let lastCompletedAt = now();
  /** When this stall was first acted on; undefined while checks complete. */
  let firstRestartAt: number | undefined;
  let lastRestartAt = 0;
  /** Whether this stall was told at warn (it was not during an outage): its end is then told too. */
  let announced = false;
  let timer: NodeJS.Timeout | undefined;
  let looking = false;

  async function look(): Promise<void> {
    const pollEvery = options.shortestPollEvery();
    if (pollEvery === undefined) return;
    const stallMs = Math.max(minStallMs, 3 * pollEvery);
    const at = elapsed();
    if (at - lastCompleted < stallMs) return;
    const elsewhere = await options.lastCheckInInstallation().catch(() => undefined);
    if (elsewhere !== undefined && now() - elsewhere < stallMs) return;
    // One rebuild per stall period: a rebuild needs time to show, and one that failed (Redis away) is retried.
    if (at - lastRestartAt < stallMs) return;
    firstRestartAt ??= at;
    if (!announced) {
      // Told once per stall; a stall that began in an outage is told if it outlasts it.
      announced = options.redisRefusing?.() !== true;
      const fields = { lastCheckCompleted: new Date(lastCompletedAt).toISOString(), stalledSeconds: Math.round((at - lastCompleted) / 1000) };
      const message = 'no check has completed for too long; recreating the Redis connection and the workers';
      if (announced) log.warn(fields, message);
      else log.debug(fields, message);
    }
    lastRestartAt = at;
    options.onRestart?.();
    try {
      await options.restart();
    } catch (error) {
      const fields = { err: error instanceof Error ? error.message : String(error) };
      if (options.redisRefusing?.() === true) log.debug(fields, 'could not recreate the Redis connection; trying again later');
      else log.error(fields, 'could not recreate the Redis connection; trying again later');
    }
  }

  return {
    checkCompleted() {
      const at = elapsed();
      if (firstRestartAt !== undefined) {
        if (announced) log.info({ stalledSeconds: Math.round((at - lastCompleted) / 1000) }, 'checks complete again');
        firstRestartAt = undefined;
        announced = false;
      }
      lastCompleted = at;
      lastCompletedAt = now();
    },
    health() {
      if (firstRestartAt === undefined || elapsed() - firstRestartAt < giveUpAfterMs) return { healthy: true };
      return { healthy: false, reason: `no check completed since ${new Date(lastCompletedAt).toISOString()}` };
    },
    start() {
      lastCompleted = elapsed();
      lastCompletedAt = now();
      timer ??= setInterval(() => {
        if (looking) return;
        looking = true;
        void look().finally(() => {
          looking = false;
        });
      }, options.everyMs ?? 5_000);
      timer.unref();
    },
    close() {
      clearInterval(timer);
    },
  };
}
