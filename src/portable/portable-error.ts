/**
 * The one error the Portable client throws. Every failure is classified here, once, into "retry later"
 * (`retryable: true`) or "a person must act" (`retryable: false`), with a message that says what failed and, when a
 * person must act, what to do. No message promises another try: the worker checks again on its schedule, a
 * one-off `check` does not, and each caller says so itself.
 *
 * Hazard: got's errors carry the request options, headers and all, as enumerable properties. This class
 * never keeps a got error (not even as `cause`); it copies only a name, a code, a status and the URL path,
 * so logging it whole (`log.error({ err })`) cannot leak the API token.
 */

export type PortableErrorKind =
  /** 401: the token is missing, wrong or revoked. */
  | 'unauthorized'
  /** 403: the plan has no API access, or the token lacks permission. */
  | 'forbidden'
  /** 404: no such flow (or endpoint). */
  | 'not-found'
  /** 400 and any other 4xx we do not retry: the request itself is wrong. */
  | 'bad-request'
  /** 429, 408, 5xx, timeouts and network errors, still failing after our retries. */
  | 'transient'
  /** A 2xx whose body is not JSON or not a shape we understand. */
  | 'malformed'
  /**
   * The caller's AbortSignal fired (shutdown). Not a Portable problem: callers should neither alert on it nor
   * count it as a failed check.
   */
  | 'aborted';

export interface PortableErrorDetails {
  kind: PortableErrorKind;
  /** URL path and query of the request, e.g. `/v2/flows/689422/run?limit=100`; never the host or token. */
  path: string;
  status?: number;
  /** A Node/got error code such as `ECONNREFUSED` or `ETIMEDOUT`. */
  code?: string;
  /** How long Portable asked us to wait (Retry-After), when it did. */
  retryAfterMs?: number;
}

const RETRYABLE_KINDS: ReadonlySet<PortableErrorKind> = new Set(['transient']);

export class PortableApiError extends Error {
  override readonly name = 'PortableApiError';
  readonly kind: PortableErrorKind;
  readonly path: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: PortableErrorDetails) {
    super(message);
    this.kind = details.kind;
    this.path = details.path;
    this.status = details.status;
    this.code = details.code;
    this.retryAfterMs = details.retryAfterMs;
    this.retryable = RETRYABLE_KINDS.has(details.kind);
  }
}

/** Statuses worth asking again: rate limiting, a request timeout, and any server-side failure. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** The flow id in a `/v2/flows/{id}...` path, for messages; undefined for other paths. */
function flowIdOf(path: string): string | undefined {
  return /\/v2\/flows\/([^/?]+)/.exec(path)?.[1];
}

function withoutQuery(path: string): string {
  const at = path.indexOf('?');
  return at === -1 ? path : path.slice(0, at);
}

/**
 * Builds the error for a non-2xx answer that we will not (or no longer) retry.
 * `attempts` is how many requests were made, for transient failures after retries; `retryAfterMs` is
 * kept on a transient error so the job queue can hold off for as long as Portable asked.
 */
export function httpStatusError(status: number, path: string, attempts = 1, retryAfterMs?: number): PortableApiError {
  const request = `GET ${withoutQuery(path)}`;
  const flowId = flowIdOf(path);
  if (status === 401) {
    return new PortableApiError(
      `Portable rejected the API token (401) for ${request}: check PORTABLE_API_TOKEN — tokens are made and revoked in the Portable app`,
      { kind: 'unauthorized', status, path },
    );
  }
  if (status === 403) {
    return new PortableApiError(
      `Portable refused ${request} (403): API access needs a paid Portable plan, or this token lacks permission for the flow`,
      { kind: 'forbidden', status, path },
    );
  }
  if (status === 404) {
    const what = flowId === undefined ? `${request} not found (404)` : `flow ${flowId} not found (404) for ${request}`;
    return new PortableApiError(
      `${what}: check flows[].id in the config against the flow's id in the Portable app`,
      { kind: 'not-found', status, path },
    );
  }
  if (isRetryableStatus(status)) {
    return new PortableApiError(
      `Portable answered ${status} for ${request} after ${attempts} attempt(s)`,
      { kind: 'transient', status, path, retryAfterMs },
    );
  }
  // 5xx were all caught as retryable above.
  if (status >= 400) {
    return new PortableApiError(
      `Portable rejected ${request} as a bad request (${status}): check the flow id (${flowId ?? 'none'}) is a number`,
      { kind: 'bad-request', status, path },
    );
  }
  return new PortableApiError(`Portable answered an unexpected status ${status} for ${request}`, {
    kind: 'malformed',
    status,
    path,
  });
}

/** A timeout or connection failure that outlived our retries. `reason` is a short, token-free description. */
export function networkError(path: string, code: string | undefined, reason: string, attempts: number): PortableApiError {
  return new PortableApiError(
    `Could not reach Portable for GET ${withoutQuery(path)} after ${attempts} attempt(s): ${reason}`,
    { kind: 'transient', path, code },
  );
}

export function retryAfterTooLongError(path: string, status: number, retryAfterMs: number, maxRetryAfterMs: number): PortableApiError {
  const seconds = Math.ceil(retryAfterMs / 1000);
  return new PortableApiError(
    `Portable asked us to wait ${seconds}s (Retry-After on ${status}) before GET ${withoutQuery(path)}, longer than the ${Math.round(maxRetryAfterMs / 1000)}s this client waits`,
    { kind: 'transient', status, path, retryAfterMs },
  );
}

export function malformedError(path: string, expected: string, snippet: string): PortableApiError {
  return new PortableApiError(
    `Portable's answer to GET ${withoutQuery(path)} was not understood: expected ${expected}; got ${snippet}`,
    { kind: 'malformed', path },
  );
}

export function abortedError(path: string): PortableApiError {
  return new PortableApiError(`GET ${withoutQuery(path)} was aborted (shutting down)`, { kind: 'aborted', path, code: 'ABORT_ERR' });
}
