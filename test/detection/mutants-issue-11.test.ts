import { describe, expect, it } from 'vitest';
import { alertAttempt, detectRunEvents, learningWindow, type DetectionSettings } from '../../src/detection/detect-run-events.ts';
import { judgeSuccess } from '../../src/detection/detect-quality.ts';
import { cronProblem, findMissedRuns, resolveSchedule } from '../../src/detection/expected-runs.ts';
import type { Schedule } from '../../src/detection/schedule.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import { emptyHistory } from '../../src/detection/run-history.ts';
import { percentileOfSorted } from '../../src/detection/robust-stats.ts';
import type { RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const flow = { id: 7, name: 'Orders' };
const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: 24 * HOUR, sendOnResolved: true };

function attempt(id: number, state: RunState, createdAgo: number, extra: Partial<RunAttempt> = {}): RunAttempt {
  const finished = state === 'succeeded' || state === 'failed';
  return {
    id,
    flowId: flow.id,
    trigger: 'scheduled',
    state,
    createdAt: NOW - createdAgo,
    createdAtUnreadable: false,
    completedAt: finished ? NOW - createdAgo + 5 * MIN : null,
    resources: [],
    errors: [],
    anomalies: [],
    ...extra,
  };
}

describe('learningWindow', () => {
  const cases: Array<{ name: string; settings: Partial<DetectionSettings>; learns: boolean }> = [
    { name: 'auto maxRuntime with stalled learns', settings: { maxRuntime: 'auto', detect: ['stalled'] }, learns: true },
    { name: 'volume learns', settings: { detect: ['volume'] }, learns: true },
    { name: 'fixed maxRuntime with stalled does not', settings: { detect: ['stalled'] }, learns: false },
  ];
  it.each(cases)('$name', ({ settings: extra, learns }) => {
    expect(learningWindow({ ...settings, ...extra }) > 0).toBe(learns);
  });
});

describe('detectRunEvents state', () => {
  it('a first check records history as learned from checkpoint minus the learning window', () => {
    const result = detectRunEvents({ flow, settings, attempts: [], state: initialFlowState(), now: NOW, checkpoint: NOW });
    expect(learningWindow(settings)).toBeGreaterThan(0);
    expect(result.state.historySince).toBe(NOW - learningWindow(settings));
  });

  // lastRun is the latest attempt by createdAt, ids breaking ties; a re-sighting of the same attempt refreshes it.
  const lastRunCases: Array<{ name: string; previous: { id: number; ago: number; completedAt: number | null }; seen: RunAttempt; expected: { attemptId: number; completedAt: number | null } }> = [
    { name: 'an older attempt does not replace it', previous: { id: 5, ago: HOUR, completedAt: null }, seen: attempt(4, 'succeeded', 2 * HOUR), expected: { attemptId: 5, completedAt: null } },
    { name: 'an older attempt with a higher id does not replace it', previous: { id: 5, ago: HOUR, completedAt: null }, seen: attempt(9, 'succeeded', 2 * HOUR), expected: { attemptId: 5, completedAt: null } },
    { name: 'a later attempt replaces it', previous: { id: 5, ago: 2 * HOUR, completedAt: null }, seen: attempt(6, 'succeeded', HOUR), expected: { attemptId: 6, completedAt: NOW - HOUR + 5 * MIN } },
    { name: 'same millisecond, lower id does not replace it', previous: { id: 5, ago: HOUR, completedAt: null }, seen: attempt(4, 'succeeded', HOUR), expected: { attemptId: 5, completedAt: null } },
    { name: 'same millisecond, higher id replaces it', previous: { id: 5, ago: HOUR, completedAt: null }, seen: attempt(6, 'succeeded', HOUR), expected: { attemptId: 6, completedAt: NOW - HOUR + 5 * MIN } },
    { name: 'the same attempt refreshes its end', previous: { id: 5, ago: HOUR, completedAt: null }, seen: attempt(5, 'succeeded', HOUR), expected: { attemptId: 5, completedAt: NOW - HOUR + 5 * MIN } },
  ];
  it.each(lastRunCases)('lastRun: $name', ({ previous, seen, expected }) => {
    const state: FlowState = {
      ...initialFlowState(),
      checkpoint: NOW - 10 * MIN,
      historySince: NOW - 10 * HOUR,
      watchingSince: NOW - 10 * HOUR,
      lastRun: { attemptId: previous.id, createdAt: NOW - previous.ago, completedAt: previous.completedAt },
    };
    const result = detectRunEvents({ flow, settings, attempts: [seen], state, now: NOW, checkpoint: NOW });
    expect(result.state.lastRun).toMatchObject(expected);
  });
});

