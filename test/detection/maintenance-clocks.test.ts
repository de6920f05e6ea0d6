import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { detectRunEvents, type DetectionSettings } from '../../src/detection/detect-run-events.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import type { Schedule } from '../../src/detection/schedule.ts';
import type { MaintenanceWindow } from '../../src/maintenance/maintenance-types.ts';
import type { RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

/**
 * Inside a maintenance window the stalled and missed clocks stand still: a run crossing a warehouse upgrade is not
 * stalled for the hours it waited, and a slot inside it is not missed until its grace has run outside it.
 */

const SECOND = 1_000;
const MIN = 60 * SECOND;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const flow = { id: 42, name: 'Orders' };
/** A Wednesday: no change of clocks near it. */
const MIDNIGHT = Date.UTC(2026, 5, 10);
const clock = (hours: number, minutes = 0, seconds = 0) => MIDNIGHT + hours * HOUR + minutes * MIN + seconds * SECOND;
/** Every night 02:00–04:00 UTC. */
const upgrade: MaintenanceWindow = { name: 'warehouse upgrade', cron: '0 2 * * *', durationMs: 2 * HOUR, timezone: 'UTC' };
const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: DAY, sendOnResolved: true, maintenance: [upgrade] };
const hourly: Schedule = { kind: 'cron', expression: '0 * * * *', timezone: 'UTC', source: 'config' };

function attempt(id: number, state: RunState, createdAt: number, completedAt: number | null = null): RunAttempt {
  return { id, flowId: flow.id, trigger: 'scheduled', state, createdAt, createdAtUnreadable: false, completedAt, resources: [], errors: [], anomalies: [] };
}

function check(input: { attempts: RunAttempt[]; at: number; settings?: DetectionSettings; schedule?: Schedule; state?: FlowState }) {
  const { at } = input;
  return detectRunEvents({
    flow,
    settings: input.settings ?? settings,
    attempts: input.attempts,
    state: input.state ?? { ...initialFlowState(), checkpoint: at - MIN, historySince: 0, watchingSince: at - DAY },
    now: at,
    checkpoint: at,
    schedule: input.schedule,
  });
}

describe('stalled: time inside a window does not count', () => {
  it.each([
    { name: 'begun 01:30, at 03:31: 2h01 elapsed, 1h31 of it inside', createdAt: clock(1, 30), at: clock(3, 31), pausedMs: undefined },
    { name: 'begun 01:30, at 05:30: exactly 2h outside the window is not yet stalled', createdAt: clock(1, 30), at: clock(5, 30), pausedMs: undefined },
    { name: 'begun 01:30, at 05:30:01: stalled, not counting 2h of maintenance', createdAt: clock(1, 30), at: clock(5, 30, 1), pausedMs: 2 * HOUR },
    { name: 'begun 23:00 the day before, at 03:00: 1h of maintenance so far', createdAt: clock(-1), at: clock(3), pausedMs: HOUR },
    { name: 'begun after the window: stalled as always, no pause said', createdAt: clock(4), at: clock(6, 0, 1), pausedMs: 0 },
    { name: 'begun inside it, at 05:00: only 1h counted', createdAt: clock(3), at: clock(5), pausedMs: undefined },
  ])('$name', ({ createdAt, at, pausedMs }) => {
    const [alert] = check({ attempts: [attempt(1, 'running', createdAt)], at }).alerts;
    if (pausedMs === undefined) {
      expect(alert).toBeUndefined();
      return;
    }
    expect(alert).toMatchObject({ key: 'f42-a1-stalled', kind: 'stalled', maxRuntimeMs: 2 * HOUR, attempt: { durationMs: at - createdAt } });
    // The limit is the same; the message can say how much maintenance time it left out.
    expect(alert?.runtime).toEqual(pausedMs === 0 ? { limitMs: 2 * HOUR, source: 'fixed' } : { limitMs: 2 * HOUR, source: 'fixed', pausedMs });
  });

  it('a run crossing the window, checked every 15 minutes, is called stalled once, 2h after its start plus the window', () => {
    let state: FlowState = { ...initialFlowState(), checkpoint: clock(1, 15), historySince: 0, watchingSince: clock(0) };
    const stalledAt: number[] = [];
    for (let at = clock(1, 30); at <= clock(7); at += 15 * MIN) {
      const result = check({ attempts: [attempt(1, 'running', clock(1, 30))], at, state });
      if (result.alerts.some((alert) => alert.kind === 'stalled')) stalledAt.push(at);
      state = result.state;
    }
    expect(stalledAt).toEqual([clock(5, 45)]);
    expect(state.incident).toMatchObject({ kind: 'stalled', runtime: { pausedMs: 2 * HOUR } });
  });

  it('a learned limit keeps what it learned and adds the pause', () => {
    const [alert] = check({ attempts: [attempt(1, 'running', clock(1, 30))], at: clock(5, 30, 1), settings: { ...settings, maxRuntime: 'auto' } }).alerts;
    expect(alert?.runtime).toEqual({ limitMs: 2 * HOUR, source: 'fallback', samples: 0, samplesNeeded: 10, pausedMs: 2 * HOUR });
  });

  it('a window in Paris time: Sunday 02:00–04:00 CEST is 00:00–02:00 UTC in June', () => {
    const sunday = Date.UTC(2026, 5, 7);
    const paris = { ...settings, maintenance: [{ ...upgrade, cron: '0 2 * * 0', timezone: 'Europe/Paris' }] };
    const run = [attempt(1, 'running', sunday - 30 * MIN)];
    expect(check({ attempts: run, at: sunday + 3 * HOUR + 30 * MIN, settings: paris }).alerts).toEqual([]);
    expect(check({ attempts: run, at: sunday + 3 * HOUR + 31 * MIN, settings: paris }).alerts.map((alert) => alert.kind)).toEqual(['stalled']);
  });
});

