import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import type { Digest } from '../../src/digests/digest-types.ts';
import { NotifierError } from '../../src/notifiers/notifier.ts';
import { renderPlainDigest } from '../../src/notifiers/render-plain-digest.ts';
import { renderWebhookBody } from '../../src/notifiers/webhook/render-webhook-body.ts';
import type { WebhookDigestBody } from '../../src/notifiers/webhook/render-webhook-digest.ts';
import { createWebhookNotifier } from '../../src/notifiers/webhook/webhook-notifier.ts';
import { accountErrorAlert, recoveredAlert, testAlert } from './alert-fixtures.ts';
import { digestOf, storm } from './digest-fixtures.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { answer } from './slack-receiver.ts';
import { answerNoContent, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const SECRET_BYTES = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SECRET = `whsec_${SECRET_BYTES}`;

let receiver: WebhookReceiver;
beforeEach(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
});
afterEach(async () => {
  await receiver.close();
});

async function sendDigest(digest: Digest, name = 'hooks'): Promise<WebhookDigestBody> {
  await createWebhookNotifier({ name, url: receiver.url('/alerts'), secret: SECRET }).sendDigest(digest);
  const request = receiver.received.at(-1);
  expect(request).toMatchObject({ status: 204, schemaErrors: [] });
  return request?.body as WebhookDigestBody;
}

/** A storm's alerts given newest first, with a recovery and an account error among them. */
function mixedStorm(): Alert[] {
  return [...storm(5, { stalledEvery: 3 }), { ...recoveredAlert(), detectedAt: 1 }, accountErrorAlert()].reverse();
}

describe('webhook digest', () => {
  it('posts one signed body, valid against the schema, holding every member oldest first', async () => {
    const alerts = mixedStorm();
    const digest = digestOf(alerts);
    const body = await sendDigest(digest);
    expect(receiver.received).toHaveLength(1);
    expect(body).toMatchObject({
      version: 1,
      kind: 'digest',
      count: 7,
      since: '2026-11-29T08:47:48.000Z',
      sentAt: '2026-11-29T08:48:48.000Z',
      text: renderPlainDigest(digest),
    });
    const oldestFirst = [...alerts].sort((a, b) => a.detectedAt - b.detectedAt);
    expect(body.alerts).toEqual(oldestFirst.map(renderWebhookBody));
    expect(body.alerts[0]?.kind).toBe('recovered');
    expect(new Set(body.alerts.map((alert) => alert.id))).toEqual(new Set(alerts.map((alert) => alert.key)));
  });

  it('names itself by its members: the same id, in the body and the webhook-id, on a retry and in any order', async () => {
    const alerts = mixedStorm();
    receiver.respondWith(answer(503, 'busy'));
    const failed: unknown = await createWebhookNotifier({ name: 'hooks', url: receiver.url('/alerts'), secret: SECRET })
      .sendDigest(digestOf(alerts))
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(NotifierError);
    expect((failed as NotifierError).retryable).toBe(true);
    expectSecretFree(failed as NotifierError, [SECRET_BYTES]);

    receiver.respondWith(answerNoContent);
    // Retried later (a new sentAt), with the members read back in another order.
    const retried = await sendDigest({ ...digestOf([...alerts].reverse()), sentAt: digestOf(alerts).sentAt + 10_000 });
    const [first, second] = receiver.received;
    expect(second?.webhookId).toBe(first?.webhookId);
    expect(retried.id).toBe(second?.webhookId);
    expect((JSON.parse(first?.rawBody ?? '{}') as WebhookDigestBody).id).toBe(retried.id);
  });

  it('gets a new id when its members change, and never shares one with an alert or another notifier', async () => {
    const alerts = storm(3);
    const ids = [
      (await sendDigest(digestOf(alerts))).id,
      (await sendDigest(digestOf([...alerts, testAlert()]))).id,
      (await sendDigest(digestOf(alerts.slice(0, 1)))).id,
      (await sendDigest(digestOf(alerts), 'audit')).id,
    ];
    await createWebhookNotifier({ name: 'hooks', url: receiver.url('/alerts'), secret: SECRET }).send(alerts[0]!);
    ids.push(receiver.received.at(-1)?.webhookId ?? '');
    expect(new Set(ids).size).toBe(5);
  });

  it('carries a storm of 300 failures whole, in a body of reasonable size', async () => {
    const body = await sendDigest(digestOf(storm(300)));
    expect(body.count).toBe(300);
    expect(body.alerts).toHaveLength(300);
    expect(receiver.received[0]?.rawBody.length).toBeLessThan(600_000);
  });
});
