import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { createWebhookNotifier, type WebhookNotifierOptions } from '../../src/notifiers/webhook/webhook-notifier.ts';
import { failedAlert, recoveredAlert } from './alert-fixtures.ts';
import { expectClassified } from './expect-classified.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { answer, neverAnswer, unusedPort } from './slack-receiver.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const SECRET_BYTES = 'q1VYc2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==';
const SECRET = `whsec_${SECRET_BYTES}`;
const OTHER_SECRET = 'whsec_b3RoZXItc2lnbmluZy1rZXktbm90LW91cnMhIQ==';
const URL_TOKEN = 'urlTokenA1b2C3d4E5';
const PATH = `/hooks/portable/${URL_TOKEN}`;
const BEARER = 'bearerTokenZ9y8X7w6';
const SECRETS = [SECRET_BYTES, URL_TOKEN, BEARER];
const WHO = 'the webhook endpoint of notifier "oncall"';

let receiver: WebhookReceiver;
beforeEach(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
});
afterEach(async () => {
  await receiver.close();
});

function webhookNotifier(options: Partial<WebhookNotifierOptions> = {}): Notifier {
  return createWebhookNotifier({
    name: 'oncall',
    url: receiver.url(PATH),
    secret: SECRET,
    headers: { Authorization: `Bearer ${BEARER}`, 'X-Team': 'data' },
    ...options,
  });
}

