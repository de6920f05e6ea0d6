import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_OVERLAP_MS,
  MAX_TRACKED_AGE_MS,
  UNFINISHED_MARGIN_MS,
  alertAttempt,
  detectRunEvents,
  fetchWindowStart,
  freshWindowStart,
  type DetectionSettings,
} from '../../src/detection/detect-run-events.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import type { RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const flow = { id: 689422, name: 'Events to Snowflake' };
const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: 24 * HOUR, sendOnResolved: true };
const baseSettings = settings;

function attempt(id: number, state: RunState, createdAgo: number, extra: Partial<RunAttempt> = {}): RunAttempt {
  const finished = state === 'succeeded' || state === 'failed' || state === 'ended' || state === 'unrecognised';
  return {
    id,
    flowId: flow.id,
    trigger: 'scheduled',
    state,
    createdAt: NOW - createdAgo,
    createdAtUnreadable: false,
    completedAt: finished ? NOW - createdAgo + 5 * MIN : null,
    resources: [],
    errors: state === 'failed' ? [`error of ${id}`] : [],
    anomalies: [],
    ...extra,
  };
}

/** Runs detection over successive snapshots, feeding each result's state into the next check. */
function story(steps: Array<{ at: number; attempts: RunAttempt[] }>, initial: FlowState = initialFlowState(), s = settings) {
  let state = initial;
  const keys: string[][] = [];
  for (const step of steps) {
    const result = detectRunEvents({ flow, settings: s, attempts: step.attempts, state, now: step.at, checkpoint: step.at });
    keys.push(result.alerts.map((alert) => alert.key));
    state = result.state;
  }
  return { keys, state };
}