describe('judgeSuccess ending quality incidents', () => {
  const rulesOff = { partial: false, volume: false, partialTolerance: 0, sendOnResolved: true };
  const cases: Array<{ name: string; id: number; rules: typeof rulesOff; kinds: string[]; open: boolean }> = [
    { name: 'the same attempt again does not end them', id: 5, rules: { ...rulesOff, partial: true, volume: true }, kinds: [], open: true },
    { name: 'an earlier attempt does not end them', id: 4, rules: { ...rulesOff, partial: true, volume: true }, kinds: [], open: true },
    { name: 'a later attempt ends them with recoveries', id: 6, rules: { ...rulesOff, partial: true, volume: true }, kinds: ['recovered', 'recovered'], open: false },
    { name: 'rules switched off end them silently', id: 6, rules: rulesOff, kinds: [], open: false },
  ];
  it.each(cases)('$name', ({ id, rules, kinds, open }) => {
    const judged = attempt(id, 'succeeded', HOUR);
    const incident = { attemptId: 5, since: NOW - 2 * HOUR };
    const result = judgeSuccess({
      flow,
      attempt: judged,
      alertAttempt: alertAttempt(judged, NOW),
      history: emptyHistory(),
      incidents: { partial: incident, volume: incident },
      rules,
      now: NOW,
    });
    expect(result.alerts.map((alert) => alert.kind)).toEqual(kinds);
    expect(result.incidents.partial !== null).toBe(open);
    expect(result.incidents.volume !== null).toBe(open);
  });
});

describe('expected runs', () => {
  it('a configured cron is kept trimmed', () => {
    expect(resolveSchedule({ kind: 'cron', expression: ' 0 6 * * * ' }, undefined, 'UTC')).toMatchObject({ expression: '0 6 * * *' });
  });

  it('answers for different missedAfter values are not confused', () => {
    const schedule: Schedule = { kind: 'cron', expression: '0 * * * *', timezone: 'UTC', source: 'config' };
    const since = Date.UTC(2031, 0, 1, 0, 30);
    const now = since + HOUR;
    expect(findMissedRuns(schedule, { since, now, missedAfter: 5 * HOUR })).toBeUndefined();
    expect(findMissedRuns(schedule, { since, now, missedAfter: MIN })).toMatchObject({ expectedAt: Date.UTC(2031, 0, 1, 1, 0) });
  });

  it('a short gap under the cap is not reported as capped', () => {
    const schedule: Schedule = { kind: 'cron', expression: '0 * * * *', timezone: 'UTC', source: 'config' };
    const since = Date.UTC(2032, 0, 1, 0, 30);
    expect(findMissedRuns(schedule, { since, now: since + 4 * HOUR, missedAfter: MIN })).toMatchObject({ slots: 4, slotsCapped: false });
  });

  const problems: Array<{ expression: string; timezone: string; problem: RegExp }> = [
    { expression: '0 6 * * *', timezone: 'Mars/Olympus', problem: /^unknown time zone "Mars\/Olympus"/ },
    { expression: '5', timezone: 'UTC', problem: /has 1 field; expected 5/ },
    { expression: '5 6', timezone: 'UTC', problem: /has 2 fields; expected 5/ },
  ];
  it.each(problems)('cronProblem($expression, $timezone)', ({ expression, timezone, problem }) => {
    expect(cronProblem(expression, timezone)).toMatch(problem);
  });
});

describe('percentileOfSorted', () => {
  it('names the bad percentile', () => {
    expect(() => percentileOfSorted([1, 2], 101)).toThrow('percentile must be between 0 and 100, got 101');
  });
});
