import { IncomingWebhook, type FetchFunction } from '@slack/webhook';
import type { Alert } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { interruptedSendError, NotifierError, sendDeadline, type Notifier, type SendOptions } from '../notifier.ts';
import { parseRetryAfter } from '../http/post-json.ts';
import { classifySlackError } from './classify-slack-error.ts';
import { renderSlackDigest } from './render-slack-digest.ts';
import { renderSlackMessage, type SlackMessage, type SlackRenderOptions } from './render-slack-message.ts';

export interface SlackNotifierOptions {
  name: string;
  /** The incoming webhook URL. Secret: it is never logged and never put into an error message. */
  webhookUrl: string;
  /** Inserted unescaped before the message, e.g. `<!here>`. */
  mention?: string;
  fetch?: typeof fetch;
  /** The longest one send may take, connection to last byte of the answer. */
  timeoutMs?: number;
  /** Reads the clock for a Retry-After given as a date. */
  now?: () => number;
}

export const DEFAULT_SLACK_TIMEOUT_MS = 10_000;

/**
 * Posts alerts, and storms' digests, to a Slack incoming webhook. IncomingWebhook does the posting and reports
 * Slack's answer; our fetch wrapper adds what it lacks: the caller's abort signal, a deadline that also covers
 * reading the answer, and the Retry-After header, which the library's errors do not carry.
 */
export function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  const { name, webhookUrl, mention } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SLACK_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  assertWebhookUrl(name, webhookUrl);

  const renderOptions: SlackRenderOptions = mention === undefined ? {} : { mention };

  /** One alert or one digest: the same deadline, Retry-After and error classification for both. */
  async function post(message: SlackMessage, sendOptions: SendOptions): Promise<void> {
    const deadline = sendDeadline(timeoutMs, sendOptions.signal);
    let retryAfter: string | null = null;
    // A webhook per send, so the signal and the recorded header belong to this send alone.
    const slackFetch: FetchFunction = async (url, init) => {
      const response = await fetchImpl(url, { ...init, signal: deadline.signal });
      retryAfter = response.headers.get('retry-after');
      return response;
    };
    const webhook = new IncomingWebhook(webhookUrl, { fetch: slackFetch });
    try {
      await webhook.send(message);
    } catch (error) {
      throw (
        interruptedSendError(deadline, `sending to the Slack webhook for notifier "${name}"`, timeoutMs) ??
        classifySlackError(error, { notifierName: name, retryAfterMs: parseRetryAfter(retryAfter, now()) })
      );
    }
  }

  return {
    name,
    type: 'slack',
    async send(alert: Alert, sendOptions: SendOptions = {}): Promise<void> {
      await post(renderSlackMessage(alert, renderOptions), sendOptions);
    },
    async sendDigest(digest: Digest, sendOptions: SendOptions = {}): Promise<void> {
      await post(renderSlackDigest(digest, renderOptions), sendOptions);
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}

/**
 * Fails at start-up rather than at the first alert. The URL is not echoed: a malformed one is still likely
 * to contain the token.
 */
function assertWebhookUrl(name: string, webhookUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(webhookUrl).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    const action = "copy it again from Slack's incoming webhook settings";
    throw new NotifierError(`the webhook URL of Slack notifier "${name}" is not an http(s) URL: ${action}`, {
      retryable: false,
      code: 'invalid_url',
    });
  }
}