describe('missed: the grace clock stands still inside a window', () => {
  // The 01:00 run ran; the 02:00 slot falls inside the window. The hourly default grace is 6 minutes.
  const ranAtOne = [attempt(1, 'succeeded', clock(1), clock(1, 5))];
  it.each([
    { name: 'at 03:00, an hour into the window', at: clock(3), key: undefined, slots: 0 },
    { name: 'at 04:05: 5 minutes of grace outside the window', at: clock(4, 5), key: undefined, slots: 0 },
    { name: 'at 04:06: the grace has run outside it', at: clock(4, 6), key: `f42-missed-${clock(2)}`, slots: 1 },
    { name: 'at 05:06: slots are counted as if the clock had stood still', at: clock(5, 6), key: `f42-missed-${clock(2)}`, slots: 2 },
  ])('$name', ({ at, key, slots }) => {
    const alerts = check({ attempts: ranAtOne, at, schedule: hourly }).alerts;
    expect(alerts.map((alert) => alert.key)).toEqual(key === undefined ? [] : [key]);
    if (key !== undefined) expect(alerts[0]?.missed).toMatchObject({ expectedAt: clock(2), slots, graceMs: 6 * MIN });
  });

  it('without the window the same gap is missed at 02:06, and counts every slot', () => {
    const without = { ...settings, maintenance: [] };
    expect(check({ attempts: ranAtOne, at: clock(2, 6), schedule: hourly, settings: without }).alerts.map((alert) => alert.key)).toEqual([`f42-missed-${clock(2)}`]);
    expect(check({ attempts: ranAtOne, at: clock(4, 6), schedule: hourly, settings: without }).alerts[0]?.missed?.slots).toBe(3);
  });

  it('a slot missed before the window opens is missed at once', () => {
    const ranAtMidnight = [attempt(1, 'succeeded', clock(0), clock(0, 5))];
    expect(check({ attempts: ranAtMidnight, at: clock(1, 6), schedule: hourly }).alerts.map((alert) => alert.key)).toEqual([`f42-missed-${clock(1)}`]);
  });
});

describe('a flow without windows', () => {
  const stories: Array<{ name: string; attempts: RunAttempt[]; at: number; schedule?: Schedule; keys: string[] }> = [
    { name: 'a stall', attempts: [attempt(1, 'running', clock(1, 30))], at: clock(3, 31), keys: ['f42-a1-stalled'] },
    { name: 'a missed run', attempts: [attempt(1, 'succeeded', clock(1), clock(1, 5))], at: clock(4, 6), schedule: hourly, keys: [`f42-missed-${clock(2)}`] },
    { name: 'a run within its limit', attempts: [attempt(1, 'running', clock(2))], at: clock(3), keys: [] },
  ];
  it.each(stories)('$name: no windows and an empty list detect the same, as before windows existed', ({ attempts, at, schedule, keys }) => {
    const before: DetectionSettings = { ...settings, maintenance: undefined };
    delete before.maintenance;
    const [absent, empty] = [before, { ...before, maintenance: [] }].map((s) => check({ attempts, at, schedule, settings: s }));
    expect(empty).toEqual(absent);
    expect(absent?.alerts.map((alert: Alert) => alert.key)).toEqual(keys);
  });
});
