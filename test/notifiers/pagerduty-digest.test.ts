import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import type { Digest } from '../../src/digests/digest-types.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { createPagerDutyNotifier, type PagerDutyNotifierOptions } from '../../src/notifiers/pagerduty/pagerduty-notifier.ts';
import { rememberedEvents } from '../../src/notifiers/pagerduty/remembered-events.ts';
import { failedAlert, recoveredAlert, STARTED_AT, testAlert } from './alert-fixtures.ts';
import { digestOf, storm } from './digest-fixtures.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { startPagerDutyReceiver, type PagerDutyReceiver } from './pagerduty-receiver.ts';

const ROUTING_KEY = 'D1GESTR0UT1NGKEYD1GESTR0UT1NGKEY';

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

async function digestError(notifier: Notifier, digest: Digest): Promise<NotifierError> {
  const error: unknown = await notifier.sendDigest(digest).then(
    () => new Error('the digest was sent'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifierError);
  expectSecretFree(error as NotifierError, [ROUTING_KEY, receiver.url()]);
  return error as NotifierError;
}

/** `trigger portable-watch:…` for each request PagerDuty accepted, in order. */
const accepted = () =>
  receiver.events
    .filter((event) => event.status === 202)
    .map((event) => {
      const body = event.body as { event_action: string; dedup_key: string };
      return `${body.event_action} ${body.dedup_key}`;
    });

describe('a digest sent to PagerDuty', () => {
  it('becomes each member’s own events, in the digest’s order, with nothing for a reminder', async () => {
    const members: Alert[] = [
      failedAlert({ key: 'f1-a1-failed', flow: { id: 1, name: 'One' } }),
      failedAlert({ key: 'f2-a5-failed-r1', incident: 'f2-a4-failed', reminder: { number: 1, since: STARTED_AT } }),
      { ...recoveredAlert(), key: 'f3-a9-recovered', incident: 'f3-a7-failed' },
      testAlert(),
      failedAlert({ key: 'f4-a2-failed', flow: { id: 4, name: 'Four' } }),
    ];
    await pagerDuty().sendDigest(digestOf(members));
    const testKey = `portable-watch:${testAlert().key}`;
    expect(accepted()).toEqual([
      'trigger portable-watch:f1-a1-failed',
      'resolve portable-watch:f3-a7-failed',
      `trigger ${testKey}`,
      `resolve ${testKey}`,
      'trigger portable-watch:f4-a2-failed',
    ]);
    expect(receiver.events.every((event) => event.problems.length === 0)).toBe(true);
    expect([...receiver.open]).toEqual(['portable-watch:f1-a1-failed', 'portable-watch:f4-a2-failed']);
  });

  it('stops at a 429 part way and, tried again, sends only the members not yet accepted', async () => {
    const digest = digestOf(storm(30));
    receiver.respondWith((_event, index) => (index === 12 ? { status: 429, headers: { 'retry-after': '10' } } : undefined));
    const notifier = pagerDuty();
    const error = await digestError(notifier, digest);
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 10_000 });
    expect(error.message).toBe(
      'the PagerDuty Events API for notifier "oncall" is rate limited (429); it asked us to wait 10s (alert 13 of 30 of a digest; those before it were sent)',
    );
    expect(receiver.events).toHaveLength(13);

    await notifier.sendDigest(digest);
    expect(receiver.events).toHaveLength(13 + 18);
    expect(accepted()).toEqual(digest.alerts.map((alert) => `trigger portable-watch:${alert.key}`));
    expect(receiver.open.size).toBe(30);
  });

  it('gets a storm of 300 through a rate limit of 20 events per try, instead of resending the first 20 forever', async () => {
    const digest = digestOf(storm(300, { stalledEvery: 30 }));
    let allowance = 20;
    receiver.respondWith(() => (allowance-- > 0 ? undefined : { status: 429 }));
    const notifier = pagerDuty();
    let tries = 1;
    for (; tries <= 20; tries += 1) {
      allowance = 20;
      const sent = await notifier.sendDigest(digest).then(
        () => true,
        (error: unknown) => {
          expect(error).toMatchObject({ retryable: true, status: 429 });
          return false;
        },
      );
      if (sent) break;
    }
    expect(tries).toBe(15);
    expect(receiver.events).toHaveLength(300 + 14);
    expect(new Set(accepted())).toEqual(new Set(digest.alerts.map((alert) => `trigger portable-watch:${alert.key}`)));
    expect(accepted()).toHaveLength(300);
  });

  it('gives up on a member PagerDuty refuses, sending none after it', async () => {
    receiver.respondWith((_event, index) => (index === 1 ? { status: 403, body: { status: 'error', message: 'Forbidden' } } : undefined));
    const error = await digestError(pagerDuty(), digestOf(storm(5)));
    expect(error).toMatchObject({ retryable: false, status: 403 });
    expect(error.message).toContain('(alert 2 of 5 of a digest; those before it were sent)');
    expect(receiver.events).toHaveLength(2);
  });

  it('stops after its time budget and lets the retry send the rest, so a digest never outlives its lock', async () => {
    // a clock that moves 1s per request PagerDuty answered
    const now = () => STARTED_AT + receiver.events.length * 1000;
    const notifier = pagerDuty({ now, digestBudgetMs: 5000 });
    const digest = digestOf(storm(10));
    const error = await digestError(notifier, digest);
    expect(error).toMatchObject({ retryable: true, code: 'digest-budget' });
    expect(error.message).toBe(
      'the PagerDuty Events API for notifier "oncall" took longer than 5s for a digest; 6 of 10 alerts sent, the rest wait for the next try',
    );
    expect(receiver.events).toHaveLength(6);
    await notifier.sendDigest(digest);
    expect(accepted()).toEqual(digest.alerts.map((alert) => `trigger portable-watch:${alert.key}`));
  });

  it('retries a digest PagerDuty does not answer, like an alert', async () => {
    receiver.respondWith(() => 'never');
    expect(await digestError(pagerDuty({ timeoutMs: 200 }), digestOf(storm(3)))).toMatchObject({ retryable: true, code: 'timeout' });
    expect(receiver.events).toHaveLength(1);
  });
});

describe('the events a notifier remembers as accepted', () => {
  it('keeps the most recent ones up to its limit and forgets the oldest first', () => {
    const remembered = rememberedEvents(3);
    for (const id of ['a', 'b', 'c', 'd']) remembered.add(id);
    expect(['a', 'b', 'c', 'd'].map((id) => remembered.has(id))).toEqual([false, true, true, true]);
    // accepted again: now the most recent, so it outlives those added before it
    remembered.add('b');
    remembered.add('e');
    expect(['b', 'c', 'd', 'e'].map((id) => remembered.has(id))).toEqual([true, false, true, true]);
  });
});