describe('detectRunEvents on a first check', () => {
  const cases: Array<{ name: string; attempts: RunAttempt[]; settings?: Partial<DetectionSettings>; keys: string[] }> = [
    { name: 'healthy history alerts nothing', attempts: [attempt(1, 'succeeded', 3 * HOUR), attempt(2, 'succeeded', HOUR)], keys: [] },
    { name: 'a failure inside backfill alerts', attempts: [attempt(1, 'failed', 3 * HOUR)], keys: ['f689422-a1-failed'] },
    { name: 'a failure older than backfill is history', attempts: [attempt(1, 'failed', 25 * HOUR)], keys: [] },
    { name: 'a failure exactly backfill old is still inside it', attempts: [attempt(1, 'failed', 24 * HOUR)], keys: ['f689422-a1-failed'] },
    {
      name: 'of failures created in the same millisecond, the one with the higher id is the latest',
      attempts: [attempt(3, 'failed', HOUR), attempt(2, 'failed', HOUR)],
      keys: ['f689422-a3-failed'],
    },
    {
      name: 'a success created in the same millisecond as the failure, but with a higher id, came after it',
      attempts: [attempt(5, 'succeeded', HOUR), attempt(4, 'failed', HOUR)],
      keys: [],
    },
    {
      name: 'a failure created in the same millisecond as a success, but with a higher id, is wrong now',
      attempts: [attempt(4, 'succeeded', HOUR), attempt(5, 'failed', HOUR)],
      keys: ['f689422-a5-failed'],
    },
    {
      name: 'a run first seen unfinished after the 7 days it would be followed is alerted stalled, not lost track of',
      attempts: [attempt(1, 'running', 8 * DAY)],
      keys: ['f689422-a1-stalled'],
    },
    { name: 'backfill 0 ignores everything before now', attempts: [attempt(1, 'failed', MIN)], settings: { backfill: 0 }, keys: [] },
    { name: 'a run past maxRuntime is stalled', attempts: [attempt(1, 'running', 3 * HOUR)], keys: ['f689422-a1-stalled'] },
    { name: 'a pending run past maxRuntime is stalled', attempts: [attempt(1, 'pending', 3 * HOUR)], keys: ['f689422-a1-stalled'] },
    { name: 'a run within maxRuntime is fine', attempts: [attempt(1, 'running', HOUR)], keys: [] },
    { name: 'exactly maxRuntime is not yet stalled', attempts: [attempt(1, 'running', 2 * HOUR)], keys: [] },
    // A first check reports what is wrong now: history that recovered before watching began is not news.
    { name: 'a failure already followed by a success is history', attempts: [attempt(2, 'succeeded', HOUR), attempt(1, 'failed', 3 * HOUR)], keys: [] },
    {
      name: 'several failures, then a success: nothing',
      attempts: [attempt(1, 'failed', 5 * HOUR), attempt(2, 'failed', 4 * HOUR), attempt(3, 'failed', 3 * HOUR), attempt(4, 'succeeded', HOUR)],
      keys: [],
    },
    { name: 'success then failure: failed only', attempts: [attempt(1, 'succeeded', 3 * HOUR), attempt(2, 'failed', HOUR)], keys: ['f689422-a2-failed'] },
    {
      name: 'several failures in a row: one alert, for the latest',
      attempts: [attempt(1, 'failed', 5 * HOUR), attempt(2, 'succeeded', 4 * HOUR), attempt(3, 'failed', 3 * HOUR), attempt(4, 'failed', 2 * HOUR)],
      keys: ['f689422-a4-failed'],
    },
    {
      name: 'a failure older than backfill does not count as the latest; the one inside it does',
      attempts: [attempt(1, 'failed', 25 * HOUR), attempt(2, 'failed', HOUR)],
      keys: ['f689422-a2-failed'],
    },
    {
      name: 'a failed run, then one running past maxRuntime: both are wrong now',
      attempts: [attempt(1, 'failed', 4 * HOUR), attempt(2, 'running', 3 * HOUR)],
      keys: ['f689422-a1-failed', 'f689422-a2-stalled'],
    },
    {
      name: 'a failure, a success, then a run past maxRuntime: only the stall',
      attempts: [attempt(1, 'failed', 5 * HOUR), attempt(2, 'succeeded', 4 * HOUR), attempt(3, 'running', 3 * HOUR)],
      keys: ['f689422-a3-stalled'],
    },
    {
      name: 'a run hung past maxRuntime is stalled even when a later run succeeded',
      attempts: [attempt(1, 'running', 5 * HOUR), attempt(2, 'succeeded', HOUR)],
      keys: ['f689422-a1-stalled'],
    },
    {
      name: 'a cancelled run after a failure settles nothing: the failure is still the latest outcome',
      attempts: [attempt(1, 'failed', 3 * HOUR), attempt(2, 'ended', HOUR)],
      keys: ['f689422-a1-failed'],
    },
    {
      name: 'an unknown outcome before the latest success is history',
      attempts: [attempt(1, 'unrecognised', 3 * HOUR, { unrecognised: 'disposition "cancelled"' }), attempt(2, 'succeeded', HOUR)],
      keys: [],
    },
    { name: 'ended (cancelled) alerts nothing', attempts: [attempt(1, 'ended', HOUR)], keys: [] },
    { name: 'a state it cannot read, maybe unfinished, past maxRuntime is stalled', attempts: [attempt(1, 'unknown', 5 * HOUR)], keys: ['f689422-a1-stalled'] },
    { name: 'a state it cannot read within maxRuntime is fine', attempts: [attempt(1, 'unknown', HOUR)], keys: [] },
    {
      name: 'a finished attempt with an outcome it does not know is an unknown-outcome alert',
      attempts: [attempt(1, 'unrecognised', HOUR, { unrecognised: 'disposition "cancelled"' })],
      keys: ['f689422-a1-unknown-outcome'],
    },
    { name: 'an unknown outcome older than backfill is history', attempts: [attempt(1, 'unrecognised', 25 * HOUR)], keys: [] },
    { name: 'a run already hung longer than backfill is still stalled', attempts: [attempt(1, 'running', 30 * HOUR)], keys: ['f689422-a1-stalled'] },
    {
      name: 'a pending run older than backfill but within maxRuntime is followed, not alerted',
      attempts: [attempt(1, 'pending', 90 * MIN)],
      settings: { backfill: HOUR },
      keys: [],
    },
  ];
  it.each(cases)('$name', ({ attempts, settings: override, keys }) => {
    const result = detectRunEvents({ flow, settings: { ...settings, ...override }, attempts, state: initialFlowState(), now: NOW, checkpoint: NOW });
    expect(result.alerts.map((alert) => alert.key)).toEqual(keys);
  });
});

