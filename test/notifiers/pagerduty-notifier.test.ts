import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { createPagerDutyNotifier, PAGERDUTY_EVENTS_URL, type PagerDutyNotifierOptions } from '../../src/notifiers/pagerduty/pagerduty-notifier.ts';
import {
  accountErrorAlert,
  accountRecoveredAlert,
  attempt,
  failedAlert,
  HOUR,
  learnedStalledAlert,
  lostTrackAlert,
  missedAlert,
  monitorErrorAlert,
  monitorRecoveredAlert,
  partialAlert,
  recoveredAlert,
  STARTED_AT,
  stalledAlert,
  stateLostAlert,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { invalidEventBody, startPagerDutyReceiver, type PagerDutyReceiver } from './pagerduty-receiver.ts';
import { unusedPort } from './slack-receiver.ts';

const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY32';
const WHO = 'the PagerDuty Events API for notifier "oncall"';

let receiver: PagerDutyReceiver;
beforeEach(async () => {
  receiver = await startPagerDutyReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function pagerDuty(options: Partial<PagerDutyNotifierOptions> = {}): Notifier {
  return createPagerDutyNotifier({ name: 'oncall', routingKey: ROUTING_KEY, url: receiver.url(), ...options });
}

/** The failure of one send, checked to name neither the routing key nor the URL however it is printed. */
async function sendError(notifier: Notifier, alert: Alert = failedAlert(), signal?: AbortSignal): Promise<NotifierError> {
  const error: unknown = await notifier.send(alert, signal ? { signal } : {}).then(
    () => new Error('the send succeeded'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifierError);
  expectSecretFree(error as NotifierError, [ROUTING_KEY, receiver.url(), '127.0.0.1']);
  return error as NotifierError;
}

const actions = () => receiver.events.map((event) => (event.body as { event_action: string }).event_action);
const dedupKeys = () => receiver.events.map((event) => (event.body as { dedup_key: string }).dedup_key);

describe('PagerDuty notifier against a real Events API v2 receiver', () => {
  it.each<[string, Alert, string[]]>([
    ['failed', failedAlert(), ['trigger']],
    ['stalled', stalledAlert(), ['trigger']],
    ['stalled past a learned limit', learnedStalledAlert(), ['trigger']],
    ['missed', missedAlert(), ['trigger']],
    ['partial', partialAlert(), ['trigger']],
    ['volume', volumeAlert(), ['trigger']],
    ['unknown-outcome', failedAlert({ kind: 'unknown-outcome', attempt: attempt({ unrecognised: 'disposition "cancelled"' }) }), ['trigger']],
    ['monitor-error', monitorErrorAlert(), ['trigger']],
    ['account monitor-error', accountErrorAlert(), ['trigger']],
    ['lost-track notice', lostTrackAlert(), ['trigger']],
    ['state-lost notice', stateLostAlert(), ['trigger']],
    ['recovered', recoveredAlert(), ['resolve']],
    ['monitor-recovered', monitorRecoveredAlert(), ['resolve']],
    ['account monitor-recovered', accountRecoveredAlert(), ['resolve']],
    ['test', testAlert(), ['trigger', 'resolve']],
  ])('posts a %s alert as events PagerDuty accepts', async (_kind, alert, expected) => {
    await pagerDuty().send(alert);
    expect(receiver.events.map((event) => [event.path, event.contentType, event.problems, event.status])).toEqual(
      expected.map(() => ['/v2/enqueue', 'application/json', [], 202]),
    );
    expect(actions()).toEqual(expected);
  });

  it('opens one incident for a failure and the failures after it, and its recovery closes it', async () => {
    const notifier = pagerDuty();
    await notifier.send(failedAlert({ key: 'f42-a9-failed' }));
    await notifier.send(failedAlert({ key: 'f42-a10-failed', incident: 'f42-a9-failed', attempt: attempt({ id: 10 }) }));
    expect([...receiver.open]).toEqual(['portable-watch:f42-a9-failed']);
    await notifier.send({ ...recoveredAlert(), key: 'f42-a11-recovered', incident: 'f42-a9-failed' });
    expect(actions()).toEqual(['trigger', 'trigger', 'resolve']);
    expect(new Set(dedupKeys())).toEqual(new Set(['portable-watch:f42-a9-failed']));
    expect(receiver.open.size).toBe(0);
  });

  it('closes a monitor error’s incident when checks succeed again', async () => {
    const notifier = pagerDuty();
    await notifier.send({ ...monitorErrorAlert(), key: 'f42-m1-monitor-error' });
    expect(receiver.open.size).toBe(1);
    await notifier.send({ ...monitorRecoveredAlert(), key: 'f42-m1-monitor-recovered', incident: 'f42-m1-monitor-error' });
    expect(receiver.open.size).toBe(0);
  });

  it('sends nothing for a reminder: PagerDuty pages again by itself', async () => {
    const reminder = failedAlert({ key: 'f42-a9-failed-r1', incident: 'f42-a9-failed', reminder: { number: 1, since: STARTED_AT } });
    await pagerDuty().send(reminder);
    expect(receiver.events).toEqual([]);
  });

  it('triggers a test alert as info, saying it is a test, and resolves it so no incident stays open', async () => {
    await pagerDuty().send(testAlert());
    expect(actions()).toEqual(['trigger', 'resolve']);
    expect(receiver.events[0]?.body).toMatchObject({ payload: { severity: 'info', summary: expect.stringContaining('a test alert, nothing is wrong') as unknown } });
    expect(new Set(dedupKeys()).size).toBe(1);
    expect(receiver.open.size).toBe(0);
  });

  it('triggers an alert a silence held once it is released', async () => {
    const heldBy = { what: 'silence s-1a2b3c4d', heldAt: STARTED_AT, releasedAt: STARTED_AT + HOUR };
    await pagerDuty().send(failedAlert({ heldBy }));
    expect(actions()).toEqual(['trigger']);
    expect(receiver.open.size).toBe(1);
  });

  it('does not trigger a test alert again when only its resolve failed and it is sent again', async () => {
    receiver.respondWith((_event, index) => (index === 1 ? { status: 500 } : undefined));
    const notifier = pagerDuty();
    const error = await sendError(notifier, testAlert());
    expect(error).toMatchObject({ retryable: true, status: 500 });
    expect(receiver.open.size).toBe(1);
    await notifier.send(testAlert());
    expect(actions()).toEqual(['trigger', 'resolve', 'resolve']);
    expect(receiver.open.size).toBe(0);
  });

  it('posts to PagerDuty’s own endpoint when no url is configured', async () => {
    const asked: string[] = [];
    const forward: typeof fetch = (input, init) => {
      asked.push(input instanceof Request ? input.url : input.toString());
      return fetch(receiver.url(), init);
    };
    await createPagerDutyNotifier({ name: 'oncall', routingKey: ROUTING_KEY, fetch: forward }).send(failedAlert());
    expect(PAGERDUTY_EVENTS_URL).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(asked).toEqual([PAGERDUTY_EVENTS_URL]);
    expect(receiver.events[0]?.status).toBe(202);
  });
});

describe('PagerDuty answers', () => {
  it('takes any 2xx as delivered', async () => {
    receiver.respondWith(() => ({ status: 200, body: 'ok' }));
    await expect(pagerDuty().send(failedAlert())).resolves.toBeUndefined();
  });

  it('gives up on 400 with PagerDuty’s reasons, never repeating the routing key it quoted', async () => {
    const errors = ["'payload.summary' is missing or blank", `routing key ${ROUTING_KEY} is not known`];
    receiver.respondWith(() => ({ status: 400, body: invalidEventBody(errors) }));
    const error = await sendError(pagerDuty());
    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect(error.message).toBe(
      `${WHO} refused the message (400): Event object is invalid ('payload.summary' is missing or blank; routing key [redacted] is not known): ` +
        'PagerDuty found the event invalid; check that routingKey is the 32-character integration key of an Events API v2 integration, ' +
        'and if it is, this is a portable-watch bug, please report it',
    );
  });

  it('gives up on the receiver’s own 400 for a routing key of the wrong length, saying why', async () => {
    const error = await sendError(pagerDuty({ routingKey: 'too-short-key' }));
    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect(error.message).toContain("Event object is invalid (Length of 'routing_key' is incorrect (should be 32 characters))");
    expectSecretFree(error, ['too-short-key']);
  });

  it('cuts a long list of reasons and repeats nothing of a page that is not PagerDuty’s', async () => {
    receiver.respondWith(() => ({ status: 400, body: invalidEventBody(Array.from({ length: 40 }, (_, index) => `reason ${index} ${'r'.repeat(50)}`)) }));
    const long = await sendError(pagerDuty());
    expect(long.message).toMatch(/reason 0 r+; reason 1 .*…: PagerDuty found/);
    expect(long.message.length).toBeLessThan(900);
    receiver.respondWith(() => ({ status: 400, body: '<html><body>Bad gateway config</body></html>' }));
    const html = await sendError(pagerDuty());
    expect(html.message).toBe(`${WHO} refused the message (400): PagerDuty found the event invalid; check that routingKey is the 32-character integration key of an Events API v2 integration, and if it is, this is a portable-watch bug, please report it`);
  });

  it.each([
    [401, "check routingKey (the integration key of the service's Events API v2 integration) and url"],
    [403, "check routingKey (the integration key of the service's Events API v2 integration) and url"],
    [404, 'https://events.eu.pagerduty.com/v2/enqueue for the EU region'],
    [413, 'larger than PagerDuty takes'],
    [422, 'check routingKey'],
  ])('gives up on %i, saying what to check', async (status, advice) => {
    receiver.respondWith(() => ({ status, body: { status: 'error', message: 'Forbidden' } }));
    const error = await sendError(pagerDuty());
    expect(error).toMatchObject({ retryable: false, status });
    expect(error.message).toContain(`${WHO} refused the message (${status}): Forbidden: `);
    expect(error.message).toContain(advice);
  });

  it('retries a 429, waiting as long as Retry-After says', async () => {
    receiver.respondWith(() => ({ status: 429, body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' }, headers: { 'retry-after': '30' } }));
    const error = await sendError(pagerDuty());
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 30_000 });
    expect(error.message).toBe(`${WHO} is rate limited (429); it asked us to wait 30s`);
  });

  it('retries a 429 without Retry-After with the usual backoff', async () => {
    receiver.respondWith(() => ({ status: 429 }));
    const error = await sendError(pagerDuty());
    expect(error).toMatchObject({ retryable: true, status: 429 });
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('retries a 500, and the next send gets through', async () => {
    receiver.respondWith((_event, index) => (index === 0 ? { status: 500, body: { status: 'error', message: 'internal' } } : undefined));
    const notifier = pagerDuty();
    const error = await sendError(notifier);
    expect(error).toMatchObject({ retryable: true, status: 500 });
    expect(error.message).toBe(`${WHO} answered with a server error (500): internal`);
    expect(receiver.open.size).toBe(0);
    await notifier.send(failedAlert());
    expect(receiver.events.map((event) => event.status)).toEqual([500, 202]);
    expect([...receiver.open]).toEqual(['portable-watch:689422:632458:failed']);
  });

  it('retries a 503 after the Retry-After it gave', async () => {
    receiver.respondWith(() => ({ status: 503, headers: { 'retry-after': '5' } }));
    expect(await sendError(pagerDuty())).toMatchObject({ retryable: true, status: 503, retryAfterMs: 5000 });
  });

  it('gives up on a redirect: the url is not the endpoint', async () => {
    receiver.respondWith(() => ({ status: 302, headers: { location: `/elsewhere/${ROUTING_KEY}` } }));
    expect(await sendError(pagerDuty())).toMatchObject({ retryable: false, status: 302, code: 'redirect' });
  });

  it('retries when the connection is refused', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}/v2/enqueue`;
    const error = await sendError(pagerDuty({ url }));
    expect(error).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
    expect(error.message).toBe(`could not reach ${WHO} (ECONNREFUSED)`);
    expectSecretFree(error, [url]);
  });

  it('retries when PagerDuty does not answer within the timeout', async () => {
    receiver.respondWith(() => 'never');
    const started = Date.now();
    const error = await sendError(pagerDuty({ timeoutMs: 200 }));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expect(error.message).toBe(`sending to ${WHO} did not finish within 0.2s`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops when the caller aborts, as retryable', async () => {
    receiver.respondWith(() => 'never');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await sendError(pagerDuty(), failedAlert(), controller.signal)).toMatchObject({ retryable: true, code: 'cancelled' });
  });

  it.each([
    ['an empty routing key', { routingKey: ' ' }, 'invalid_routing_key', 'the routingKey of PagerDuty notifier "oncall" is empty'],
    ['a url that is not http(s)', { url: `ftp://events.pagerduty.com/${ROUTING_KEY}` }, 'invalid_url', 'the url of PagerDuty notifier "oncall" is not an http(s) URL'],
    ['a url that is not a URL', { url: `events.pagerduty.com/${ROUTING_KEY}` }, 'invalid_url', 'the url of PagerDuty notifier "oncall" is not an http(s) URL'],
  ])('refuses %s at start-up without repeating it', (_name, settings, code, message) => {
    let thrown: unknown;
    try {
      pagerDuty(settings);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ retryable: false, code, message: expect.stringContaining(message) as unknown });
    expectSecretFree(thrown as Error, [ROUTING_KEY, `events.pagerduty.com/${ROUTING_KEY}`]);
  });
});
