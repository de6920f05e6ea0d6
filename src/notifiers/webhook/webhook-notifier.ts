import type { Alert } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { postJson, statusError } from '../http/post-json.ts';
import { NotifierError, type Notifier, type SendOptions } from '../notifier.ts';
import { renderWebhookBody } from './render-webhook-body.ts';
import { renderWebhookDigest } from './render-webhook-digest.ts';
import { alertMessageId, createSigner, digestMessageId, webhookHeaders } from './webhook-headers.ts';

export interface WebhookNotifierOptions {
  name: string;
  /** The endpoint the body is POSTed to. Secret: such URLs often carry a token. Never put into a message. */
  url: string;
  /** Standard Webhooks signing secret (`whsec_` and base64). Without it the body is sent unsigned. */
  secret?: string;
  /** Added to every request, e.g. Authorization. The values are secrets; the names are not. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** The longest one send may take, connection to last byte of the answer (config key `timeout`). */
  timeoutMs?: number;
  /** The clock, for webhook-timestamp and a Retry-After given as a date. */
  now?: () => number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** Headers the notifier writes itself: one from the config would break the body's type or its signature. */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'host', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);

const REFUSED_ADVICE = 'check the URL, the headers and the secret';

/**
 * POSTs version 1 of the webhook body (schemas/webhook-v1.json) to any HTTP endpoint, signed per Standard Webhooks.
 * One alert is one POST, a storm's digest is one POST; each keeps its webhook-id and its body across retries.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const { name, url } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  assertHttpUrl(name, url);
  const headers = checkedHeaders(name, options.headers ?? {});
  const signer = options.secret === undefined ? undefined : createSigner(name, options.secret);
  const who = `the webhook endpoint of notifier "${name}"`;

  async function post(id: string, body: string, sendOptions: SendOptions): Promise<void> {
    const answer = await postJson({
      url,
      body,
      // Signed at each try: the timestamp is the send's own, so a retry an hour later is not refused as stale.
      headers: { ...headers, ...webhookHeaders(id, body, now(), signer) },
      timeoutMs,
      ...(sendOptions.signal === undefined ? {} : { signal: sendOptions.signal }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      now,
      who,
    });
    // The answer's text is not quoted: an arbitrary endpoint may echo the request, and with it a header's secret.
    const error = statusError(answer, who, REFUSED_ADVICE);
    if (error !== undefined) throw error;
  }

  return {
    name,
    type: 'webhook',
    async send(alert: Alert, sendOptions: SendOptions = {}): Promise<void> {
      await post(alertMessageId(name, alert.key), JSON.stringify(renderWebhookBody(alert)), sendOptions);
    },
    async sendDigest(digest: Digest, sendOptions: SendOptions = {}): Promise<void> {
      const id = digestMessageId(name, digest.alerts.map((alert) => alert.key));
      await post(id, JSON.stringify(renderWebhookDigest(digest, id)), sendOptions);
    },
    close(): Promise<void> {
      // fetch keeps no connection of ours open.
      return Promise.resolve();
    },
  };
}

/** Fails at start-up rather than at the first alert. The URL is not echoed: a malformed one may still hold a token. */
function assertHttpUrl(name: string, url: string): void {
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // left empty: reported below
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new NotifierError(`the URL of webhook notifier "${name}" is not an http(s) URL`, { retryable: false, code: 'invalid_url' });
  }
}

/**
 * The config's schema refuses these already; checked again because a header fetch cannot send would otherwise fail
 * every send as "could not reach", retried forever. Names are quoted, values never.
 */
function checkedHeaders(name: string, headers: Record<string, string>): Record<string, string> {
  for (const [header, value] of Object.entries(headers)) {
    const reason = OWN_HEADERS.has(header.toLowerCase()) ? 'is set by portable-watch itself' : unsendable(header, value);
    if (reason !== undefined) {
      throw new NotifierError(`the header "${header}" of webhook notifier "${name}" ${reason}`, { retryable: false, code: 'invalid_header' });
    }
  }
  return { ...headers };
}

function unsendable(header: string, value: string): string | undefined {
  try {
    new Headers([[header, value]]);
    return undefined;
  } catch {
    return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header) ? 'has a value HTTP cannot carry (a line break?)' : 'is not a valid HTTP header name';
  }
}