describe('detectRunEvents: what a first check leaves behind', () => {
  const first = (attempts: RunAttempt[], s = settings) => detectRunEvents({ flow, settings: s, attempts, state: initialFlowState(), now: NOW, checkpoint: NOW });

  it('opens no incident for a failure that had recovered, but records it as the last failure', () => {
    const { alerts, state } = first([attempt(1, 'failed', 3 * HOUR), attempt(2, 'failed', 2 * HOUR), attempt(3, 'succeeded', HOUR)]);
    expect(alerts).toEqual([]);
    expect(state.incident).toBeNull();
    expect(state.lastFailure).toEqual({ attemptId: 2, at: NOW - 2 * HOUR + 5 * MIN });
  });

  it('the incident of the failure it alerts refers to that attempt, and a later success recovers it', () => {
    const opened = first([attempt(1, 'failed', 3 * HOUR), attempt(2, 'failed', 2 * HOUR)]);
    expect(opened.state.incident).toMatchObject({ kind: 'failed', attemptId: 2 });
    const { keys, state } = story([{ at: NOW + MIN, attempts: [attempt(3, 'succeeded', -30_000)] }], opened.state);
    expect(keys).toEqual([['f689422-a3-recovered']]);
    expect(state.incident).toBeNull();
  });

  it('a success on a first check does not end the stall of a run still hung; that run succeeding later does', () => {
    const hung = attempt(1, 'running', 5 * HOUR);
    const opened = first([hung, attempt(2, 'succeeded', HOUR)]);
    expect(opened.state.incident).toMatchObject({ kind: 'stalled', attemptId: 1 });
    const { keys } = story([{ at: NOW + MIN, attempts: [{ ...hung, state: 'succeeded', completedAt: NOW }] }], opened.state);
    expect(keys).toEqual([['f689422-a1-recovered']]);
  });

  it('records no failure older than backfill, and never moves the last failure back to an older one', () => {
    expect(first([attempt(1, 'failed', 25 * HOUR)]).state.lastFailure).toBeNull();
    const { state } = story([
      { at: NOW, attempts: [attempt(1, 'failed', 30 * MIN), attempt(2, 'running', HOUR)] },
      { at: NOW + MIN, attempts: [attempt(3, 'failed', -30_000)] },
      // The open attempt 2 widens the window back over attempt 1, which is read again.
      { at: NOW + 2 * MIN, attempts: [attempt(1, 'failed', 30 * MIN), attempt(2, 'running', HOUR), attempt(3, 'failed', -30_000)] },
    ]);
    expect(state.lastFailure).toEqual({ attemptId: 3, at: NOW + 30_000 + 5 * MIN });
  });

  it('of failures that ended in the same millisecond, records the one with the higher id, whichever began first', () => {
    const end = { completedAt: NOW - 30 * MIN };
    const higherFirst = first([attempt(5, 'failed', 3 * HOUR, end), attempt(4, 'failed', 2 * HOUR, end), attempt(6, 'succeeded', 10 * MIN)]);
    expect(higherFirst.state.lastFailure).toEqual({ attemptId: 5, at: NOW - 30 * MIN });
    const higherLast = first([attempt(4, 'failed', 3 * HOUR, end), attempt(5, 'failed', 2 * HOUR, end), attempt(6, 'succeeded', 10 * MIN)]);
    expect(higherLast.state.lastFailure).toEqual({ attemptId: 5, at: NOW - 30 * MIN });
  });

  it('records the failure that ended last, even when it began first and has the lower id', () => {
    const { state } = first([attempt(4, 'failed', 3 * HOUR, { completedAt: NOW - 30 * MIN }), attempt(5, 'failed', 2 * HOUR), attempt(6, 'succeeded', 10 * MIN)]);
    expect(state.lastFailure).toEqual({ attemptId: 4, at: NOW - 30 * MIN });
  });

  it('after the first check, a failure and a success in one answer are both announced, as before', () => {
    const opened = first([attempt(1, 'succeeded', HOUR)]);
    const later = story([{ at: NOW + 10 * MIN, attempts: [attempt(2, 'failed', -MIN), attempt(3, 'succeeded', -2 * MIN)] }], opened.state);
    expect(later.keys).toEqual([['f689422-a2-failed', 'f689422-a3-recovered']]);
    const quiet = story([{ at: NOW + 10 * MIN, attempts: [attempt(2, 'failed', -MIN), attempt(3, 'succeeded', -2 * MIN)] }], opened.state, { ...settings, sendOnResolved: false });
    expect(quiet.keys).toEqual([['f689422-a2-failed']]);
  });
});

