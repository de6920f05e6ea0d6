import { oneLine } from '../format-text.ts';
import { statusError, type JsonAnswer } from '../http/post-json.ts';
import type { NotifierError } from '../notifier.ts';
import { cutText } from './pagerduty-details.ts';

export interface PagerDutyAnswerContext {
  /** `the PagerDuty Events API for notifier "oncall"`. */
  who: string;
  /** Never repeated from an answer, even one that quotes them: the routing key and the URL. */
  secrets: readonly string[];
}

/** PagerDuty's reasons for a 400 are short; a long list is cut rather than flooding the log and `alerts`. */
export const MAX_DETAIL_CHARS = 500;

const CHECK_KEY_AND_URL =
  "check routingKey (the integration key of the service's Events API v2 integration) and url " +
  '(https://events.pagerduty.com/v2/enqueue, or https://events.eu.pagerduty.com/v2/enqueue for the EU region)';

const ADVICE: Record<number, string> = {
  400:
    'PagerDuty found the event invalid; check that routingKey is the 32-character integration key of an Events API v2 ' +
    'integration, and if it is, this is a portable-watch bug, please report it',
  401: CHECK_KEY_AND_URL,
  403: CHECK_KEY_AND_URL,
  404: CHECK_KEY_AND_URL,
  413: 'the event is larger than PagerDuty takes; this is a portable-watch bug, please report it',
};

/**
 * What PagerDuty's answer to one event means: 2xx (202 Accepted) is delivered (undefined); 429 and 5xx are worth
 * another try, after Retry-After when it says; any other status is permanent, with PagerDuty's own reasons (the
 * `errors` of its JSON body) and what to check.
 */
export function classifyPagerDutyAnswer(answer: JsonAnswer, context: PagerDutyAnswerContext): NotifierError | undefined {
  if (answer.status >= 200 && answer.status < 300) return undefined;
  const advice = ADVICE[answer.status] ?? CHECK_KEY_AND_URL;
  return statusError(answer, context.who, advice, pagerDutyReasons(answer.text, context.secrets));
}

/**
 * `Event object is invalid (Length of 'routing_key' is incorrect (should be 32 characters))` from
 * `{status, message, errors: [...]}`; undefined for any other body (a proxy's HTML page is not worth repeating).
 * The secrets are blanked out before cutting, so a cut cannot leave part of one behind.
 */
export function pagerDutyReasons(text: string, secrets: readonly string[]): string | undefined {
  const body = parseObject(text);
  if (body === undefined) return undefined;
  const message = typeof body.message === 'string' ? body.message : undefined;
  const errors = Array.isArray(body.errors) ? body.errors.filter((error): error is string => typeof error === 'string') : [];
  if (message === undefined && errors.length === 0) return undefined;
  const reasons = errors.length === 0 ? '' : errors.join('; ');
  const said = message === undefined ? reasons : reasons === '' ? message : `${message} (${reasons})`;
  // one line: the message is one log field and one line of `alerts`
  return cutText(oneLine(redact(said, secrets)).trim(), MAX_DETAIL_CHARS);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret !== '').reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}
