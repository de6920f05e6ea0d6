/**
 * One GET against the Portable API, with our own retries, turned into parsed JSON or a PortableApiError.
 *
 * got's built-in retry is switched off: it gives up silently when Retry-After exceeds its bound and retries
 * on its own schedule, whereas we want one place that decides, reports each request (onRequest), and obeys
 * the caller's AbortSignal while sleeping as well as while waiting for an answer.
 */
import got, { type Response } from 'got';
import {
  abortedError,
  httpStatusError,
  malformedError,
  networkError,
  retryAfterTooLongError,
  type PortableApiError,
  type PortableErrorKind,
} from './portable-error.ts';
import { backoffDelayMs, parseRetryAfterMs, type RetryPolicy, type Sleep } from './retry-policy.ts';

export interface RequestInfo {
  /** URL path and query, never the host or the token. */
  path: string;
  /** HTTP status, when an answer arrived. */
  status?: number;
  durationMs: number;
  /** How this request failed, when it did (a retried 503 reports 'transient'). */
  errorKind?: PortableErrorKind;
  /** 1 for the first request of a call, 2 for its first retry, and so on. */
  attempt: number;
  /** Portable's clock: its `Date` header (whole seconds), when an answer carried a readable one. */
  serverDate?: number;
  /** Our clock when the answer (or the failure) arrived. */
  receivedAt: number;
}

export interface GetJsonSettings {
  token: string;
  apiUrl: string;
  timeoutMs: number;
  retry: RetryPolicy;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  onRequest?: (info: RequestInfo) => void;
}

export interface JsonAnswer {
  body: unknown;
  /** The path as shown in errors and logs (apiUrl's base path included). */
  path: string;
  /** HTTP requests made, retries included. */
  requests: number;
  /** Our clock when the answer arrived. */
  receivedAt: number;
}

export type GetJson = (path: string, signal?: AbortSignal) => Promise<JsonAnswer>;

type Attempt =
  | { outcome: 'answer'; status: number; text: string; retryAfter: string | string[] | undefined; date: string | undefined }
  | { outcome: 'no-answer'; error: PortableApiError };

/** `path` starts with `/v2/` and may carry a query string. */
export function createGetJson(settings: GetJsonSettings): GetJson {
  const base = settings.apiUrl.replace(/\/+$/, '');
  // The path shown in errors and logs is the full URL path (a base path in apiUrl included), never the host.
  const basePath = new URL(base).pathname.replace(/\/+$/, '');
  return async (path, signal) => {
    const shownPath = `${basePath}${path}`;
    for (let attempt = 1; ; attempt += 1) {
      if (signal?.aborted === true) throw abortedError(shownPath);
      const started = performance.now();
      const result = await sendOnce(settings, `${base}${path}`, shownPath, attempt, signal);
      const receivedAt = settings.now();
      const step = decide(result, settings, shownPath, attempt);
      const serverDate = result.outcome === 'answer' && result.date !== undefined ? Date.parse(result.date) : Number.NaN;
      report(settings.onRequest, {
        path: shownPath,
        durationMs: Math.round(performance.now() - started),
        attempt,
        receivedAt,
        ...(result.outcome === 'answer' ? { status: result.status } : {}),
        ...(Number.isFinite(serverDate) ? { serverDate } : {}),
        ...(step.next === 'return' ? {} : { errorKind: step.error.kind }),
      });
      if (step.next === 'return') return { body: step.body, path: shownPath, requests: attempt, receivedAt };
      if (step.next === 'throw') throw step.error;
      try {
        await settings.sleep(step.waitMs, signal);
      } catch {
        throw abortedError(shownPath);
      }
    }
  };
}

/** A broken metrics hook must not turn a good answer into a failed check. */
function report(onRequest: GetJsonSettings['onRequest'], info: RequestInfo): void {
  try {
    onRequest?.(info);
  } catch {
    // Deliberately ignored; see above.
  }
}

type Step =
  | { next: 'return'; body: unknown }
  | { next: 'throw'; error: PortableApiError }
  | { next: 'retry'; error: PortableApiError; waitMs: number };

