import { describe, expect, it } from 'vitest';
import type { Alert, AlertKind, Severity } from '../../src/alerts/alert.ts';
import {
  pagerDutyDedupKey,
  pagerDutySeverity,
  renderPagerDutyEvents,
  renderPagerDutyTrigger,
  type PagerDutyTrigger,
} from '../../src/notifiers/pagerduty/render-pagerduty-event.ts';
import {
  accountErrorAlert,
  attempt,
  failedAlert,
  HOUR,
  missedAlert,
  monitorErrorAlert,
  partialAlert,
  recoveredAlert,
  STARTED_AT,
  stateLostAlert,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';
import { eventProblems } from './pagerduty-receiver.ts';

const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY32';

function trigger(alert: Alert): PagerDutyTrigger {
  const event = renderPagerDutyTrigger(alert, ROUTING_KEY);
  expect(eventProblems('application/json', JSON.stringify(event))).toEqual([]);
  return event;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('the trigger an alert becomes', () => {
  it('pages with the headline and the first error, names the flow, the account and the kind, and links to Portable', () => {
    expect(trigger(failedAlert())).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'portable-watch:689422:632458:failed',
      payload: {
        summary: 'FAILED: Events to Snowflake (flow 689422) — attempt 632458 — SQL compilation error: Table EVENTS does not exist',
        source: 'app.portable.io',
        severity: 'critical',
        timestamp: '2026-11-29T08:53:48.000Z',
        component: 'Events to Snowflake',
        group: 'Portable',
        class: 'failed',
        custom_details: expect.any(Object) as unknown,
      },
      links: [{ href: 'https://app.portable.io/flows/689422', text: 'Flow in Portable' }],
      client: 'portable-watch',
    });
  });

  it.each<[string, Alert, string]>([
    ['a stall', { ...failedAlert(), kind: 'stalled', maxRuntimeMs: 2 * HOUR, attempt: attempt({ state: 'running', completedAt: null, errors: [], durationMs: 3 * HOUR }) }, 'STALLED: Events to Snowflake (flow 689422) — attempt 632458 — running for 3h, limit 2h'],
    ['a missed run', missedAlert(), 'MISSED RUN: Events to Snowflake (flow 689422) — no run since 2026-11-29 07:47:48 UTC; expected at 2026-11-29 08:47:48 UTC'],
    ['a monitor error', monitorErrorAlert(), 'MONITOR ERROR: Events to Snowflake (flow 689422) — cannot be checked: Portable does not know this flow (404)'],
    ['a test', testAlert(), 'TEST: portable-watch test message — a test alert, nothing is wrong'],
  ])('says what happened in the summary of %s', (_name, alert, summary) => {
    expect(trigger(alert).payload.summary).toBe(summary);
  });

  it('groups by the Portable account when the alert names one (several accounts)', () => {
    const staging = failedAlert({ flow: { id: 42, name: 'Orders', account: 'staging' } });
    expect(trigger(staging).payload).toMatchObject({ group: 'Portable staging', component: 'Orders' });
    expect(trigger(staging).dedup_key).toBe('portable-watch:689422:632458:failed');
  });

  it('names the Portable account, not the flow that noticed, for an account-wide monitor error', () => {
    const event = trigger(accountErrorAlert());
    expect(event.payload).toMatchObject({ component: 'Portable account', source: 'portable-watch', class: 'monitor-error' });
    expect(event.payload.summary).toBe('MONITOR ERROR: Portable account — cannot be checked: Portable rejected the API token (401)');
    expect(event.links).toEqual([]);
    expect(event.payload.custom_details).not.toHaveProperty('flow');
  });

  it('names portable-watch itself for a notice about the installation', () => {
    expect(trigger(stateLostAlert()).payload).toMatchObject({ component: 'portable-watch', source: 'portable-watch', severity: 'warning' });
  });

  it('cuts the summary to 1,024 characters for a very long flow name, without splitting a character', () => {
    const name = `${'a'.repeat(1014)}${'😀'.repeat(600)}`;
    const event = trigger(failedAlert({ flow: { id: 1, name } }));
    expect(event.payload.summary).toHaveLength(1023);
    expect(event.payload.summary).toMatch(/^FAILED: a+…$/);
    expect(event.payload.component.length).toBeLessThanOrEqual(1024);
    expect(JSON.stringify(event)).not.toMatch(LONE_SURROGATE);
  });

  it('keeps the summary short with a very long error and keeps the error in the details, cut', () => {
    const error = `${'Column X does not exist '.repeat(1000)}\nsecond line`;
    const event = trigger(failedAlert({ attempt: attempt({ errors: [error] }) }));
    expect(event.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(event.payload.summary).toMatch(/^FAILED: Events to Snowflake \(flow 689422\) — attempt 632458 — Column X does not exist .*…$/);
    const errors = event.payload.custom_details.errors as string[];
    expect(errors[0]).toHaveLength(2000);
    expect(errors[0]?.endsWith('…')).toBe(true);
  });

  it('drops control characters and bidi overrides from Portable text in the summary', () => {
    const event = trigger(failedAlert({ flow: { id: 1, name: 'Orders\u0007\u202e\nnightly' } }));
    expect(event.payload.summary.startsWith('FAILED: Orders nightly (flow 1)')).toBe(true);
  });

  it('puts the flow, the attempt, the errors, the rows, the labels, the hold and the whole alert into custom_details', () => {
    const heldBy = { what: 'silence s-1a2b3c4d', heldAt: STARTED_AT, releasedAt: STARTED_AT + HOUR };
    const alert = failedAlert({ heldBy, flow: { ...failedAlert().flow, labels: { team: 'growth' } } });
    const details = trigger(alert).payload.custom_details;
    expect(details).toEqual({
      flow: { id: 689422, name: 'Events to Snowflake' },
      kind: 'failed',
      attempt: {
        id: 632458,
        trigger: 'scheduled',
        state: 'failed',
        createdAt: '2026-11-29T07:47:48.000Z',
        completedAt: '2026-11-29T08:52:48.000Z',
        duration: '1h 5m',
      },
      errors: ['SQL compilation error: Table EVENTS does not exist', 'Load aborted after 1 error'],
      resources: ['orders: 1,200 extracted · 1,190 loaded', 'customers: no row counts'],
      labels: { team: 'growth' },
      held: 'held by silence s-1a2b3c4d from 2026-11-29 07:47:48 UTC to 2026-11-29 08:47:48 UTC; sent now that it ended and the incident is still open',
      description: expect.stringContaining('Attempt 632458 of Events to Snowflake failed.') as unknown,
    });
    expect(details.description).toContain('Open in Portable: https://app.portable.io/flows/689422');
  });

  it('lists the resources a partial load is about with their own errors, and counts errors beyond twenty', () => {
    expect(trigger(partialAlert()).payload.custom_details.resources).toEqual([
      'orders: 1,200 extracted · 900 loaded (25% missing)',
      'customers: 500 extracted · 500 loaded — Row 17: value too long for column NAME',
    ]);
    const errors = Array.from({ length: 60 }, (_, index) => `error ${index}`);
    const details = trigger(failedAlert({ attempt: attempt({ errors }) })).payload.custom_details;
    expect(details.errors).toEqual([...errors.slice(0, 20), '… and 40 more errors']);
  });

  it('stays far below PagerDuty’s 512 KB with enormous Portable text', () => {
    const errors = Array.from({ length: 200 }, () => 'e'.repeat(20_000));
    const resources = Array.from({ length: 1_000 }, (_, index) => ({ name: `r${index}${'n'.repeat(1000)}`, extracted: 1, analyzed: null, loaded: 1 }));
    const event = trigger(failedAlert({ flow: { id: 1, name: 'n'.repeat(100_000) }, attempt: attempt({ errors, resources }) }));
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(100_000);
  });
});

describe('which events an alert becomes', () => {
  const incidentAlerts = {
    failure: failedAlert({ key: 'f42-a9-failed' }),
    followUp: failedAlert({ key: 'f42-a10-failed', incident: 'f42-a9-failed' }),
    recovery: { ...recoveredAlert(), key: 'f42-a11-recovered', incident: 'f42-a9-failed' },
  };

  it('triggers a failure and the failures after it, and resolves the recovery, all under the first failure’s key', () => {
    const events = Object.values(incidentAlerts).flatMap((alert) => renderPagerDutyEvents(alert, ROUTING_KEY));
    expect(events.map((event) => [event.event_action, event.dedup_key])).toEqual([
      ['trigger', 'portable-watch:f42-a9-failed'],
      ['trigger', 'portable-watch:f42-a9-failed'],
      ['resolve', 'portable-watch:f42-a9-failed'],
    ]);
    expect(events[2]).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'portable-watch:f42-a9-failed' });
  });

  it('sends nothing for a reminder, but triggers an alert a silence held', () => {
    const reminder = { ...incidentAlerts.followUp, reminder: { number: 1, since: STARTED_AT } };
    expect(renderPagerDutyEvents(reminder, ROUTING_KEY)).toEqual([]);
    const held = { ...incidentAlerts.failure, heldBy: { what: 'silence s-1', heldAt: STARTED_AT, releasedAt: STARTED_AT + HOUR } };
    expect(renderPagerDutyEvents(held, ROUTING_KEY).map((event) => event.event_action)).toEqual(['trigger']);
  });

  it('triggers a test alert at info and resolves it at once, under its own key', () => {
    const events = renderPagerDutyEvents(testAlert(), ROUTING_KEY);
    const key = `portable-watch:test-${STARTED_AT + HOUR + 6 * 60_000}`;
    expect(events.map((event) => [event.event_action, event.dedup_key])).toEqual([['trigger', key], ['resolve', key]]);
    expect(events[0]).toMatchObject({ payload: { severity: 'info', class: 'test' }, links: [] });
  });

  it('makes a dedup_key of at most 255 characters from a long incident key, the same every time and unlike another’s', () => {
    const long = `f42-${'x'.repeat(400)}`;
    const key = pagerDutyDedupKey({ key: 'k', incident: `${long}-a` });
    expect(key.length).toBeLessThanOrEqual(255);
    expect(key.startsWith('portable-watch:f42-xxx')).toBe(true);
    expect(pagerDutyDedupKey({ key: `${long}-a` })).toBe(key);
    expect(pagerDutyDedupKey({ key: `${long}-b` })).not.toBe(key);
  });
});

describe('the severity PagerDuty is told', () => {
  it.each<[AlertKind, Severity | undefined, string]>([
    ['failed', 'critical', 'critical'],
    ['failed', 'warning', 'warning'],
    ['failed', 'info', 'info'],
    ['partial', 'critical', 'critical'],
    ['failed', undefined, 'critical'],
    ['stalled', undefined, 'critical'],
    ['missed', undefined, 'critical'],
    ['partial', undefined, 'warning'],
    ['volume', undefined, 'warning'],
    ['unknown-outcome', undefined, 'warning'],
    ['monitor-error', undefined, 'warning'],
    ['test', undefined, 'info'],
    ['test', 'critical', 'info'],
  ])('%s with routed severity %s pages as %s', (kind, severity, expected) => {
    const alert = failedAlert({ kind, ...(severity === undefined ? {} : { severity }) });
    expect(pagerDutySeverity(alert)).toBe(expected);
    if (kind !== 'test') expect(trigger(alert).payload.severity).toBe(expected);
  });

  it('pages a volume drop routed as critical as critical', () => {
    expect(trigger({ ...volumeAlert(), severity: 'critical' }).payload.severity).toBe('critical');
  });
});
