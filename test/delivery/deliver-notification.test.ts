import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { deliverNotification, DeliveryError, lastAlertKey, type DeliveryFailure } from '../../src/delivery/deliver-notification.ts';
import { NotifierError, type Notifier, type SendOptions } from '../../src/notifiers/notifier.ts';
import { failedAlert, monitorErrorAlert } from '../notifiers/alert-fixtures.ts';
import { captureLog } from '../support/capture-log.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/** Sending one alert through one notifier, at most once, on a real Redis. */

const NOW = Date.UTC(2026, 11, 1, 8, 0, 0);
const alert = failedAlert({ key: 'f689422-a632458-failed' });

let redis: Redis;
let prefix: string;

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('deliver');
});

afterEach(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** A notifier behind the real interface that records what it was asked to send, or fails with `failure`. */
function recordingNotifier(name: string, failure?: unknown) {
  const sent: Array<{ alert: Alert; options: SendOptions | undefined }> = [];
  const notifier: Notifier = {
    name,
    type: 'console',
    // eslint-disable-next-line @typescript-eslint/require-await -- throws like a real notifier's async send
    async send(sending, options) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- libraries do throw strings; delivery must cope
      if (failure !== undefined) throw failure;
      sent.push({ alert: sending, options });
    },
    sendDigest: () => Promise.reject(new Error('no digest is sent without digest settings')),
    close: () => Promise.resolve(),
  };
  return { notifier, sent };
}

function deps(notifiers: Notifier[], log = captureLog().log) {
  return { redis, prefix, notifier: (name: string) => notifiers.find((notifier) => notifier.name === name), now: () => NOW, log };
}

async function failureOf(promise: Promise<unknown>): Promise<DeliveryFailure> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  expect((error as DeliveryError).name).toBe('DeliveryError');
  expect((error as DeliveryError).message).toBe((error as DeliveryError).failure.message);
  return (error as DeliveryError).failure;
}

describe('deliverNotification', () => {
  it('sends once per notifier, marks it delivered for 30 days and records the flow’s last alert', async () => {
    const oncall = recordingNotifier('oncall');
    const team = recordingNotifier('data-team');
    const { log, lines } = captureLog();
    const sending = deps([oncall.notifier, team.notifier], log);

    expect(await deliverNotification(sending, { alert, notifier: 'oncall' })).toBe('delivered');
    expect(await deliverNotification(sending, { alert, notifier: 'oncall' })).toBe('already-delivered');
    expect(await deliverNotification(sending, { alert, notifier: 'data-team' })).toBe('delivered');
    expect(oncall.sent.map((sent) => sent.alert)).toEqual([alert]);
    expect(team.sent).toHaveLength(1);

    const marker = `${prefix}:delivered:${alert.key}.oncall`;
    expect(await redis.get(marker)).toBe(String(NOW));
    expect(await redis.ttl(marker)).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(await redis.hgetall(lastAlertKey(prefix, String(alert.flow.id)))).toEqual({ kind: 'failed', key: alert.key, notifier: 'data-team', at: String(NOW) });

    const about = { flowId: alert.flow.id, attemptId: alert.attempt?.id, alert: alert.key, notifier: 'oncall' };
    expect(lines.filter((line) => line.notifier === 'oncall').map((line) => line.msg)).toEqual(['alert delivered', 'alert already delivered; not sending again']);
    expect(lines[0]).toMatchObject({ ...about, kind: 'failed' });
    expect(lines[1]).toMatchObject(about);
  });

  it('passes the shutdown signal on to the notifier, and nothing when there is none', async () => {
    const oncall = recordingNotifier('oncall');
    const signal = new AbortController().signal;
    await deliverNotification(deps([oncall.notifier]), { alert, notifier: 'oncall' }, { signal });
    await deliverNotification(deps([oncall.notifier]), { alert: monitorErrorAlert(), notifier: 'oncall' });
    expect(oncall.sent.map((sent) => sent.options)).toEqual([{ signal }, {}]);
  });

  it('gives up on a notifier no longer in the config, saying how to recover, and marks nothing', async () => {
    const failure = await failureOf(deliverNotification(deps([]), { alert, notifier: 'oncall' }));
    expect(failure).toEqual({
      action: 'give-up',
      message: `notifier "oncall" is no longer in the config; alert ${alert.key} was not sent (add the notifier back, then run portable-watch alerts retry --notifier oncall; or ignore it)`,
    });
    expect(await redis.exists(`${prefix}:delivered:${alert.key}.oncall`)).toBe(0);
  });

  it.each([
    { thrown: new NotifierError('Slack answered 404 no_service', { retryable: false, status: 404 }), failure: { action: 'give-up', message: 'Slack answered 404 no_service' } },
    { thrown: new NotifierError('Slack answered 429', { retryable: true, status: 429, retryAfterMs: 30_000 }), failure: { action: 'wait', message: 'Slack answered 429', delayMs: 30_000 } },
    { thrown: new NotifierError('Slack answered 429', { retryable: true, status: 429, retryAfterMs: 0 }), failure: { action: 'wait', message: 'Slack answered 429', delayMs: 0 } },
    { thrown: new NotifierError('Slack answered 503', { retryable: true, status: 503 }), failure: { action: 'retry', message: 'Slack answered 503' } },
    { thrown: new TypeError('fetch failed'), failure: { action: 'retry', message: 'TypeError: fetch failed' } },
    { thrown: 'a string thrown by a library', failure: { action: 'retry', message: 'a string thrown by a library' } },
    // What delivery says becomes the job's failedReason, which `portable-watch alerts` prints: no webhook URL, no SMTP password.
    {
      thrown: new TypeError('fetch https://hooks.slack.com/services/T0/B0/s3cret failed'),
      failure: { action: 'retry', message: 'TypeError: fetch (a URL, hidden) failed' },
    },
    { thrown: 'no answer from smtps://alerts:p%40ss@mail.example.com:465.', failure: { action: 'retry', message: 'no answer from (a URL, hidden)' } },
  ])('classifies $thrown as $failure.action', async ({ thrown, failure }) => {
    const broken = recordingNotifier('oncall', thrown);
    expect(await failureOf(deliverNotification(deps([broken.notifier]), { alert, notifier: 'oncall' }))).toEqual(failure);
    expect(await redis.exists(`${prefix}:delivered:${alert.key}.oncall`)).toBe(0);
    expect(await redis.exists(lastAlertKey(prefix, String(alert.flow.id)))).toBe(0);
  });
});

describe('deliverNotification, alerts about no flow', () => {
  it('logs an account- or installation-wide alert without a flow id (not the flow that noticed, not a stand-in 0)', async () => {
    const oncall = recordingNotifier('oncall');
    const { log, lines } = captureLog();
    const installation: Alert = { ...monitorErrorAlert(), key: 'state-lost-x', flow: { id: 0, name: 'portable-watch' }, monitor: { ...monitorErrorAlert().monitor!, problem: 'state-lost', scope: 'installation' } };
    for (const about of [monitorErrorAlert('account'), installation, alert]) await deliverNotification(deps([oncall.notifier], log), { alert: about, notifier: 'oncall' });
    expect(lines.map((line) => [line.msg, line.alert, line.flowId])).toEqual([
      ['alert delivered', '689422:monitor-error:account', undefined],
      ['alert delivered', 'state-lost-x', undefined],
      ['alert delivered', alert.key, alert.flow.id],
    ]);
  });
});
