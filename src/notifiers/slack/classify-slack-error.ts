import { IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import { NotifierError } from '../notifier.ts';

export interface SlackErrorContext {
  /** The notifier's configured name, so the operator knows which webhook to fix. */
  notifierName: string;
  /** From the Retry-After header of the failed response, recorded by our fetch wrapper. */
  retryAfterMs?: number;
}

const BUG = 'this is a portable-watch bug, please report it';
const NEW_WEBHOOK = 'create a new incoming webhook and update the webhook URL of this notifier';

/** Slack's documented webhook errors: what went wrong and what the operator can do about it. */
const KNOWN_REJECTIONS: Record<string, { problem: string; action: string }> = {
  no_service: { problem: 'was revoked or deleted', action: NEW_WEBHOOK },
  invalid_token: { problem: 'has an invalid token', action: NEW_WEBHOOK },
  channel_not_found: { problem: 'posts to a channel that no longer exists', action: NEW_WEBHOOK },
  channel_is_archived: {
    problem: 'posts to an archived channel',
    action: 'unarchive the channel, or create a webhook for another channel and update this notifier',
  },
  action_prohibited: {
    problem: 'was blocked by a Slack admin',
    action: 'ask a workspace admin to allow it, or use another webhook',
  },
  posting_to_general_channel_denied: {
    problem: 'may not post to #general',
    action: 'create a webhook for another channel and update this notifier',
  },
  invalid_payload: { problem: 'rejected the message as malformed', action: BUG },
  invalid_blocks: { problem: 'rejected the message layout', action: BUG },
  no_text: { problem: 'rejected a message without text', action: BUG },
};

/**
 * Turns whatever IncomingWebhook threw into a NotifierError. The library's own errors are read field by field
 * (status, Slack's one-word error body, the socket error code) and never copied as a whole: the request error
 * wraps fetch's, whose message can contain the webhook URL, and the URL is the webhook's only secret.
 */
export function classifySlackError(error: unknown, context: SlackErrorContext): NotifierError {
  const who = `Slack webhook for notifier "${context.notifierName}"`;
  if (error instanceof IncomingWebhookHTTPError) return classifyHttpError(error, who, context);
  if (error instanceof IncomingWebhookRequestError) return classifyRequestError(error.original, who);
  return new NotifierError(`sending to the ${who} failed unexpectedly (${errorName(error)})`, {
    retryable: true,
  });
}

function classifyHttpError(error: IncomingWebhookHTTPError, who: string, context: SlackErrorContext): NotifierError {
  const status = error.statusCode;
  const code = slackErrorCode(error.body);
  const { retryAfterMs } = context;
  const answered = `${status}${code === undefined ? '' : ` ${code}`}`;

  if (status === 429) {
    const wait = retryAfterMs === undefined ? '' : ` for ${Math.ceil(retryAfterMs / 1000)}s`;
    const message = `${who} is rate limited by Slack (429); it asked us to wait${wait}`;
    return new NotifierError(message, { status, code, retryAfterMs, retryable: true });
  }
  if (status >= 500 || status === 408) {
    const message = `${who} got a server error from Slack (${answered})`;
    return new NotifierError(message, { status, code, retryAfterMs, retryable: true });
  }
  const known = code !== undefined && Object.hasOwn(KNOWN_REJECTIONS, code) ? KNOWN_REJECTIONS[code] : undefined;
  const { problem, action } = known ?? {
    problem: 'was rejected by Slack',
    action: 'check that the webhook URL is a current incoming webhook',
  };
  return new NotifierError(`${who} ${problem} (${answered}): ${action}`, { status, code, retryable: false });
}

function classifyRequestError(original: Error, who: string): NotifierError {
  const cause = original.cause instanceof Error ? original.cause : undefined;
  // fetch with redirect: 'error' (as IncomingWebhook sends it): the URL does not point at a webhook
  if (cause?.message === 'unexpected redirect') {
    const action = 'check that the webhook URL is an incoming webhook URL (https://hooks.slack.com/services/…)';
    return new NotifierError(`${who} answered with a redirect: ${action}`, {
      retryable: false,
      code: 'redirect',
    });
  }
  const code = socketErrorCode(cause) ?? socketErrorCode(original);
  return new NotifierError(`could not reach the ${who} (${code ?? errorName(original)})`, {
    retryable: true,
    code,
  });
}

/** Slack answers errors with one lowercase word; anything else (a proxy's HTML page) is not repeated. */
function slackErrorCode(body: string): string | undefined {
  const trimmed = body.trim();
  return /^[a-z_]{1,64}$/.test(trimmed) ? trimmed : undefined;
}

/** Socket errors carry a code such as ECONNREFUSED; the message next to it can name the host and port. */
function socketErrorCode(error: Error | undefined): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error && /^[A-Za-z]{1,40}$/.test(error.name) ? error.name : 'unknown error';
}
