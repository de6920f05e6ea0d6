import { describe, expect, it } from 'vitest';
import type { UnsentAlert } from '../../src/delivery/read-unsent-alerts.ts';
import { renderAlertsJson } from '../../src/status/render-alerts-json.ts';
import { renderAlertsTable } from '../../src/status/render-alerts-table.ts';

const NOW = Date.parse('2026-11-29T12:00:00.000Z');
const M = 60_000;

const revoked: UnsentAlert = {
  jobId: 'f201-a1-failed.oncall',
  key: 'f201-a1-failed',
  kind: 'failed',
  scope: 'flow',
  flow: { id: 201, name: 'Events to Snowflake' },
  notifier: 'oncall',
  state: 'given-up',
  queuedAt: NOW - 5 * M,
  attempts: 1,
  maxAttempts: 30,
  lastError: 'Slack webhook for notifier "oncall" was revoked or deleted (404 no_service): create a new incoming webhook',
  lastTriedAt: NOW - 5 * M + 200,
};
const mailDown: UnsentAlert = {
  ...revoked,
  jobId: 'account-m1-monitor-error.data-team',
  key: 'account-m1-monitor-error',
  kind: 'monitor-error',
  scope: 'account',
  flow: null,
  notifier: 'data-team',
  state: 'retrying',
  queuedAt: NOW - 2 * 60 * M,
  attempts: 7,
  lastError: 'could not reach the SMTP server mail.example.com:587 (ECONNREFUSED)\u001b[2J',
};
const fresh: UnsentAlert = {
  ...revoked,
  jobId: 'f9-a2-stalled.oncall',
  key: 'f9-a2-stalled',
  kind: 'stalled',
  flow: { id: 9, name: 'A flow whose name is\u202e far longer than its column should have to hold' },
  state: 'waiting',
  queuedAt: NOW - 3_000,
  attempts: 0,
  lastError: null,
  lastTriedAt: null,
};

describe('renderAlertsTable', () => {
  it('lists each alert with state, kind, flow, notifier, age, attempts and the whole last error; says what to do about given-up ones', () => {
    expect(renderAlertsTable({ now: NOW, alerts: [revoked, mailDown, fresh] }).split('\n')).toEqual([
      'STATE     KIND           FLOW                              NOTIFIER   AGE  ATTEMPTS  LAST ERROR',
      'given up  failed         201 Events to Snowflake           oncall     5m   1/30      Slack webhook for notifier "oncall" was revoked or deleted (404 no_service): create a new incoming webhook',
      'retrying  monitor-error  account-wide                      data-team  2h   7/30      could not reach the SMTP server mail.example.com:587 (ECONNREFUSED) [2J',
      'waiting   stalled        9 A flow whose name is  far lon…  oncall     3s   0/30      —',
      '',
      '1 given up, 1 retrying, 1 waiting.',
      'Given-up alerts are not tried again by themselves. Fix what LAST ERROR says, then:',
      '  portable-watch alerts retry --notifier NAME    (or --all; a running worker sends them)',
    ]);
  });

  it('says so when nothing is unsent, and gives no retry advice without a given-up alert', () => {
    expect(renderAlertsTable({ now: NOW, alerts: [] })).toBe('No alerts waiting, retrying or given up.');
    expect(renderAlertsTable({ now: NOW, alerts: [fresh] })).not.toContain('alerts retry');
  });
});

describe('renderAlertsJson', () => {
  it('gives every field, times as epoch ms and ISO 8601, the age in ms, and counts by state', () => {
    const iso = (ms: number) => ({ ms, iso: new Date(ms).toISOString() });
    expect(JSON.parse(renderAlertsJson({ now: NOW, alerts: [mailDown, fresh] }))).toEqual({
      generatedAt: iso(NOW),
      counts: { waiting: 1, retrying: 1, givenUp: 0 },
      alerts: [
        {
          state: 'retrying',
          kind: 'monitor-error',
          scope: 'account',
          flow: null,
          notifier: 'data-team',
          key: 'account-m1-monitor-error',
          jobId: 'account-m1-monitor-error.data-team',
          queuedAt: iso(NOW - 2 * 60 * M),
          ageMs: 2 * 60 * M,
          attempts: 7,
          maxAttempts: 30,
          lastError: mailDown.lastError,
          lastTriedAt: iso(NOW - 5 * M + 200),
        },
        {
          state: 'waiting',
          kind: 'stalled',
          scope: 'flow',
          flow: fresh.flow,
          notifier: 'oncall',
          key: 'f9-a2-stalled',
          jobId: 'f9-a2-stalled.oncall',
          queuedAt: iso(NOW - 3_000),
          ageMs: 3_000,
          attempts: 0,
          maxAttempts: 30,
          lastError: null,
          lastTriedAt: null,
        },
      ],
    });
  });
});
