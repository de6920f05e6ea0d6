import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, Severity } from '../../src/alerts/alert.ts';
import { renderPlainText } from '../../src/notifiers/render-plain-text.ts';
import { renderWebhookBody, type WebhookAlertBody, type WebhookScope } from '../../src/notifiers/webhook/render-webhook-body.ts';
import { createWebhookNotifier } from '../../src/notifiers/webhook/webhook-notifier.ts';
import {
  accountErrorAlert,
  accountRecoveredAlert,
  attempt,
  failedAlert,
  lostTrackAlert,
  missedAlert,
  monitorErrorAlert,
  monitorRecoveredAlert,
  partialAlert,
  recoveredAlert,
  stalledAlert,
  STARTED_AT,
  stateLostAlert,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
import { readJson, WEBHOOK_EXAMPLE_URL, webhookSchemaErrors } from './webhook-schema.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const HOUR = 3_600_000;

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  receiver.received.length = 0;
});

/** Sends through a real notifier; the receiver verifies the signature and validates the body against the schema. */
async function postedBody(alert: Alert): Promise<WebhookAlertBody> {
  await createWebhookNotifier({ name: 'hooks', url: receiver.url('/alerts'), secret: SECRET }).send(alert);
  expect(receiver.received).toHaveLength(1);
  expect(receiver.received[0]?.schemaErrors).toEqual([]);
  return receiver.received[0]?.body as WebhookAlertBody;
}

function unknownOutcomeAlert(): Alert {
  return failedAlert({
    key: '689422:632458:unknown-outcome',
    kind: 'unknown-outcome',
    attempt: attempt({ state: 'unrecognised', unrecognised: 'disposition "cancelled"', errors: [] }),
  });
}

/** A reminder of a failure whose incident a silence held; routed as critical. */
function heldReminder(): Alert {
  return failedAlert({
    key: '689422:632458:failed:reminder-2',
    incident: '689422:632458:failed',
    severity: 'critical',
    reminder: { number: 2, since: STARTED_AT, failedAttempts: 4 },
    heldBy: { what: 'silence s-1a2b3c4d', heldAt: STARTED_AT + HOUR, releasedAt: STARTED_AT + 2 * HOUR },
  });
}

const FLOW = { id: 689422, name: 'Events to Snowflake', url: 'https://app.portable.io/flows/689422', labels: {} };

