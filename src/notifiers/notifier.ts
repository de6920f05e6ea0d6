import type { Alert } from '../alerts/alert.ts';
import type { Digest } from '../digests/digest-types.ts';

/** Every medium an alert can go out through; `notifierFactories` must have one entry per member. */
export type NotifierType = 'slack' | 'email' | 'console' | 'pagerduty' | 'teams' | 'webhook';

export interface SendOptions {
  /** Aborts the send (e.g. on shutdown); the send then fails with a retryable NotifierError. */
  signal?: AbortSignal;
}

/**
 * One configured destination. `send` either delivers the alert or throws a NotifierError; it never retries
 * by itself, because the notification job owns retries and backoff.
 */
export interface Notifier {
  /** The name the operator gave this notifier in the config, e.g. "oncall". */
  readonly name: string;
  readonly type: NotifierType;
  send(alert: Alert, options?: SendOptions): Promise<void>;
  /** Sends many alerts as one message (a storm's digest), within the medium's limits; fails like `send`. */
  sendDigest(digest: Digest, options?: SendOptions): Promise<void>;
  /** Releases connections (e.g. the SMTP pool). Safe to call more than once. */
  close(): Promise<void>;
}

export interface NotifierErrorDetails {
  retryable: boolean;
  /** How long the receiver asked us to wait (Slack's Retry-After), when it said so. */
  retryAfterMs?: number;
  /** HTTP status (Slack) or SMTP reply code (email), when the receiver answered. */
  status?: number;
  /** A short machine-readable reason: Slack's error body (`no_service`), a nodemailer or socket code. */
  code?: string;
}

/**
 * The only error a notifier throws. Built from a few safe fields of the underlying error and never given it
 * as `cause`: errors from fetch and nodemailer can carry the webhook URL or SMTP credentials, and this one is
 * logged and stored with the failed job. Its message says what failed and, when a person must act, what to do;
 * never that the alert will be retried: whether it is belongs to the caller (the notification job retries,
 * `test-alert` does not), which reads `retryable`.
 */
export class NotifierError extends Error {
  override readonly name = 'NotifierError';
  /** true: try again later (network, timeout, 5xx, 429, SMTP 4xx). false: a person has to fix something. */
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly code?: string;

  constructor(message: string, details: NotifierErrorDetails) {
    super(message);
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
    this.code = details.code;
  }
}

/** Combines the caller's signal with a deadline, and says afterwards which of the two fired. */
export interface SendDeadline {
  readonly signal: AbortSignal;
  /** The caller aborted (shutdown), as opposed to the deadline passing. */
  cancelled(): boolean;
  timedOut(): boolean;
}

export function sendDeadline(timeoutMs: number, callerSignal: AbortSignal | undefined): SendDeadline {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
  return {
    signal,
    cancelled: () => callerSignal?.aborted === true,
    timedOut: () => timeout.aborted && callerSignal?.aborted !== true,
  };
}

/** The message for a send that the deadline or the caller cut short; both are worth retrying. */
export function interruptedSendError(
  deadline: SendDeadline,
  what: string,
  timeoutMs: number,
): NotifierError | undefined {
  if (deadline.cancelled()) {
    return new NotifierError(`${what} was cancelled before it finished (shutting down?)`, {
      retryable: true,
      code: 'cancelled',
    });
  }
  if (deadline.timedOut()) {
    return new NotifierError(`${what} did not finish within ${timeoutMs / 1000}s`, {
      retryable: true,
      code: 'timeout',
    });
  }
  return undefined;
}
