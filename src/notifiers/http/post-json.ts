import { interruptedSendError, NotifierError, sendDeadline } from '../notifier.ts';

/*
 * One HTTP POST of a JSON body, for every notifier that speaks plain HTTP (PagerDuty, Teams, the generic webhook):
 * the deadline covers connecting, sending and reading the answer; failures before an answer are classified here,
 * once; what an answer means is for each notifier to say (statusError below covers the common rules).
 */

export interface JsonPost {
  /** A secret in most cases (it carries the webhook's token): never put into a message. */
  url: string;
  /** The JSON text, already serialised: a signature covers these exact bytes. */
  body: string;
  headers?: Readonly<Record<string, string>>;
  timeoutMs: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** The clock, for a Retry-After given as a date. */
  now?: () => number;
  /** Who is being sent to, for messages: `the PagerDuty Events API for notifier "oncall"`. */
  who: string;
}

export interface JsonAnswer {
  status: number;
  /** The answer's body, cut at MAX_ANSWER_CHARS: receivers' error pages can be large. */
  text: string;
  /** From a Retry-After header, in ms from now. */
  retryAfterMs?: number;
}

export const MAX_ANSWER_CHARS = 4_096;

/**
 * Posts and reads the answer. Throws a retryable NotifierError when no answer came (network, timeout, shutdown) and
 * a permanent one for a redirect (a webhook URL that redirects is not the webhook); returns any other answer.
 */
export async function postJson(post: JsonPost): Promise<JsonAnswer> {
  const fetchImpl = post.fetch ?? globalThis.fetch;
  const now = post.now ?? Date.now;
  const deadline = sendDeadline(post.timeoutMs, post.signal);
  try {
    const response = await fetchImpl(post.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...post.headers },
      body: post.body,
      redirect: 'manual',
      signal: deadline.signal,
    });
    const text = (await response.text()).slice(0, MAX_ANSWER_CHARS);
    if (response.status >= 300 && response.status < 400) {
      throw new NotifierError(`${post.who} answered with a redirect (${response.status}): check that the URL is the endpoint itself`, {
        retryable: false,
        status: response.status,
        code: 'redirect',
      });
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
    return { status: response.status, text, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  } catch (error) {
    if (error instanceof NotifierError) throw error;
    throw interruptedSendError(deadline, `sending to ${post.who}`, post.timeoutMs) ?? unreachable(error, post.who);
  }
}

/**
 * The common meaning of an answer: 2xx is delivered (undefined); 408, 429 and 5xx are worth another try later,
 * honouring Retry-After; any other status is permanent, and `advice` says what a person should do about it.
 */
export function statusError(answer: JsonAnswer, who: string, advice: string, detail?: string): NotifierError | undefined {
  const { status, retryAfterMs } = answer;
  if (status >= 200 && status < 300) return undefined;
  const said = detail === undefined || detail === '' ? '' : `: ${detail}`;
  if (status === 429) {
    const wait = retryAfterMs === undefined ? '' : `; it asked us to wait ${Math.ceil(retryAfterMs / 1000)}s`;
    return new NotifierError(`${who} is rate limited (429)${wait}`, { retryable: true, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status === 408 || status >= 500) {
    return new NotifierError(`${who} answered with a server error (${status})${said}`, {
      retryable: true,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  return new NotifierError(`${who} refused the message (${status})${said}: ${advice}`, { retryable: false, status });
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * fetch's own errors are not repeated: undici's can name the host, and a TypeError for a malformed URL quotes it.
 * Only a socket code (ECONNREFUSED) is kept.
 */
function unreachable(error: unknown, who: string): NotifierError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = socketErrorCode(cause) ?? socketErrorCode(error);
  const name = error instanceof Error && /^[A-Za-z]{1,40}$/.test(error.name) ? error.name : 'unknown error';
  return new NotifierError(`could not reach ${who} (${code ?? name})`, { retryable: true, ...(code === undefined ? {} : { code }) });
}

function socketErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : undefined;
}
