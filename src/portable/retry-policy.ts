/**
 * When and how long the Portable client waits before asking again. Kept apart from the HTTP code so the
 * arithmetic (backoff, Retry-After) is testable without a server.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface RetryPolicy {
  /** Retries after the first request; 0 disables retrying. Default 4. */
  limit: number;
  /** First backoff ceiling; doubles each retry. Default 500 ms. */
  baseDelayMs: number;
  /** Largest backoff ceiling. Default 30 s. */
  maxDelayMs: number;
  /**
   * Longest Retry-After we are willing to sleep through. Longer requests give up at once with a transient
   * error carrying `retryAfterMs`, so a poll job does not hold a worker slot for minutes. Default 30 s.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  limit: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 30_000,
};

/** Sleeps `ms`, or rejects as soon as `signal` aborts. Injectable so tests neither wait nor guess. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal });
};

/**
 * Full jitter (a uniform pick between 0 and the exponential ceiling): many workers that failed together do
 * not all come back together. `retry` counts from 1.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Reads a Retry-After header: delta-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`).
 * Returns milliseconds from `now` (never negative), or undefined when absent or unreadable — in which case
 * the caller falls back to its own backoff.
 */
export function parseRetryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // Every HTTP-date form starts with a day name; without this check Date.parse reads `-5` as a year.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
