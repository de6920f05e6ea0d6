import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { detectRunEvents, type DetectionSettings } from '../../src/detection/detect-run-events.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import type { RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

/**
 * `alertAfter: N`: a flaky flow alerts only once N attempts in a row have failed, and a recovery is announced only
 * when a failure was.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const flow = { id: 7, name: 'Flaky CRM sync' };
const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: 24 * HOUR, sendOnResolved: true, alertAfter: 3 };

function attempt(id: number, state: RunState, createdAt: number): RunAttempt {
  const finished = state !== 'running' && state !== 'pending' && state !== 'unknown';
  return {
    id,
    flowId: flow.id,
    trigger: 'scheduled',
    state,
    createdAt,
    createdAtUnreadable: false,
    completedAt: finished ? createdAt + 5 * MIN : null,
    resources: [],
    errors: state === 'failed' ? [`error of ${id}`] : [],
    anomalies: [],
  };
}

/** One attempt per check, every 10 minutes after a first check that saw one success: the outcomes, in order. */
function story(outcomes: RunState[], s: DetectionSettings = settings) {
  let state = detectRunEvents({ flow, settings: s, attempts: [attempt(1, 'succeeded', NOW - HOUR)], state: initialFlowState(), now: NOW, checkpoint: NOW }).state;
  const alerts: Alert[][] = [];
  const streaks: number[] = [];
  outcomes.forEach((outcome, index) => {
    const at = NOW + (index + 1) * 10 * MIN;
    const result = detectRunEvents({ flow, settings: s, attempts: [attempt(index + 2, outcome, at - 8 * MIN)], state, now: at, checkpoint: at });
    alerts.push(result.alerts);
    streaks.push(result.state.failuresInARow);
    state = result.state;
  });
  return { alerts, kinds: alerts.map((list) => list.map((alert) => alert.kind).join(' ')), streaks, state };
}