describe('detectRunEvents over time', () => {
  it('alerts a failure once however often it is re-read', () => {
    const failed = attempt(1, 'failed', 10 * MIN);
    const { keys } = story([
      { at: NOW, attempts: [failed] },
      { at: NOW + MIN, attempts: [failed] },
      { at: NOW + 2 * MIN, attempts: [failed] },
    ]);
    expect(keys).toEqual([['f689422-a1-failed'], [], []]);
  });

  it('alerts a stall once, then the failure of the same run separately, then the recovery', () => {
    const { keys, state } = story([
      { at: NOW, attempts: [attempt(1, 'running', 3 * HOUR)] },
      { at: NOW + MIN, attempts: [attempt(1, 'running', 3 * HOUR + MIN)] },
      { at: NOW + 2 * MIN, attempts: [attempt(1, 'failed', 3 * HOUR + 2 * MIN)] },
      { at: NOW + 3 * MIN, attempts: [attempt(1, 'failed', 3 * HOUR + 3 * MIN), attempt(2, 'succeeded', 0)] },
    ]);
    expect(keys).toEqual([['f689422-a1-stalled'], [], ['f689422-a1-failed'], ['f689422-a2-recovered']]);
    expect(state.incident).toBeNull();
  });

  it('a recovery says which incident it ends: its kind, first attempt and since when', () => {
    const stalled = detectRunEvents({ flow, settings, attempts: [attempt(1, 'running', 3 * HOUR)], state: initialFlowState(), now: NOW, checkpoint: NOW });
    // What reminders repeat of the opening attempt is kept with the incident.
    expect(stalled.state.incident).toEqual({
      kind: 'stalled',
      attemptId: 1,
      attemptCreatedAt: NOW - 3 * HOUR,
      since: NOW,
      trigger: 'scheduled',
      runtime: { limitMs: 2 * HOUR, source: 'fixed' },
    });
    const fine = detectRunEvents({ flow, settings, attempts: [attempt(2, 'succeeded', -MIN)], state: stalled.state, now: NOW + 5 * MIN, checkpoint: NOW + 5 * MIN });
    expect(fine.alerts).toHaveLength(1);
    expect(fine.alerts[0]).toMatchObject({ kind: 'recovered', resolves: { kind: 'stalled', attemptId: 1, since: NOW }, attempt: { id: 2 } });
    // A failure's incident runs from when the failed attempt completed.
    const failed = detectRunEvents({ flow, settings, attempts: [attempt(3, 'failed', HOUR)], state: initialFlowState(), now: NOW, checkpoint: NOW });
    expect(failed.state.incident).toEqual({
      kind: 'failed',
      attemptId: 3,
      attemptCreatedAt: NOW - HOUR,
      since: NOW - HOUR + 5 * MIN,
      failures: 1,
      trigger: 'scheduled',
      firstError: 'error of 3',
    });
  });

  it('a stalled run that finally succeeds is a recovery', () => {
    const { keys } = story([
      { at: NOW, attempts: [attempt(1, 'running', 3 * HOUR)] },
      { at: NOW + MIN, attempts: [attempt(1, 'succeeded', 3 * HOUR)] },
    ]);
    expect(keys).toEqual([['f689422-a1-stalled'], ['f689422-a1-recovered']]);
  });

  it('a success older than the failure does not resolve it', () => {
    const { keys, state } = story([
      { at: NOW, attempts: [attempt(1, 'running', 30 * MIN), attempt(2, 'failed', 10 * MIN)] },
      { at: NOW + MIN, attempts: [attempt(1, 'succeeded', 31 * MIN), attempt(2, 'failed', 11 * MIN)] },
    ]);
    expect(keys).toEqual([['f689422-a2-failed'], []]);
    expect(state.incident).toMatchObject({ kind: 'failed', attemptId: 2 });
  });

  it('recovered refers to the first failure of the incident', () => {
    const { keys, state } = story([
      { at: NOW, attempts: [attempt(1, 'failed', 30 * MIN)] },
      // Attempts created after the previous check (negative "ago" = after NOW).
      { at: NOW + 2 * MIN, attempts: [attempt(2, 'failed', -MIN)] },
      { at: NOW + 4 * MIN, attempts: [attempt(2, 'failed', -MIN), attempt(3, 'succeeded', -3 * MIN)] },
    ]);
    expect(keys).toEqual([['f689422-a1-failed'], ['f689422-a2-failed'], ['f689422-a3-recovered']]);
    expect(state.incident).toBeNull();
    const open = story([
      { at: NOW, attempts: [attempt(1, 'failed', 30 * MIN)] },
      { at: NOW + 2 * MIN, attempts: [attempt(2, 'failed', -MIN)] },
    ]);
    expect(open.state.incident).toMatchObject({ kind: 'failed', attemptId: 1 });
  });

  it('an unknown outcome is alerted once, quoting the value', () => {
    const odd = attempt(1, 'unrecognised', 10 * MIN, { unrecognised: 'disposition "cancelled"' });
    const first = detectRunEvents({ flow, settings, attempts: [odd], state: initialFlowState(), now: NOW, checkpoint: NOW });
    expect(first.alerts[0]).toMatchObject({ kind: 'unknown-outcome', attempt: { id: 1, unrecognised: 'disposition "cancelled"' } });
    const again = detectRunEvents({ flow, settings, attempts: [odd], state: first.state, now: NOW + MIN, checkpoint: NOW + MIN });
    expect(again.alerts).toEqual([]);
  });

  it('keeps following an unfinished attempt an answer leaves out, and alerts its later failure', () => {
    const { keys } = story([
      { at: NOW, attempts: [attempt(1, 'running', 10 * MIN)] },
      { at: NOW + MIN, attempts: [] },
      { at: NOW + 20 * MIN, attempts: [attempt(1, 'failed', 10 * MIN)] },
    ]);
    expect(keys).toEqual([[], [], ['f689422-a1-failed']]);
  });

  it('lets go of an attempt unfinished after 7 days with one lost-track alert', () => {
    const hung = attempt(1, 'running', 7 * DAY - HOUR);
    const first = story([{ at: NOW, attempts: [hung] }]);
    expect(first.keys).toEqual([['f689422-a1-stalled']]);
    const later = story(
      [
        { at: NOW + 2 * HOUR, attempts: [] },
        { at: NOW + 3 * HOUR, attempts: [] },
      ],
      first.state,
    );
    expect(later.keys).toEqual([['f689422-a1-lost-track'], []]);
    expect(later.state.known['1']).toBeUndefined();
    const seen = story([{ at: NOW + 2 * HOUR, attempts: [hung] }], first.state);
    expect(seen.keys).toEqual([['f689422-a1-lost-track']]);
  });

  it('the lost-track alert says which attempt, why and how old it is', () => {
    const state: FlowState = { ...initialFlowState(), checkpoint: NOW - MIN, known: { '9': { createdAt: NOW - 8 * DAY, state: 'pending', stalledAlerted: true } } };
    const [alert] = detectRunEvents({ flow, settings, attempts: [], state, now: NOW, checkpoint: NOW }).alerts;
    expect(alert).toMatchObject({ kind: 'monitor-error', monitor: { problem: 'lost-track', scope: 'flow', since: NOW - 8 * DAY } });
    expect(alert?.monitor?.message).toBe(
      'lost track of attempt 9: no longer reported by Portable 8 days after it was created (last seen pending); portable-watch no longer follows it',
    );
    const hung = attempt(9, 'running', 7 * DAY + 6 * HOUR);
    const [still] = detectRunEvents({ flow, settings, attempts: [hung], state, now: NOW, checkpoint: NOW }).alerts;
    expect(still?.monitor?.message).toBe(
      'lost track of attempt 9: still unfinished 7 days after it was created (last seen running); portable-watch no longer follows it',
    );
  });

  it('follows an unfinished attempt for exactly 7 days, whether answers include it or leave it out', () => {
    const state: FlowState = { ...initialFlowState(), checkpoint: NOW - MIN, known: { '9': { createdAt: NOW - MAX_TRACKED_AGE_MS, state: 'running', stalledAlerted: true } } };
    const leftOut = detectRunEvents({ flow, settings, attempts: [], state, now: NOW, checkpoint: NOW });
    expect(leftOut.alerts).toEqual([]);
    expect(leftOut.state.known['9']).toBeDefined();
    const included = detectRunEvents({ flow, settings, attempts: [attempt(9, 'running', MAX_TRACKED_AGE_MS)], state, now: NOW, checkpoint: NOW });
    expect(included.alerts).toEqual([]);
    expect(included.state.known['9']).toBeDefined();
  });

  it('keeps a finished attempt with an unreadable createdAt for 7 days from its first sighting, then forgets it', () => {
    const seenAt = (ago: number): FlowState => ({ ...initialFlowState(), checkpoint: NOW - MIN, known: { '1': { createdAt: NOW - ago, state: 'failed', stalledAlerted: false } } });
    const resent = attempt(1, 'failed', 0, { createdAtUnreadable: true });
    const within = detectRunEvents({ flow, settings, attempts: [resent], state: seenAt(MAX_TRACKED_AGE_MS), now: NOW, checkpoint: NOW });
    expect(within.state.known['1']?.createdAt).toBe(NOW - MAX_TRACKED_AGE_MS);
    const after = detectRunEvents({ flow, settings, attempts: [resent], state: seenAt(MAX_TRACKED_AGE_MS + 1), now: NOW, checkpoint: NOW });
    expect(after.alerts).toEqual([]);
    expect(after.state.known['1']).toBeUndefined();
  });

  it('a finished attempt exactly at the start of the next window is remembered, so the next check does not alert it again', () => {
    const edge = attempt(1, 'failed', CHECKPOINT_OVERLAP_MS);
    const { keys, state } = story([
      { at: NOW, attempts: [edge] },
      { at: NOW + 10_000, attempts: [edge] },
    ]);
    expect(keys).toEqual([['f689422-a1-failed'], []]);
    expect(state.known['1']).toBeUndefined();
  });

  it('an alert carries the attempt with its duration: to completion when finished, so far when still running', () => {
    const failed = detectRunEvents({ flow, settings, attempts: [attempt(1, 'failed', HOUR)], state: initialFlowState(), now: NOW, checkpoint: NOW });
    expect(failed.alerts[0]?.attempt).toStrictEqual({
      id: 1,
      trigger: 'scheduled',
      state: 'failed',
      createdAt: NOW - HOUR,
      completedAt: NOW - HOUR + 5 * MIN,
      durationMs: 5 * MIN,
      resources: [],
      errors: ['error of 1'],
      unrecognised: undefined,
    });
    const running = detectRunEvents({ flow, settings, attempts: [attempt(2, 'running', 3 * HOUR)], state: initialFlowState(), now: NOW, checkpoint: NOW });
    expect(running.alerts[0]?.attempt).toMatchObject({ completedAt: null, durationMs: 3 * HOUR });
    // An ended attempt Portable gave no completion time has no duration, rather than a made-up one.
    expect(alertAttempt(attempt(3, 'failed', HOUR, { completedAt: null }), NOW).durationMs).toBeNull();
    // A completion stamped before creation (clock trouble at Portable) is a zero duration, not a negative one.
    expect(alertAttempt(attempt(4, 'failed', HOUR, { completedAt: NOW - 2 * HOUR }), NOW).durationMs).toBe(0);
  });

  it('judges an attempt whose createdAt could not be read by when it was first seen, and alerts it once', () => {
    const unreadable = (receivedAt: number) => attempt(1, 'failed', NOW - receivedAt, { createdAtUnreadable: true });
    const first = story([{ at: NOW, attempts: [unreadable(NOW)] }]);
    expect(first.keys).toEqual([['f689422-a1-failed']]);
    expect(first.state.known['1']?.createdAt).toBe(NOW);
    // Still re-sent by Portable an hour later, stamped with that answer's arrival: remembered, not alerted again.
    const later = story([{ at: NOW + HOUR, attempts: [unreadable(NOW + HOUR)] }], first.state);
    expect(later.keys).toEqual([[]]);
    expect(later.state.known['1']?.createdAt).toBe(NOW);
  });

  it('history older than a short backfill is not alerted by the next check either, which re-reads the overlap', () => {
    const failed = attempt(1, 'failed', 2 * MIN);
    const { keys } = story(
      [
        { at: NOW, attempts: [failed] },
        { at: NOW + 10_000, attempts: [failed] },
      ],
      initialFlowState(),
      { ...settings, backfill: 30_000 },
    );
    expect(keys).toEqual([[], []]);
  });

  it('moves the checkpoint to when the check began, not to when its answer arrived', () => {
    const result = detectRunEvents({ flow, settings, attempts: [], state: initialFlowState(), now: NOW + 10 * MIN, checkpoint: NOW });
    expect(result.state.checkpoint).toBe(NOW);
  });

  it('forgets finished attempts once they leave the overlap window, keeps unfinished ones', () => {
    const { state } = story([{ at: NOW, attempts: [attempt(1, 'succeeded', 2 * HOUR), attempt(2, 'succeeded', MIN), attempt(3, 'running', HOUR)] }]);
    expect(Object.keys(state.known).sort()).toEqual(['2', '3']);
    expect(state.checkpoint).toBe(NOW);
  });

  it('does not alert a finished attempt that is re-read only because an older run is still open', () => {
    const first = story([{ at: NOW, attempts: [attempt(1, 'running', HOUR), attempt(2, 'failed', 50 * MIN)] }]);
    expect(first.keys).toEqual([['f689422-a2-failed']]);
    // An hour later attempt 2 has left the known set, but the open attempt 1 widens the fetch back past it.
    expect(first.state.known['2']).toBeUndefined();
    const later = NOW + HOUR;
    const second = story([{ at: later, attempts: [attempt(1, 'running', HOUR), attempt(2, 'failed', 50 * MIN)] }], first.state);
    expect(second.keys).toEqual([[]]);
    expect(fetchWindowStart(first.state, settings, later)).toBe(NOW - HOUR - UNFINISHED_MARGIN_MS);
  });
});

