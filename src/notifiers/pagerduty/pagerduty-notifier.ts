import type { Alert } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { postJson } from '../http/post-json.ts';
import { NotifierError, type Notifier, type SendOptions } from '../notifier.ts';
import { classifyPagerDutyAnswer } from './classify-pagerduty-answer.ts';
import { rememberedEvents } from './remembered-events.ts';
import { renderPagerDutyEvents, type PagerDutyEvent } from './render-pagerduty-event.ts';

export interface PagerDutyNotifierOptions {
  name: string;
  /** The integration key of an Events API v2 integration. Secret: never logged, never put into an error message. */
  routingKey: string;
  /** Default PAGERDUTY_EVENTS_URL; the EU service region uses https://events.eu.pagerduty.com/v2/enqueue. */
  url?: string;
  fetch?: typeof fetch;
  /** The longest one event's post may take, connection to last byte of the answer. */
  timeoutMs?: number;
  /** The clock: for a Retry-After given as a date, and for a digest's time budget. */
  now?: () => number;
  /** How long a digest's events are posted one after another before the rest wait for its retry. */
  digestBudgetMs?: number;
}

/** Kept here rather than read from the config's schema: notifiers do not import config. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const DEFAULT_PAGERDUTY_TIMEOUT_MS = 10_000;
/**
 * A digest holds its lock for 60 s; posting past that would let another replica send the same digest alongside, and a
 * trigger it re-sends after this one's resolve would reopen the incident. So a digest stops well before.
 */
export const DEFAULT_DIGEST_BUDGET_MS = 40_000;
/** Events PagerDuty accepted that a retried digest skips: far more than a digest holds, a few hundred KB at most. */
export const REMEMBERED_EVENTS = 10_000;

/**
 * Posts alerts to PagerDuty's Events API v2: a problem triggers an incident, its recovery resolves it, a reminder sends
 * nothing (PagerDuty pages again by itself). A digest is not one message here: each member becomes its own events,
 * posted in the digest's order, because an incident per flow is what PagerDuty is for.
 */
export function createPagerDutyNotifier(options: PagerDutyNotifierOptions): Notifier {
  const { name, routingKey } = options;
  const url = options.url ?? PAGERDUTY_EVENTS_URL;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PAGERDUTY_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const digestBudgetMs = options.digestBudgetMs ?? DEFAULT_DIGEST_BUDGET_MS;
  const who = `the PagerDuty Events API for notifier "${name}"`;
  assertSettings(name, routingKey, url);
  const accepted = rememberedEvents(REMEMBERED_EVENTS);

  async function post(event: PagerDutyEvent, signal: AbortSignal | undefined): Promise<void> {
    const answer = await postJson({
      url,
      body: JSON.stringify(event),
      timeoutMs,
      who,
      now,
      ...(signal === undefined ? {} : { signal }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    const error = classifyPagerDutyAnswer(answer, { who, secrets: [routingKey, url] });
    if (error) throw error;
  }

  /**
   * The alert's events, skipping those PagerDuty already accepted: a test alert whose resolve failed, retried, does not
   * trigger again; a digest retried after a 429 part way resumes where it stopped instead of spending PagerDuty's
   * rate limit on the same first events every time and never reaching the last.
   */
  async function sendAlert(alert: Alert, signal: AbortSignal | undefined): Promise<void> {
    for (const event of renderPagerDutyEvents(alert, routingKey)) {
      const id = `${alert.key}\n${event.event_action}`;
      if (accepted.has(id)) continue;
      await post(event, signal);
      accepted.add(id);
    }
  }

  return {
    name,
    type: 'pagerduty',
    async send(alert: Alert, sendOptions: SendOptions = {}): Promise<void> {
      await sendAlert(alert, sendOptions.signal);
    },
    async sendDigest(digest: Digest, sendOptions: SendOptions = {}): Promise<void> {
      const started = now();
      const total = digest.alerts.length;
      for (const [index, alert] of digest.alerts.entries()) {
        if (index > 0 && now() - started > digestBudgetMs) {
          const message = `${who} took longer than ${digestBudgetMs / 1000}s for a digest; ${index} of ${total} alerts sent, the rest wait for the next try`;
          throw new NotifierError(message, { retryable: true, code: 'digest-budget' });
        }
        try {
          await sendAlert(alert, sendOptions.signal);
        } catch (error) {
          throw error instanceof NotifierError ? withDigestProgress(error, index, total) : error;
        }
      }
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}

/** The member's own classification, saying how far the digest got: a retry resumes there. */
function withDigestProgress(error: NotifierError, index: number, total: number): NotifierError {
  return new NotifierError(`${error.message} (alert ${index + 1} of ${total} of a digest; those before it were sent)`, {
    retryable: error.retryable,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.code === undefined ? {} : { code: error.code }),
  });
}

/** Fails at start-up rather than at the first alert; neither value is echoed (a malformed URL may hold the key). */
function assertSettings(name: string, routingKey: string, url: string): void {
  if (routingKey.trim() === '') {
    throw new NotifierError(`the routingKey of PagerDuty notifier "${name}" is empty: paste the integration key of an Events API v2 integration`, {
      retryable: false,
      code: 'invalid_routing_key',
    });
  }
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // not a URL: reported below
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new NotifierError(`the url of PagerDuty notifier "${name}" is not an http(s) URL (e.g. ${PAGERDUTY_EVENTS_URL})`, {
      retryable: false,
      code: 'invalid_url',
    });
  }
}
