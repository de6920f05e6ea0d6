import type { Logger } from 'pino';

/**
 * What an operator reads while Redis is away: one warning when it becomes unreachable, at most one every 30 s
 * while that lasts, and one line when it answers again with how long it was gone — instead of one line per
 * reconnect attempt of every connection (ioredis, each BullMQ worker and queue) and stack traces on stderr.
 */
export interface OutageLog {
  /** A connection failed in a way that means Redis cannot be reached (see isConnectionError). */
  failed(error: unknown): void;
  /** A connection is ready again. */
  recovered(): void;
  /**
   * Whether an outage is open or ended less than OUTAGE_AFTERMATH_MS ago: Redis failing now is its doing, and told
   * by it, so other parts (the metrics probes) stay quiet.
   */
  unsettled(): boolean;
  /**
   * `unsettled()`, for an outage in which connections were refused or dropped — not one where commands only timed
   * out on a connection that stayed open (a socket gone quiet), which a new connection may cure.
   */
  refusing(): boolean;
  /**
   * Whether the outage explains `error` — a connection error, or a job lost to it (a lock not renewed, a job gone
   * from Redis) — while it lasts or within OUTAGE_AFTERMATH_MS of its end, when what was queued during it fails.
   * Such an error is logged at debug only, as the outage's own lines already tell it; on false the caller logs it.
   */
  explains(error: unknown): boolean;
}

export const OUTAGE_REMINDER_MS = 30_000;
/**
 * How long after an outage its consequences still arrive: commands queued during it answered at the reconnect,
 * checks and deliveries that were waiting on it failing, BullMQ renewing (every 15 s) locks that expired meanwhile.
 */
export const OUTAGE_AFTERMATH_MS = 30_000;

export function createOutageLog(
  log: Pick<Logger, 'warn' | 'info' | 'debug'>,
  options: {
    now?: () => number;
    reminderMs?: number;
    scrub?: (text: string) => string;
    /**
     * Whether the main connection is up. A failure while it is (another connection's late reconnect error, after
     * Redis came back) opens no outage: Redis can be reached.
     */
    connected?: () => boolean;
  } = {},
): OutageLog {
  const now = options.now ?? Date.now;
  const reminderMs = options.reminderMs ?? OUTAGE_REMINDER_MS;
  const scrub = options.scrub ?? ((text: string) => text);
  let since: number | undefined;
  let endedAt = Number.NEGATIVE_INFINITY;
  let lastLoggedAt = 0;
  let failures = 0;
  let refused = false;
  /** The last connection failure of any kind, outage or not (a failover moving a connection opens none). */
  let troubleAt = Number.NEGATIVE_INFINITY;
  const unsettled = () => since !== undefined || now() - endedAt <= OUTAGE_AFTERMATH_MS;

  return {
    failed(error) {
      const reason = scrub(describe(error));
      const at = now();
      troubleAt = at;
      // A command that timed out on a connection still open is an outage too: a socket gone quiet.
      const quiet = error instanceof Error && error.message.startsWith('Command timed out');
      if (since === undefined && !quiet && options.connected?.() === true) {
        log.debug({ reason }, 'a Redis connection failed while the main one is up');
        return;
      }
      failures += 1;
      if (since === undefined) {
        since = at;
        lastLoggedAt = at;
        failures = 1;
        refused = !quiet;
        log.warn({ reason }, 'Redis cannot be reached; checks and alerts wait for it');
        return;
      }
      refused ||= !quiet;
      if (at - lastLoggedAt < reminderMs) return;
      lastLoggedAt = at;
      log.warn({ reason, since: new Date(since).toISOString(), downSeconds: Math.round((at - since) / 1000), failures }, 'Redis still cannot be reached');
    },
    recovered() {
      if (since === undefined) return;
      endedAt = now();
      log.info({ downSeconds: Math.round((endedAt - since) / 100) / 10, failures }, 'Redis answers again');
      since = undefined;
    },
    unsettled,
    refusing: () => refused && unsettled(),
    explains(error) {
      const lostJob = isLostJobError(error);
      if (!isConnectionError(error) && !lostJob) return false;
      // A job whose lock went in a failover that opened no outage (the main connection moved at once) is its doing too.
      const afterTrouble = lostJob && now() - troubleAt <= OUTAGE_AFTERMATH_MS;
      if (!unsettled() && !afterTrouble) return false;
      log.debug({ reason: scrub(describe(error)) }, 'an error the Redis outage explains');
      return true;
    },
  };
}

/**
 * BullMQ's words for a job whose lock or data went while Redis was away: the job runs again (the stalled-job
 * check) or its next scheduled one does; a person can do nothing about it.
 */
export function isLostJobError(error: unknown): boolean {
  return error instanceof Error && LOST_JOB_MESSAGES.some((pattern) => pattern.test(error.message));
}

const LOST_JOB_MESSAGES: readonly RegExp[] = [/^could not renew lock for job /, /^Missing (key|lock) for job /, /^Lock mismatch for job /, /^Job \S+ is not in the \w+ state/];

/**
 * Errors that mean "Redis is not there right now" (refused, reset, timed out, a failover under way), as opposed to
 * a bug or a refused command, which are logged as they come.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message));
}

const CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

const CONNECTION_MESSAGES: readonly RegExp[] = [
  /^Connection is closed/,
  /^All sentinels are unreachable/,
  /^failed to connect to sentinel/i,
  /^Command timed out/,
  /^Failed to refresh slots cache/,
  /^Too many Cluster redirections/,
  /^None of startup nodes is available/,
  /^Stream isn't writeable/,
  /^(READONLY|UNBLOCKED|LOADING|CLUSTERDOWN|MASTERDOWN|TRYAGAIN) /,
  /^Connection in subscriber mode/,
  /Socket timeout/,
  /^connect E[A-Z]+/,
  /^read E[A-Z]+/,
  /^write E[A-Z]+/,
];

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // ioredis summaries ("All sentinels are unreachable…") say less than what led to them.
  const last = (error as { lastNodeError?: unknown }).lastNodeError;
  return last instanceof Error ? `${error.message} (${last.message})` : error.message;
}