/** Whether this request ends the call (with a body or an error) or is retried, and after how long. */
function decide(result: Attempt, settings: GetJsonSettings, shownPath: string, attempt: number): Step {
  if (result.outcome === 'answer' && result.status >= 200 && result.status < 300) {
    return parseBody(result.text, shownPath, settings.token);
  }
  if (result.outcome === 'no-answer') {
    const error = result.error;
    if (!error.retryable || attempt > settings.retry.limit) return { next: 'throw', error };
    return { next: 'retry', error, waitMs: backoffDelayMs(attempt, settings.retry, settings.random) };
  }
  const retryAfterMs = parseRetryAfterMs(result.retryAfter, settings.now());
  const error = httpStatusError(result.status, shownPath, attempt, retryAfterMs);
  if (!error.retryable || attempt > settings.retry.limit) return { next: 'throw', error };
  if (retryAfterMs !== undefined && retryAfterMs > settings.retry.maxRetryAfterMs) {
    return { next: 'throw', error: retryAfterTooLongError(shownPath, result.status, retryAfterMs, settings.retry.maxRetryAfterMs) };
  }
  // Portable's own Retry-After beats our guess; without one, full-jitter backoff.
  const waitMs = retryAfterMs ?? backoffDelayMs(attempt, settings.retry, settings.random);
  return { next: 'retry', error, waitMs };
}

async function sendOnce(
  settings: GetJsonSettings,
  url: string,
  shownPath: string,
  attempt: number,
  signal: AbortSignal | undefined,
): Promise<Attempt> {
  try {
    const response: Response<string> = await got.get(url, {
      headers: { authorization: `Bearer ${settings.token}`, accept: 'application/json', 'user-agent': 'portable-watch' },
      timeout: { request: settings.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      responseType: 'text',
      signal,
    });
    return { outcome: 'answer', status: response.statusCode, text: response.body, retryAfter: response.headers['retry-after'], date: response.headers.date };
  } catch (error) {
    return { outcome: 'no-answer', error: classifyFailure(error, settings, shownPath, attempt, signal) };
  }
}

/** Copies only what is safe (name, code, a redacted message) out of a got error; see portable-error.ts. */
function classifyFailure(
  error: unknown,
  settings: GetJsonSettings,
  shownPath: string,
  attempt: number,
  signal: AbortSignal | undefined,
): PortableApiError {
  const { name, code, message } = safeFields(error);
  // got fails with an AbortError only when the signal has aborted, so the signal alone decides.
  if (signal?.aborted === true) return abortedError(shownPath);
  if (name === 'TimeoutError') {
    return networkError(shownPath, code ?? 'ETIMEDOUT', `no answer within ${settings.timeoutMs} ms`, attempt);
  }
  const reason = redact(`${code ?? name}: ${message}`, settings.token).slice(0, 200);
  return networkError(shownPath, code, reason, attempt);
}

function safeFields(error: unknown): { name: string; code: string | undefined; message: string } {
  if (!(error instanceof Error)) return { name: 'Error', code: undefined, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, code: typeof code === 'string' ? code : undefined, message: error.message };
}

function parseBody(text: string, shownPath: string, token: string): Step {
  try {
    return { next: 'return', body: JSON.parse(text) as unknown };
  } catch {
    const seen = text.trim() === '' ? 'an empty body' : snippet(text, token);
    return { next: 'throw', error: malformedError(shownPath, 'a JSON body', seen) };
  }
}

/** A short, quoted, token-free excerpt of a body for an error message. */
function snippet(text: string, token: string): string {
  const short = redact(text.trim(), token).replace(/\s+/g, ' ');
  return JSON.stringify(short.length > 80 ? `${short.slice(0, 80)}…` : short);
}

/** Belt and braces: a server (or proxy) that echoes the Authorization header must not put it in our errors. */
function redact(text: string, token: string): string {
  return token === '' ? text : text.replaceAll(token, '[redacted]');
}
