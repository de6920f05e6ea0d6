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
}

export const OUTAGE_REMINDER_MS = 30_000;

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
  let lastLoggedAt = 0;
  let failures = 0;

  return {
    failed(error) {
      const reason = scrub(describe(error));
      const at = now();
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
        log.warn({ reason }, 'Redis cannot be reached; checks and alerts wait for it');
        return;
      }
      if (at - lastLoggedAt < reminderMs) return;
      lastLoggedAt = at;
      log.warn({ reason, since: new Date(since).toISOString(), downSeconds: Math.round((at - since) / 1000), failures }, 'Redis still cannot be reached');
    },
    recovered() {
      if (since === undefined) return;
      log.info({ downSeconds: Math.round((now() - since) / 100) / 10, failures }, 'Redis answers again');
      since = undefined;
    },
  };
}

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
