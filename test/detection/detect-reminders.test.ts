import { describe, expect, it } from 'vitest';
import type { Alert, MissedRuns } from '../../src/alerts/alert.ts';
import { detectReminders } from '../../src/detection/detect-reminders.ts';
import { detectRunEvents, type DetectionSettings } from '../../src/detection/detect-run-events.ts';
import { initialFlowState, type FlowState, type MonitorIncident, type RunIncident } from '../../src/detection/flow-state.ts';
import type { RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

/** `repeatEvery`: one reminder per interval while an incident stays open, and none once it has closed. */

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const EVERY = 4 * HOUR;
const flow = { id: 42, name: 'Orders', labels: { team: 'growth' } };

const failedIncident: RunIncident = {
  kind: 'failed',
  attemptId: 9,
  attemptCreatedAt: NOW - 6 * HOUR,
  since: NOW - 5 * HOUR,
  failures: 3,
  trigger: 'scheduled',
  firstError: 'relation "orders" does not exist',
};
const stalledIncident: RunIncident = {
  kind: 'stalled',
  attemptId: 5,
  attemptCreatedAt: NOW - 7 * HOUR,
  since: NOW - 5 * HOUR,
  trigger: 'manual',
  runtime: { limitMs: 2 * HOUR, source: 'fixed' },
};
const missedFacts: MissedRuns = { lastRunAt: NOW - 9 * HOUR, since: NOW - 9 * HOUR, expectedAt: NOW - 8 * HOUR, slots: 1, graceMs: 6 * MIN, schedule: 'cron "0 * * * *" (UTC), from Portable' };
const monitor: MonitorIncident = { problem: 'not-found', message: 'flow 42 was not found (404)', since: NOW - 5 * HOUR, alerted: true, key: 'f42-m2' };
const running = { createdAt: NOW - 7 * HOUR, state: 'running' as const, stalledAlerted: true };

const state = (extra: Partial<FlowState>): FlowState => ({ ...initialFlowState(), checkpoint: NOW - MIN, ...extra });
const record = (lastAgo: number, sent = 0) => ({ openedAt: NOW - 9 * HOUR, sent, lastAt: NOW - lastAgo });

describe('detectReminders', () => {
  const runKey = 'f42-a9-failed';
  it.each([
    { name: 'reminders off: nothing, and no records', repeatEvery: null, flowState: state({ incident: failedIncident, reminders: { [runKey]: record(EVERY) } }), keys: [], records: {} },
    { name: 'no incident open: nothing', repeatEvery: EVERY, flowState: state({}), keys: [], records: {} },
    {
      name: 'an incident seen for the first time is entered, not reminded of',
      repeatEvery: EVERY,
      flowState: state({ incident: failedIncident }),
      keys: [],
      records: { [runKey]: { openedAt: NOW, sent: 0, lastAt: NOW } },
    },
    {
      name: 'a millisecond before the interval: nothing yet',
      repeatEvery: EVERY,
      flowState: state({ incident: failedIncident, reminders: { [runKey]: record(EVERY - 1) } }),
      keys: [],
      records: { [runKey]: record(EVERY - 1) },
    },
    {
      name: 'at the interval: the first reminder',
      repeatEvery: EVERY,
      flowState: state({ incident: failedIncident, reminders: { [runKey]: record(EVERY) } }),
      keys: ['f42-a9-failed-reminder-1'],
      records: { [runKey]: { openedAt: NOW - 9 * HOUR, sent: 1, lastAt: NOW } },
    },
    {
      name: 'after a long pause: one reminder, numbered on',
      repeatEvery: EVERY,
      flowState: state({ incident: failedIncident, reminders: { [runKey]: record(3 * EVERY, 2) } }),
      keys: ['f42-a9-failed-reminder-3'],
      records: { [runKey]: { openedAt: NOW - 9 * HOUR, sent: 3, lastAt: NOW } },
    },
    {
      name: 'the record of an incident that closed is dropped',
      repeatEvery: EVERY,
      flowState: state({ reminders: { [runKey]: record(EVERY, 1), 'f42-missed-1-reminder': record(EVERY) } }),
      keys: [],
      records: {},
    },
    {
      name: 'a stalled run still running',
      repeatEvery: EVERY,
      flowState: state({ incident: stalledIncident, known: { '5': running }, reminders: { 'f42-a5-stalled': record(EVERY) } }),
      keys: ['f42-a5-stalled-reminder-1'],
      records: { 'f42-a5-stalled': { openedAt: NOW - 9 * HOUR, sent: 1, lastAt: NOW } },
    },
    {
      name: 'a stalled run that was cancelled, nothing failing since: no longer reminded of',
      repeatEvery: EVERY,
      flowState: state({ incident: stalledIncident, known: { '5': { ...running, state: 'ended' } }, reminders: { 'f42-a5-stalled': record(EVERY) } }),
      keys: [],
      records: {},
    },
    {
      name: 'a stalled run forgotten after it failed: still failing',
      repeatEvery: EVERY,
      flowState: state({ incident: { ...stalledIncident, failures: 1 }, reminders: { 'f42-a5-stalled': record(EVERY) } }),
      keys: ['f42-a5-stalled-reminder-1'],
      records: { 'f42-a5-stalled': { openedAt: NOW - 9 * HOUR, sent: 1, lastAt: NOW } },
    },
    {
      name: 'a monitor error not alerted yet is no incident',
      repeatEvery: EVERY,
      flowState: state({ monitor: { ...monitor, alerted: false } }),
      keys: [],
      records: {},
    },
    {
      name: 'a run incident, a missed run and a monitor error at once: one reminder each',
      repeatEvery: EVERY,
      flowState: state({
        incident: failedIncident,
        missed: { expectedAt: NOW - 8 * HOUR, lastRunAt: NOW - 9 * HOUR, since: NOW - 8 * HOUR + 6 * MIN, facts: missedFacts },
        monitor,
        reminders: { [runKey]: record(EVERY), [`f42-missed-${NOW - 8 * HOUR}`]: record(EVERY), 'f42-m2-monitor-error': record(EVERY) },
      }),
      keys: ['f42-a9-failed-reminder-1', `f42-missed-${NOW - 8 * HOUR}-reminder-1`, 'f42-m2-monitor-error-reminder-1'],
      records: {
        [runKey]: { openedAt: NOW - 9 * HOUR, sent: 1, lastAt: NOW },
        [`f42-missed-${NOW - 8 * HOUR}`]: { openedAt: NOW - 9 * HOUR, sent: 1, lastAt: NOW },
        'f42-m2-monitor-error': { openedAt: NOW - 9 * HOUR, sent: 1, lastAt: NOW },
      },
    },
  ])('$name', ({ repeatEvery, flowState, keys, records }) => {
    const result = detectReminders({ flow, state: flowState, repeatEvery, now: NOW });
    expect(result.alerts.map((alert) => alert.key)).toEqual(keys);
    expect(result.reminders).toEqual(records);
  });
});

describe('what a reminder carries', () => {
  const remind = (flowState: FlowState, key: string) => detectReminders({ flow, state: { ...flowState, reminders: { [key]: record(EVERY, 1) } }, repeatEvery: EVERY, now: NOW }).alerts[0];

  it('a failed incident: the opening attempt as far as it is known, since when, and how many attempts failed', () => {
    expect(remind(state({ incident: failedIncident }), 'f42-a9-failed')).toStrictEqual({
      key: 'f42-a9-failed-reminder-2',
      incident: 'f42-a9-failed',
      kind: 'failed',
      flow,
      attempt: {
        id: 9,
        trigger: 'scheduled',
        state: 'failed',
        createdAt: NOW - 6 * HOUR,
        completedAt: NOW - 5 * HOUR,
        durationMs: HOUR,
        resources: [],
        errors: ['relation "orders" does not exist'],
      },
      reminder: { number: 2, since: NOW - 5 * HOUR, failedAttempts: 3 },
      detectedAt: NOW,
    });
  });

  it('a stalled incident: its limit, and the run as last seen, running for as long as it has', () => {
    const alert = remind(state({ incident: stalledIncident, known: { '5': running } }), 'f42-a5-stalled');
    expect(alert).toMatchObject({
      kind: 'stalled',
      maxRuntimeMs: 2 * HOUR,
      runtime: { limitMs: 2 * HOUR, source: 'fixed' },
      attempt: { id: 5, trigger: 'manual', state: 'running', completedAt: null, durationMs: 7 * HOUR, errors: [] },
      reminder: { number: 2, since: NOW - 5 * HOUR },
    });
    expect(alert?.reminder).not.toHaveProperty('failedAttempts');
  });

  it('a missed run: what its alert said; a monitor error: its problem', () => {
    const missed = { expectedAt: NOW - 8 * HOUR, lastRunAt: NOW - 9 * HOUR, since: NOW - 8 * HOUR + 6 * MIN, facts: missedFacts };
    expect(remind(state({ missed }), `f42-missed-${NOW - 8 * HOUR}`)).toMatchObject({ kind: 'missed', missed: missedFacts, reminder: { since: NOW - 8 * HOUR + 6 * MIN } });
    const older = remind(state({ missed: { ...missed, facts: undefined } }), `f42-missed-${NOW - 8 * HOUR}`);
    expect(older).toMatchObject({ kind: 'missed' });
    expect(older).not.toHaveProperty('missed');
    expect(remind(state({ monitor }), 'f42-m2-monitor-error')).toMatchObject({
      kind: 'monitor-error',
      monitor: { problem: 'not-found', message: 'flow 42 was not found (404)', since: NOW - 5 * HOUR, scope: 'flow' },
      reminder: { since: NOW - 5 * HOUR },
    });
  });
});

describe('reminders over a failing night', () => {
  const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: 24 * HOUR, sendOnResolved: true };
  const attempt = (id: number, runState: RunState, createdAt: number): RunAttempt => ({
    id,
    flowId: flow.id,
    trigger: 'scheduled',
    state: runState,
    createdAt,
    createdAtUnreadable: false,
    completedAt: createdAt + 5 * MIN,
    resources: [],
    errors: runState === 'failed' ? ['boom'] : [],
    anomalies: [],
  });

  it('checked every 30 minutes: a reminder every 4 hours, counting the failures, none after the recovery', () => {
    // A failure at 12:00, another at 17:00, a success at 22:40.
    const runs: Record<number, RunAttempt> = { 0: attempt(1, 'failed', NOW), 10: attempt(2, 'failed', NOW + 5 * HOUR), 21: attempt(3, 'succeeded', NOW + 10 * HOUR + 40 * MIN) };
    let flowState: FlowState = { ...initialFlowState(), checkpoint: NOW - MIN, historySince: 0 };
    const sent: Array<{ at: number; alert: Alert }> = [];
    for (let step = 0; step <= 26; step += 1) {
      const at = NOW + 6 * MIN + step * 30 * MIN;
      const fresh = runs[step];
      const detected = detectRunEvents({ flow, settings, attempts: fresh === undefined ? [] : [fresh], state: flowState, now: at, checkpoint: at });
      const reminded = detectReminders({ flow, state: detected.state, repeatEvery: EVERY, now: at });
      flowState = { ...detected.state, reminders: reminded.reminders };
      sent.push(...[...detected.alerts, ...reminded.alerts].map((alert) => ({ at, alert })));
    }
    expect(sent.map(({ at, alert }) => [(at - NOW - 6 * MIN) / HOUR, alert.key, alert.reminder?.failedAttempts])).toEqual([
      [0, 'f42-a1-failed', undefined],
      [4, 'f42-a1-failed-reminder-1', 1],
      [5, 'f42-a2-failed', undefined],
      [8, 'f42-a1-failed-reminder-2', 2],
      [10.5, 'f42-a3-recovered', undefined],
    ]);
    expect(flowState.reminders).toEqual({});
  });
});
