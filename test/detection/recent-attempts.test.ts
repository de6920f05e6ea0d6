import { describe, expect, it } from 'vitest';
import { detectRunEvents, type DetectionSettings } from '../../src/detection/detect-run-events.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import { RECENT_ATTEMPTS, recordRecentAttempt, type RecentAttempt } from '../../src/detection/recent-attempts.ts';
import type { RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

/** The strip of the status page: the last finished attempts of a flow, kept in its state by detection. */

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const flow = { id: 42, name: 'Orders' };
const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: 24 * HOUR, sendOnResolved: true };

function attempt(id: number, state: RunState, createdAt: number, runsFor = 5 * MIN): RunAttempt {
  const finished = state !== 'running' && state !== 'pending';
  return {
    id,
    flowId: flow.id,
    trigger: 'scheduled',
    state,
    createdAt,
    createdAtUnreadable: false,
    completedAt: finished ? createdAt + runsFor : null,
    resources: [],
    errors: state === 'failed' ? ['boom'] : [],
    anomalies: [],
  };
}

describe('recordRecentAttempt', () => {
  const base: RecentAttempt[] = [
    [1, 's', 1000, 60],
    [2, 'f', 2000, 30],
  ];
  it.each<[string, Parameters<typeof recordRecentAttempt>[1], RecentAttempt[]]>([
    ['a success, in seconds', { id: 3, state: 'succeeded', createdAt: 3_000_400, completedAt: 3_090_900 }, [...base, [3, 's', 3000, 91]]],
    ['a failure created before the others goes first', { id: 9, state: 'failed', createdAt: 500_000, completedAt: 600_000 }, [[9, 'f', 500, 100], ...base]],
    ['an ended (cancelled) attempt without an end', { id: 4, state: 'ended', createdAt: 4_000_000, completedAt: null }, [...base, [4, 'e', 4000, null]]],
    ['an unknown outcome', { id: 5, state: 'unrecognised', createdAt: 5_000_000, completedAt: 5_001_000 }, [...base, [5, 'u', 5000, 1]]],
    ['the same attempt seen again replaces itself', { id: 2, state: 'failed', createdAt: 2_000_000, completedAt: 2_040_000 }, [[1, 's', 1000, 60], [2, 'f', 2000, 40]]],
    ['a running attempt changes nothing', { id: 6, state: 'running', createdAt: 6_000_000, completedAt: null }, base],
  ])('%s', (_name, input, expected) => {
    expect(recordRecentAttempt(base, input)).toEqual(expected);
  });

  it(`keeps the last ${RECENT_ATTEMPTS}`, () => {
    let recent: RecentAttempt[] = [];
    for (let id = 1; id <= 40; id += 1) recent = recordRecentAttempt(recent, { id, state: 'succeeded', createdAt: id * 1000, completedAt: id * 1000 + 1000 });
    expect(recent.map(([id]) => id)).toEqual(Array.from({ length: RECENT_ATTEMPTS }, (_, index) => index + 11));
  });
});

describe('detection keeps the strip', () => {
  function check(state: FlowState, attempts: RunAttempt[], now: number): FlowState {
    return detectRunEvents({ flow, settings, attempts, state, now, checkpoint: now }).state;
  }

  it('is full from the first check (its history), follows later runs once each, and waits for a run to finish', () => {
    const history = Array.from({ length: 35 }, (_, index) => attempt(100 + index, index % 7 === 3 ? 'failed' : 'succeeded', NOW - (35 - index) * HOUR));
    const first = check(initialFlowState(), history, NOW);
    expect(first.recent).toHaveLength(RECENT_ATTEMPTS);
    expect(first.recent[0]?.[0]).toBe(105);
    expect(first.recent.at(-1)).toEqual([134, 's', Math.floor((NOW - HOUR) / 1000), 300]);
    expect(first.recent.filter(([, outcome]) => outcome === 'f').map(([id]) => id)).toEqual([110, 117, 124, 131]);

    const running = attempt(200, 'running', NOW + MIN);
    const second = check(first, [...history.slice(-3), running], NOW + 2 * MIN);
    expect(second.recent).toEqual(first.recent);

    const failed = { ...running, state: 'failed' as const, completedAt: NOW + 3 * MIN, errors: ['boom'] };
    const third = check(second, [...history.slice(-3), failed], NOW + 4 * MIN);
    expect(third.recent.at(-1)).toEqual([200, 'f', Math.floor((NOW + MIN) / 1000), 120]);
    expect(third.recent).toHaveLength(RECENT_ATTEMPTS);
    // Read again in the next answer (the overlap): still one entry.
    const fourth = check(third, [...history.slice(-3), failed], NOW + 6 * MIN);
    expect(fourth.recent.filter(([id]) => id === 200)).toHaveLength(1);
  });
});
