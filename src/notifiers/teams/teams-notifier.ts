import type { Alert } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { postJson } from '../http/post-json.ts';
import { NotifierError, type Notifier, type SendOptions } from '../notifier.ts';
import { renderTeamsCard } from './render-teams-card.ts';
import { renderTeamsDigest } from './render-teams-digest.ts';
import { teamsAnswerError } from './teams-answer-error.ts';
import type { TeamsMessage } from './teams-message.ts';

export interface TeamsNotifierOptions {
  name: string;
  /**
   * The HTTP POST URL of a Teams Workflows flow "Post to a channel when a webhook request is received". Secret: its
   * `sig` parameter is all it takes to post; it is never logged and never put into an error message.
   */
  webhookUrl: string;
  fetch?: typeof fetch;
  /** The longest one send may take, connection to last byte of the answer. */
  timeoutMs?: number;
  /** Reads the clock for a Retry-After given as a date. */
  now?: () => number;
}

export const DEFAULT_TEAMS_TIMEOUT_MS = 10_000;

/**
 * Posts alerts, and storms' digests, as Adaptive Cards to a Microsoft Teams channel through a Workflows webhook. One
 * POST per send, never retried here: the notification job retries what `retryable` says it may.
 */
export function createTeamsNotifier(options: TeamsNotifierOptions): Notifier {
  const { name, webhookUrl } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEAMS_TIMEOUT_MS;
  const who = `the Teams workflow of notifier "${name}"`;
  assertWebhookUrl(name, webhookUrl);

  async function post(message: TeamsMessage, sendOptions: SendOptions): Promise<void> {
    const answer = await postJson({
      url: webhookUrl,
      body: JSON.stringify(message),
      timeoutMs,
      who,
      ...(sendOptions.signal === undefined ? {} : { signal: sendOptions.signal }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    const error = teamsAnswerError(answer, who);
    if (error !== undefined) throw error;
  }

  return {
    name,
    type: 'teams',
    async send(alert: Alert, sendOptions: SendOptions = {}): Promise<void> {
      await post(renderTeamsCard(alert), sendOptions);
    },
    async sendDigest(digest: Digest, sendOptions: SendOptions = {}): Promise<void> {
      await post(renderTeamsDigest(digest), sendOptions);
    },
    // one fetch per send: no connection or pool of ours to release
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}

/**
 * Fails at start-up rather than at the first alert. The URL is not echoed: a malformed one still likely holds the
 * signature.
 */
function assertWebhookUrl(name: string, webhookUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(webhookUrl).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    const action = `copy the "HTTP POST URL" of the channel's "Post to a channel when a webhook request is received" workflow again`;
    throw new NotifierError(`the webhook URL of Teams notifier "${name}" is not an http(s) URL: ${action}`, {
      retryable: false,
      code: 'invalid_url',
    });
  }
}