describe('webhook body of every kind of alert, as a receiver gets it', () => {
  it.each<[string, Alert, { kind: string; severity: Severity; incident: string; scope: WebhookScope; flow: boolean; errors: number }]>([
    ['failed', failedAlert(), { kind: 'failed', severity: 'critical', incident: '689422:632458:failed', scope: 'flow', flow: true, errors: 2 }],
    ['stalled', stalledAlert(), { kind: 'stalled', severity: 'critical', incident: '689422:632458:stalled', scope: 'flow', flow: true, errors: 0 }],
    ['recovered', { ...recoveredAlert(), incident: '689422:632458:failed' }, { kind: 'recovered', severity: 'critical', incident: '689422:632458:failed', scope: 'flow', flow: true, errors: 0 }],
    ['missed', missedAlert(), { kind: 'missed', severity: 'critical', incident: 'f689422-missed-1796025600000', scope: 'flow', flow: true, errors: 0 }],
    ['partial', partialAlert(), { kind: 'partial', severity: 'warning', incident: 'f689422-a632458-partial', scope: 'flow', flow: true, errors: 0 }],
    ['volume', volumeAlert(), { kind: 'volume', severity: 'warning', incident: 'f689422-a632458-volume', scope: 'flow', flow: true, errors: 0 }],
    ['unknown-outcome', unknownOutcomeAlert(), { kind: 'unknown-outcome', severity: 'warning', incident: '689422:632458:unknown-outcome', scope: 'flow', flow: true, errors: 0 }],
    ['a flow monitor-error', monitorErrorAlert(), { kind: 'monitor-error', severity: 'warning', incident: '689422:monitor-error:flow', scope: 'flow', flow: true, errors: 1 }],
    ['an account monitor-error', accountErrorAlert(), { kind: 'monitor-error', severity: 'warning', incident: 'account-m1-monitor-error', scope: 'account', flow: false, errors: 1 }],
    ['a state-lost notice', stateLostAlert(), { kind: 'monitor-error', severity: 'warning', incident: 'state-lost-main', scope: 'installation', flow: false, errors: 1 }],
    ['a lost-track notice', lostTrackAlert(), { kind: 'monitor-error', severity: 'warning', incident: '689422:632458:lost-track', scope: 'flow', flow: true, errors: 1 }],
    ['a flow monitor-recovered', monitorRecoveredAlert(), { kind: 'monitor-recovered', severity: 'warning', incident: '689422:monitor-recovered', scope: 'flow', flow: true, errors: 0 }],
    ['an account monitor-recovered', accountRecoveredAlert(), { kind: 'monitor-recovered', severity: 'warning', incident: 'account-m1-monitor-recovered', scope: 'account', flow: false, errors: 0 }],
    ['test', testAlert(), { kind: 'test', severity: 'info', incident: testAlert().key, scope: 'installation', flow: false, errors: 0 }],
    ['a routed partial', { ...partialAlert(), severity: 'info' }, { kind: 'partial', severity: 'info', incident: 'f689422-a632458-partial', scope: 'flow', flow: true, errors: 0 }],
    ['a held reminder', heldReminder(), { kind: 'failed', severity: 'critical', incident: '689422:632458:failed', scope: 'flow', flow: true, errors: 2 }],
  ])('%s: valid against the schema, with its kind, severity, incident and subject', async (_name, alert, expected) => {
    const body = await postedBody(alert);
    expect({ kind: body.kind, severity: body.severity, incident: body.incident, scope: body.scope }).toEqual({
      kind: expected.kind,
      severity: expected.severity,
      incident: expected.incident,
      scope: expected.scope,
    });
    expect(body.id).toBe(alert.key);
    expect(body.flow).toEqual(expected.flow ? FLOW : null);
    expect(body.errors).toHaveLength(expected.errors);
    expect(body.text).toBe(renderPlainText(alert));
  });

  it('describes a failed alert completely: flow, attempt, errors, resources, times and text', async () => {
    const alert = failedAlert({ flow: { ...FLOW, labels: { team: 'data', tier: 'critical' } } });
    expect(await postedBody(alert)).toEqual({
      version: 1,
      id: '689422:632458:failed',
      kind: 'failed',
      severity: 'critical',
      incident: '689422:632458:failed',
      title: 'FAILED: Events to Snowflake',
      scope: 'flow',
      flow: { id: 689422, name: 'Events to Snowflake', url: 'https://app.portable.io/flows/689422', labels: { team: 'data', tier: 'critical' } },
      attempt: {
        id: 632458,
        trigger: 'scheduled',
        state: 'failed',
        createdAt: '2026-11-29T07:47:48.000Z',
        completedAt: '2026-11-29T08:52:48.000Z',
        duration: 3900,
      },
      errors: ['SQL compilation error: Table EVENTS does not exist', 'Load aborted after 1 error'],
      resources: [
        { name: 'orders', extracted: 1200, analyzed: null, loaded: 1190, errors: [] },
        { name: 'customers', extracted: null, analyzed: null, loaded: null, errors: [] },
      ],
      reminder: null,
      resolves: null,
      heldBy: null,
      monitor: null,
      detectedAt: '2026-11-29T08:53:48.000Z',
      text: renderPlainText(alert),
    });
    expect(renderPlainText(alert).split('\n')[0]).toBe('FAILED: Events to Snowflake (flow 689422) — attempt 632458');
  });

  it('says what a reminder, a hold, a recovery and a monitor error add', async () => {
    expect(await postedBody(heldReminder())).toMatchObject({
      title: 'STILL FAILING: Events to Snowflake',
      reminder: { number: 2, since: '2026-11-29T07:47:48.000Z' },
      heldBy: { what: 'silence s-1a2b3c4d', heldAt: '2026-11-29T08:47:48.000Z', releasedAt: '2026-11-29T09:47:48.000Z' },
    });
    receiver.received.length = 0;
    expect(await postedBody(recoveredAlert())).toMatchObject({ resolves: { kind: 'failed', since: '2026-11-29T07:47:48.000Z' } });
    receiver.received.length = 0;
    expect(await postedBody(accountErrorAlert())).toMatchObject({
      flow: null,
      attempt: null,
      errors: [accountErrorAlert().monitor?.message],
      monitor: { problem: 'unauthorized', message: accountErrorAlert().monitor?.message, since: '2026-11-29T07:47:48.000Z' },
    });
  });

  it('keeps a resource its own errors, and cuts a huge error list so the body stays readable', async () => {
    expect((await postedBody(partialAlert())).resources[1]).toEqual({ name: 'customers', extracted: 500, analyzed: null, loaded: 500, errors: ['Row 17: value too long for column NAME'] });
    receiver.received.length = 0;
    const errors = Array.from({ length: 300 }, (_, index) => `error ${index} ${'x'.repeat(20_000)}`);
    const body = await postedBody(failedAlert({ attempt: attempt({ errors }) }));
    expect(body.errors).toHaveLength(50);
    expect(body.errors[0]?.length).toBe(10_000);
    expect(body.errors[0]?.endsWith('…')).toBe(true);
    expect(body.text).toContain('Errors (300):');
  });

  it('leaves Portable text verbatim in data fields and JSON-escapes it, never breaking the body or the schema', async () => {
    const name = 'Evil "flow" </script>\n{"kind":"test"}\u0007';
    const resources = [{ name, extracted: -1, analyzed: 1.5, loaded: 3 }];
    const flow = { id: 1, name, url: 'javascript:alert(1)' };
    const body = await postedBody(failedAlert({ flow, attempt: attempt({ errors: [name], resources, durationMs: Number.NaN }) }));
    expect(body.flow).toEqual({ id: 1, name, url: null, labels: {} });
    // Counts Portable sent that are no row counts are not passed on as if they were.
    expect(body.resources).toEqual([{ name, extracted: null, analyzed: null, loaded: 3, errors: [] }]);
    expect(body.attempt?.duration).toBeNull();
    expect(body.errors).toEqual([name]);
    expect(body.kind).toBe('failed');
    expect(body.title).toBe('FAILED: Evil "flow" </script> {"kind":"test"}');
  });
});

describe('the schema and the documented example', () => {
  it('accepts the example body, which is exactly what a failed alert of a labelled flow sends', () => {
    const example = readJson(WEBHOOK_EXAMPLE_URL);
    expect(webhookSchemaErrors(example)).toEqual([]);
    const alert = failedAlert({ key: 'f689422-a632458-failed', severity: 'critical', flow: { ...FLOW, labels: { team: 'data', tier: 'critical' } } });
    expect(example).toEqual(renderWebhookBody(alert));
  });

  it.each<[string, (body: Record<string, unknown>) => void]>([
    ['an unknown top-level field', (body) => (body.extra = 1)],
    ['a missing field', (body) => delete body.reminder],
    ['another version', (body) => (body.version = 2)],
    ['a flow on an account alert', (body) => (body.scope = 'account')],
    ['a time that is not ISO 8601', (body) => (body.detectedAt = '2026-11-29 08:53:48 UTC')],
    ['an unknown kind', (body) => (body.kind = 'exploded')],
  ])('refuses a body with %s', (_name, change) => {
    const body = renderWebhookBody(failedAlert()) as unknown as Record<string, unknown>;
    change(body);
    expect(webhookSchemaErrors(body)).not.toEqual([]);
  });
});