async function sendError(notifier: Notifier, signal?: AbortSignal): Promise<NotifierError> {
  const error: unknown = await notifier.send(failedAlert(), signal ? { signal } : {}).then(
    () => new Error('the send succeeded'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifierError);
  expectSecretFree(error as NotifierError, SECRETS);
  return error as NotifierError;
}

describe('webhook notifier against a receiver that verifies Standard Webhooks signatures', () => {
  it('posts a signed JSON body the receiver verifies, with the configured headers', async () => {
    const before = Math.floor(Date.now() / 1000);
    await webhookNotifier().send(failedAlert());
    const [request] = receiver.received;
    expect(request).toMatchObject({ path: PATH, status: 204, schemaErrors: [] });
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}`, 'x-team': 'data' });
    expect(request?.webhookId).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
    expect(Number(request?.timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(request?.timestamp)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(request?.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(request?.body).toMatchObject({ version: 1, id: '689422:632458:failed', kind: 'failed' });
  });

  it('is refused with 401 when signed with another secret, a permanent error naming what to check', async () => {
    const error = await sendError(webhookNotifier({ secret: OTHER_SECRET }));
    expect(receiver.received[0]?.status).toBe(401);
    expectClassified(error, {
      message: `${WHO} refused the message (401): check the URL, the headers and the secret`,
      retryable: false,
      status: 401,
    });
  });

  it('sends the same webhook-id and the same bytes when an alert is retried, with a fresh timestamp and signature', async () => {
    let clock = Date.now();
    const notifier = webhookNotifier({ now: () => clock });
    receiver.respondWith(answer(500, 'try later'));
    expect((await sendError(notifier)).retryable).toBe(true);
    clock += 3_000;
    receiver.respondWith(answer(200, ''));
    await notifier.send(failedAlert());

    const [first, second] = receiver.received;
    expect([first?.status, second?.status]).toEqual([500, 200]);
    expect(second?.webhookId).toBe(first?.webhookId);
    expect(second?.rawBody).toBe(first?.rawBody);
    expect(Number(second?.timestamp)).toBe(Number(first?.timestamp) + 3);
    expect(second?.signature).not.toBe(first?.signature);
  });

  it('gives each alert, and each notifier, its own webhook-id', async () => {
    await webhookNotifier().send(failedAlert());
    await webhookNotifier().send(recoveredAlert());
    await webhookNotifier({ name: 'audit' }).send(failedAlert());
    const ids = receiver.received.map((request) => request.webhookId);
    expect(new Set(ids).size).toBe(3);
  });

  it('sends id and timestamp but no signature when no secret is configured', async () => {
    const unsigned = await startWebhookReceiver();
    try {
      const clock = Date.UTC(2026, 10, 29, 9, 0, 0, 900);
      await webhookNotifier({ url: unsigned.url(PATH), secret: undefined, now: () => clock }).send(failedAlert());
      const [request] = unsigned.received;
      expect(request).toMatchObject({ status: 204, schemaErrors: [], timestamp: String(Math.floor(clock / 1000)), signature: undefined });
      expect(request?.webhookId).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
      expect(request?.headers).not.toHaveProperty('webhook-signature');
    } finally {
      await unsigned.close();
    }
  });

  it.each<[string, number, Record<string, string>, { retryable: boolean; retryAfterMs?: number; message: string }]>([
    ['408', 408, {}, { retryable: true, message: `${WHO} answered with a server error (408)` }],
    ['429 with Retry-After', 429, { 'retry-after': '30' }, { retryable: true, retryAfterMs: 30_000, message: `${WHO} is rate limited (429); it asked us to wait 30s` }],
    ['503 with Retry-After', 503, { 'retry-after': '5' }, { retryable: true, retryAfterMs: 5_000, message: `${WHO} answered with a server error (503)` }],
    ['500', 500, {}, { retryable: true, message: `${WHO} answered with a server error (500)` }],
    ['400', 400, {}, { retryable: false, message: `${WHO} refused the message (400): check the URL, the headers and the secret` }],
    ['404', 404, {}, { retryable: false, message: `${WHO} refused the message (404): check the URL, the headers and the secret` }],
    ['a redirect', 302, { location: `https://example.com/${URL_TOKEN}` }, { retryable: false, message: `${WHO} answered with a redirect (302): check that the URL is the endpoint itself` }],
  ])('classifies an answer of %s', async (_name, status, headers, expected) => {
    // The answer echoes the request's secrets, as some endpoints do: none of it may reach the error.
    receiver.respondWith(answer(status, `${URL_TOKEN} Bearer ${BEARER}`, headers));
    const error = await sendError(webhookNotifier());
    expect({ message: error.message, retryable: error.retryable, status: error.status }).toEqual({ message: expected.message, retryable: expected.retryable, status });
    expect(error.retryAfterMs).toBe(expected.retryAfterMs);
  });

  it('treats a refused connection as retryable', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}${PATH}`;
    const error = await sendError(webhookNotifier({ url }));
    expectClassified(error, { message: `could not reach ${WHO} (ECONNREFUSED)`, retryable: true, code: 'ECONNREFUSED' });
  });

  it('gives up on an endpoint that does not answer within the timeout, retryably', async () => {
    receiver.respondWith(neverAnswer);
    const started = Date.now();
    const error = await sendError(webhookNotifier({ timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expectClassified(error, { message: `sending to ${WHO} did not finish within 0.3s`, retryable: true, code: 'timeout' });
  });

  it('stops when the caller aborts (shutdown), retryably', async () => {
    receiver.respondWith(neverAnswer);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await sendError(webhookNotifier(), controller.signal);
    expect({ retryable: error.retryable, code: error.code }).toEqual({ retryable: true, code: 'cancelled' });
  });
});

describe('webhook notifier settings that cannot work', () => {
  it.each<[string, Partial<WebhookNotifierOptions>, string]>([
    ['a URL that is not http(s)', { url: `ftp://example.com/${URL_TOKEN}` }, 'the URL of webhook notifier "oncall" is not an http(s) URL'],
    ['a URL that is not a URL', { url: `example.com/${URL_TOKEN}` }, 'the URL of webhook notifier "oncall" is not an http(s) URL'],
    ['a secret that is not base64', { secret: `whsec_${URL_TOKEN}!!` }, 'the secret of webhook notifier "oncall" is not a Standard Webhooks secret'],
    ['a header portable-watch sets', { headers: { 'Webhook-Signature': BEARER } }, 'the header "Webhook-Signature" of webhook notifier "oncall" is set by portable-watch itself'],
    ['a header value with a line break', { headers: { 'X-Token': `${BEARER}\r\nX-Evil: 1` } }, 'the header "X-Token" of webhook notifier "oncall" has a value HTTP cannot carry'],
    ['a header name with a space', { headers: { 'X Token': BEARER } }, 'the header "X Token" of webhook notifier "oncall" is not a valid HTTP header name'],
  ])('refuses %s at start-up, permanently and without quoting it', (_name, options, message) => {
    let thrown: unknown;
    try {
      webhookNotifier(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NotifierError);
    const error = thrown as NotifierError;
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.retryable).toBe(false);
    expectSecretFree(error, SECRETS);
  });

  it('closes without error, twice', async () => {
    const notifier = webhookNotifier();
    await notifier.close();
    await notifier.close();
    expect(notifier.type).toBe('webhook');
  });
});
