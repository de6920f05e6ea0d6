import { IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import { describe, expect, it } from 'vitest';
import { classifySlackError } from '../../src/notifiers/slack/classify-slack-error.ts';
import { parseRetryAfter } from '../../src/notifiers/http/post-json.ts';
import { expectClassified } from './expect-classified.ts';

const WHO = 'Slack webhook for notifier "oncall"';

/** What fetch throws for a failed connection: a TypeError whose cause is the socket error. */
function fetchFailure(cause: unknown): Error {
  return new TypeError('fetch failed', { cause });
}

function socketError(code: unknown): Error {
  return Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:443'), { code });
}

interface ClassifyCase {
  name: string;
  error: unknown;
  retryAfterMs?: number;
  message: string;
  retryable: boolean;
  status?: number;
  code?: string;
}

const httpCases: ClassifyCase[] = [
  {
    name: 'a rate limit with Retry-After, in whole seconds rounded up',
    error: new IncomingWebhookHTTPError(429, 'Too Many Requests', 'rate_limited'),
    retryAfterMs: 1500,
    message: `${WHO} is rate limited by Slack (429); it asked us to wait for 2s`,
    retryable: true,
    status: 429,
    code: 'rate_limited',
  },
  {
    name: 'a rate limit without Retry-After',
    error: new IncomingWebhookHTTPError(429, 'Too Many Requests', 'rate_limited'),
    message: `${WHO} is rate limited by Slack (429); it asked us to wait`,
    retryable: true,
    status: 429,
    code: 'rate_limited',
  },
  {
    name: 'a server error with a proxy page instead of a Slack error word',
    error: new IncomingWebhookHTTPError(502, 'Bad Gateway', '<html><body>Bad gateway</body></html>'),
    message: `${WHO} got a server error from Slack (502)`,
    retryable: true,
    status: 502,
  },
  {
    name: 'a request timeout (408)',
    error: new IncomingWebhookHTTPError(408, 'Request Timeout', 'request_timeout'),
    message: `${WHO} got a server error from Slack (408 request_timeout)`,
    retryable: true,
    status: 408,
    code: 'request_timeout',
  },
  {
    name: 'a Slack error word followed by a newline',
    error: new IncomingWebhookHTTPError(404, 'Not Found', 'no_service\n'),
    message: `${WHO} was revoked or deleted (404 no_service): create a new incoming webhook and update the webhook URL of this notifier`,
    retryable: false,
    status: 404,
    code: 'no_service',
  },
  {
    name: 'a rejection it does not know',
    error: new IncomingWebhookHTTPError(403, 'Forbidden', 'something_new'),
    message: `${WHO} was rejected by Slack (403 something_new): check that the webhook URL is a current incoming webhook`,
    retryable: false,
    status: 403,
    code: 'something_new',
  },
  ...['constructor', '__proto__'].map((body) => ({
    name: `an error word named like an object property (${body})`,
    error: new IncomingWebhookHTTPError(400, 'Bad Request', body),
    message: `${WHO} was rejected by Slack (400 ${body}): check that the webhook URL is a current incoming webhook`,
    retryable: false,
    status: 400,
    code: body,
  })),
  ...['Error: bad request', 'bad request from upstream proxy', 'no_service </html>'].map((body) => ({
    name: `a body that is not one error word (${body})`,
    error: new IncomingWebhookHTTPError(400, 'Bad Request', body),
    message: `${WHO} was rejected by Slack (400): check that the webhook URL is a current incoming webhook`,
    retryable: false,
    status: 400,
  })),
];

const requestCases: ClassifyCase[] = [
  {
    name: 'a redirect, which fetch refuses',
    error: new IncomingWebhookRequestError(fetchFailure(new Error('unexpected redirect'))),
    message: `${WHO} answered with a redirect: check that the webhook URL is an incoming webhook URL (https://hooks.slack.com/services/…)`,
    retryable: false,
    code: 'redirect',
  },
  {
    name: 'a refused connection',
    error: new IncomingWebhookRequestError(fetchFailure(socketError('ECONNREFUSED'))),
    message: `could not reach the ${WHO} (ECONNREFUSED)`,
    retryable: true,
    code: 'ECONNREFUSED',
  },
  {
    name: 'a socket error code on the error itself rather than on its cause',
    error: new IncomingWebhookRequestError(socketError('ECONNRESET')),
    message: `could not reach the ${WHO} (ECONNRESET)`,
    retryable: true,
    code: 'ECONNRESET',
  },
  {
    name: 'a failure without cause or code',
    error: new IncomingWebhookRequestError(new Error('socket hang up')),
    message: `could not reach the ${WHO} (Error)`,
    retryable: true,
  },
  ...[42, 'ECONNREFUSED 10.0.0.5:443', 'connect ECONNREFUSED', 'E'].map((code) => ({
    name: `a socket error whose code is not a plain code (${String(code)})`,
    error: new IncomingWebhookRequestError(fetchFailure(socketError(code))),
    message: `could not reach the ${WHO} (TypeError)`,
    retryable: true,
  })),
];

const unexpectedCases: ClassifyCase[] = [
  {
    name: 'an error the library does not wrap',
    error: new RangeError('Invalid array length'),
    message: `sending to the ${WHO} failed unexpectedly (RangeError)`,
    retryable: true,
  },
  ...[
    { name: 'something thrown that is not an Error', error: 'https://hooks.slack.com/services/T/B/secret' },
    { name: 'an Error whose name holds more than a word', error: Object.assign(new Error('x'), { name: 'Error at hooks secret' }) },
    { name: 'an Error whose name starts with a word', error: Object.assign(new Error('x'), { name: 'Error: https://hooks/x' }) },
    { name: 'an Error with an empty name', error: Object.assign(new Error('x'), { name: '' }) },
  ].map(({ name, error }) => ({
    name,
    error,
    message: `sending to the ${WHO} failed unexpectedly (unknown error)`,
    retryable: true,
  })),
];

describe('classifySlackError', () => {
  it.each([...httpCases, ...requestCases, ...unexpectedCases])(
    'classifies $name',
    ({ error, retryAfterMs, message, retryable, status, code }) => {
      const context = retryAfterMs === undefined ? { notifierName: 'oncall' } : { notifierName: 'oncall', retryAfterMs };
      expectClassified(classifySlackError(error, context), { message, retryable, status, code });
    },
  );
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 29, 8, 0, 0);
  it.each([
    ['7', 7000],
    [' 30 ', 30_000],
    ['0', 0],
    [new Date(now + 90_000).toUTCString(), 90_000],
    [new Date(now - 90_000).toUTCString(), 0],
    ['7s', undefined],
    ['x7', undefined],
    ['soon', undefined],
    [null, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