describe('alertAfter over successive checks', () => {
  it.each([
    { name: 'two failures: quiet', outcomes: ['failed', 'failed'], kinds: ['', ''], streaks: [1, 2] },
    { name: 'the third failure in a row alerts', outcomes: ['failed', 'failed', 'failed'], kinds: ['', '', 'failed'], streaks: [1, 2, 3] },
    { name: 'each failure after that alerts as usual', outcomes: ['failed', 'failed', 'failed', 'failed'], kinds: ['', '', 'failed', 'failed'], streaks: [1, 2, 3, 4] },
    { name: 'a success between starts the count again', outcomes: ['failed', 'failed', 'succeeded', 'failed', 'failed'], kinds: ['', '', '', '', ''], streaks: [1, 2, 0, 1, 2] },
    { name: 'a recovery only after an alerted failure', outcomes: ['failed', 'failed', 'failed', 'succeeded'], kinds: ['', '', 'failed', 'recovered'], streaks: [1, 2, 3, 0] },
    { name: 'no recovery after quiet failures', outcomes: ['failed', 'failed', 'succeeded'], kinds: ['', '', ''], streaks: [1, 2, 0] },
    { name: 'a cancelled run neither counts nor breaks the row', outcomes: ['failed', 'ended', 'failed', 'failed'], kinds: ['', '', '', 'failed'], streaks: [1, 1, 2, 3] },
    { name: 'a run still going changes nothing', outcomes: ['failed', 'failed', 'running'], kinds: ['', '', ''], streaks: [1, 2, 2] },
  ] satisfies Array<{ name: string; outcomes: RunState[]; kinds: string[]; streaks: number[] }>)('$name', ({ outcomes, kinds, streaks }) => {
    const result = story(outcomes);
    expect(result.kinds).toEqual(kinds);
    expect(result.streaks).toEqual(streaks);
  });

  it('the alert says how many attempts in a row failed; with alertAfter 1 it says nothing of it', () => {
    const { alerts } = story(['failed', 'failed', 'failed', 'failed']);
    expect(alerts[2]?.[0]).toMatchObject({ key: 'f7-a4-failed', failuresInARow: 3 });
    expect(alerts[3]?.[0]).toMatchObject({ key: 'f7-a5-failed', failuresInARow: 4 });
    const plain = story(['failed'], { ...settings, alertAfter: undefined });
    expect(plain.kinds).toEqual(['failed']);
    expect(plain.alerts[0]?.[0]).not.toHaveProperty('failuresInARow');
    expect(story(['failed'], { ...settings, alertAfter: 1 }).alerts[0]?.[0]).not.toHaveProperty('failuresInARow');
  });

  it('quiet failures are still the last failure, and open no incident', () => {
    const { state } = story(['failed', 'failed']);
    expect(state.lastFailure).toEqual({ attemptId: 3, at: NOW + 20 * MIN - 8 * MIN + 5 * MIN });
    expect(state.incident).toBeNull();
  });

  it('the incident opens with the alerted failure and counts every failure since', () => {
    const { state } = story(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(state.incident).toMatchObject({ kind: 'failed', attemptId: 4, failures: 3 });
  });

  it('re-reading the same failures does not count them again', () => {
    const failures = [attempt(2, 'failed', NOW + MIN), attempt(3, 'failed', NOW + 2 * MIN)];
    const first = detectRunEvents({ flow, settings, attempts: failures, state: { ...initialFlowState(), checkpoint: NOW, historySince: 0 }, now: NOW + 3 * MIN, checkpoint: NOW + 3 * MIN });
    const again = detectRunEvents({ flow, settings, attempts: failures, state: first.state, now: NOW + 4 * MIN, checkpoint: NOW + 4 * MIN });
    expect([first.state.failuresInARow, again.state.failuresInARow]).toEqual([2, 2]);
    expect(again.alerts).toEqual([]);
  });
});

describe('alertAfter on a first check', () => {
  const first = (attempts: RunAttempt[], s: DetectionSettings = settings) =>
    detectRunEvents({ flow, settings: s, attempts, state: initialFlowState(), now: NOW, checkpoint: NOW });
  it.each([
    { name: 'already failing 3 times in a row: the latest alerts', states: ['succeeded', 'failed', 'failed', 'failed'], keys: ['f7-a4-failed'], streak: 3 },
    { name: 'failing twice in a row: quiet', states: ['succeeded', 'failed', 'failed'], keys: [], streak: 2 },
    { name: 'three failures, but not in a row', states: ['failed', 'succeeded', 'failed', 'failed'], keys: [], streak: 2 },
    { name: 'recovered before watching began', states: ['failed', 'failed', 'failed', 'succeeded'], keys: [], streak: 0 },
    { name: 'five in a row: one alert, for the latest', states: ['failed', 'failed', 'failed', 'failed', 'failed'], keys: ['f7-a5-failed'], streak: 5 },
  ] satisfies Array<{ name: string; states: RunState[]; keys: string[]; streak: number }>)('$name', ({ states, keys, streak }) => {
    const result = first(states.map((state, index) => attempt(index + 1, state, NOW - (states.length - index) * HOUR)));
    expect(result.alerts.map((alert) => alert.key)).toEqual(keys);
    expect(result.state.failuresInARow).toBe(streak);
  });

  it('failures older than backfill still count toward the row, though never alerted themselves', () => {
    const attempts = [attempt(1, 'failed', NOW - 30 * HOUR), attempt(2, 'failed', NOW - 29 * HOUR), attempt(3, 'failed', NOW - HOUR)];
    const result = first(attempts);
    expect(result.alerts.map((alert) => alert.key)).toEqual(['f7-a3-failed']);
    expect(result.alerts[0]?.failuresInARow).toBe(3);
  });

  it('an incident written before incidents counted failures counts its opening failure, then each one after', () => {
    const older: FlowState = {
      ...initialFlowState(),
      checkpoint: NOW,
      historySince: 0,
      failuresInARow: 3,
      incident: { kind: 'failed', attemptId: 1, attemptCreatedAt: NOW - HOUR, since: NOW - HOUR + 5 * MIN },
    };
    const result = detectRunEvents({ flow, settings, attempts: [attempt(2, 'failed', NOW + MIN)], state: older, now: NOW + 2 * MIN, checkpoint: NOW + 2 * MIN });
    expect(result.alerts.map((alert) => alert.key)).toEqual(['f7-a2-failed']);
    expect(result.state.incident?.failures).toBe(2);
  });
});