describe('fetch windows', () => {
  // Without a rule that learns from history (volume, maxRuntime: auto), nothing reaches back to learnFrom.
  const settings: DetectionSettings = { ...baseSettings, detect: ['failed', 'stalled', 'missed', 'partial', 'unknown-outcome'] };
  it('first check looks back backfill for history; later ones from the checkpoint minus the overlap', () => {
    expect(freshWindowStart(initialFlowState(), settings, NOW)).toBe(NOW - 24 * HOUR);
    const state = { ...initialFlowState(), checkpoint: NOW - MIN, historySince: NOW - 30 * DAY };
    expect(freshWindowStart(state, settings, NOW)).toBe(NOW - MIN - CHECKPOINT_OVERLAP_MS);
    expect(fetchWindowStart(state, settings, NOW)).toBe(NOW - MIN - CHECKPOINT_OVERLAP_MS);
  });

  it('a first check asks as far back as unfinished runs are followed, or backfill when longer', () => {
    expect(fetchWindowStart(initialFlowState(), settings, NOW)).toBe(NOW - MAX_TRACKED_AGE_MS);
    expect(fetchWindowStart(initialFlowState(), { ...settings, backfill: 30 * DAY }, NOW)).toBe(NOW - 30 * DAY);
  });

  it('widens to a margin before the oldest unfinished attempt', () => {
    const state: FlowState = {
      ...initialFlowState(),
      checkpoint: NOW - MIN,
      historySince: NOW - 30 * DAY,
      known: { '7': { createdAt: NOW - 5 * HOUR, state: 'running', stalledAlerted: true }, '8': { createdAt: NOW - 9 * HOUR, state: 'succeeded', stalledAlerted: false } },
    };
    expect(fetchWindowStart(state, settings, NOW)).toBe(NOW - 5 * HOUR - UNFINISHED_MARGIN_MS);
  });
});
