import { describe, expect, it } from 'vitest';
import type { Alert, DetectKind } from '../../src/alerts/alert.ts';
import { CHECKPOINT_OVERLAP_MS, detectRunEvents, fetchWindowStart, type DetectionSettings } from '../../src/detection/detect-run-events.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import type { Schedule } from '../../src/detection/schedule.ts';
import type { ResourceCounts, RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

/**
 * Issue 11's rules inside detection, as tables and short stories: missed runs, partial loads, volume drops, learned
 * run times, the history they learn from and `detect`. The statistics themselves are tested beside their modules.
 */

const SECOND = 1_000;
const MIN = 60 * SECOND;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const flow = { id: 42, name: 'Orders' };
const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: 24 * HOUR, sendOnResolved: true };
const hourly: Schedule = { kind: 'cron', expression: '0 * * * *', timezone: 'UTC', source: 'portable' };

function rows(loaded: number, extracted = loaded, name = 'orders'): ResourceCounts {
  return { name, extracted, analyzed: extracted, loaded };
}

function attempt(id: number, state: RunState, createdAt: number, extra: Partial<RunAttempt> = {}): RunAttempt {
  const finished = state === 'succeeded' || state === 'failed';
  return {
    id,
    flowId: flow.id,
    trigger: 'scheduled',
    state,
    createdAt,
    createdAtUnreadable: false,
    completedAt: finished ? createdAt + 5 * MIN : null,
    resources: state === 'succeeded' ? [rows(1_000)] : [],
    errors: state === 'failed' ? ['boom'] : [],
    anomalies: [],
    ...extra,
  };
}

interface Step {
  at: number;
  attempts: RunAttempt[];
  schedule?: Schedule;
}

/** Detection over successive checks, each answer holding what Portable would return for the check's window. */
function story(steps: Step[], s: DetectionSettings = settings, initial: FlowState = initialFlowState()) {
  let state = initial;
  const alerts: Alert[][] = [];
  for (const step of steps) {
    const result = detectRunEvents({ flow, settings: s, attempts: step.attempts, state, now: step.at, checkpoint: step.at, schedule: step.schedule });
    alerts.push(result.alerts);
    state = result.state;
  }
  return { alerts, keys: alerts.map((list) => list.map((alert) => alert.key)), state };
}

/** `count` hourly successes ending an hour before NOW, with their loads. */
function pastHours(count: number, loads: (index: number) => number = () => 1_000, firstId = 1): RunAttempt[] {
  return Array.from({ length: count }, (_, index) =>
    attempt(firstId + index, 'succeeded', NOW - (count - index) * HOUR, { resources: [rows(loads(index))] }),
  );
}

describe('missed runs', () => {
  const lastSlot = NOW - HOUR; // 11:00; the 12:00 slot is NOW, its grace (6m) ends 12:06
  it.each([
    { name: 'within the grace after the expected time', at: NOW + 5 * MIN, keys: [] },
    { name: 'at the end of the grace', at: NOW + 6 * MIN, keys: [`f42-missed-${NOW}`] },
    { name: 'three slots later: still one incident', at: NOW + 3 * HOUR, keys: [`f42-missed-${NOW}`] },
  ])('no attempt since the 11:00 run, checked $name', ({ at, keys }) => {
    const { keys: got } = story([{ at, attempts: [attempt(1, 'succeeded', lastSlot)], schedule: hourly }]);
    expect(got).toEqual([keys]);
  });

  it('says when the flow last ran, when the first missing run was expected and how many are missing', () => {
    const { alerts } = story([{ at: NOW + 3 * HOUR + 10 * MIN, attempts: [attempt(1, 'succeeded', lastSlot)], schedule: hourly }]);
    expect(alerts[0]?.[0]?.missed).toMatchObject({ lastRunAt: lastSlot, expectedAt: NOW, slots: 4, graceMs: 6 * MIN });
    expect(alerts[0]?.[0]?.missed?.schedule).toContain('0 * * * *');
  });

  it('alerts one gap once, and its end when the next attempt is created, before what that attempt did', () => {
    const past = attempt(1, 'succeeded', lastSlot);
    const late = attempt(2, 'failed', NOW + 2 * HOUR + 20 * MIN);
    const { keys } = story([
      { at: NOW + 10 * MIN, attempts: [past], schedule: hourly },
      { at: NOW + 70 * MIN, attempts: [], schedule: hourly },
      { at: NOW + 2 * HOUR + 30 * MIN, attempts: [late], schedule: hourly },
      { at: NOW + 2 * HOUR + 31 * MIN, attempts: [late], schedule: hourly },
    ]);
    expect(keys).toEqual([[`f42-missed-${NOW}`], [], [`f42-missed-${NOW}-recovered`, 'f42-a2-failed'], []]);
  });

  it('expects nothing while a run is going on, nor without a schedule, nor when `missed` is not detected', () => {
    const running = attempt(1, 'running', lastSlot);
    expect(story([{ at: NOW + HOUR, attempts: [running], schedule: hourly }]).keys).toEqual([[]]);
    expect(story([{ at: NOW + 5 * HOUR, attempts: [attempt(1, 'succeeded', lastSlot)] }]).keys).toEqual([[]]);
    const detect: DetectKind[] = ['failed'];
    expect(story([{ at: NOW + 5 * HOUR, attempts: [attempt(1, 'succeeded', lastSlot)], schedule: hourly }], { ...settings, detect }).keys).toEqual([[]]);
  });

  it('counts from the end of a run that went past its next slot', () => {
    const long = attempt(1, 'succeeded', lastSlot, { completedAt: NOW + 20 * MIN });
    expect(story([{ at: NOW + 30 * MIN, attempts: [long], schedule: hourly }]).keys).toEqual([[]]);
    expect(story([{ at: NOW + HOUR + 6 * MIN, attempts: [long], schedule: hourly }]).keys).toEqual([[`f42-missed-${NOW + HOUR}`]]);
  });

  it('counts from when watching began when no run was ever seen', () => {
    const { keys, alerts } = story([
      { at: NOW - 30 * MIN, attempts: [], schedule: hourly },
      { at: NOW + 6 * MIN, attempts: [], schedule: hourly },
    ]);
    expect(keys).toEqual([[], [`f42-missed-${NOW}`]]);
    expect(alerts[1]?.[0]?.missed).toMatchObject({ lastRunAt: null, since: NOW - 30 * MIN });
  });

  it('drops an open gap without a word when the expectation goes away, and announces no recovery with sendOnResolved false', () => {
    const past = attempt(1, 'succeeded', lastSlot);
    expect(story([{ at: NOW + 10 * MIN, attempts: [past], schedule: hourly }, { at: NOW + 20 * MIN, attempts: [] }]).state.missed).toBeNull();
    const quiet = story(
      [
        { at: NOW + 10 * MIN, attempts: [past], schedule: hourly },
        { at: NOW + 20 * MIN, attempts: [attempt(2, 'running', NOW + 15 * MIN)], schedule: hourly },
      ],
      { ...settings, sendOnResolved: false },
    );
    expect(quiet.keys).toEqual([[`f42-missed-${NOW}`], []]);
    expect(quiet.state.missed).toBeNull();
  });

  it('honours a set missedAfter, and an "every" schedule counts from the latest run', () => {
    const every: Schedule = { kind: 'every', everyMs: HOUR, source: 'config' };
    const past = attempt(1, 'succeeded', NOW - HOUR - 20 * MIN, { completedAt: NOW - HOUR - 15 * MIN });
    const s = { ...settings, missedAfter: 30 * SECOND };
    expect(story([{ at: NOW - 15 * MIN + 29 * SECOND, attempts: [past], schedule: every }], s).keys).toEqual([[]]);
    expect(story([{ at: NOW - 15 * MIN + 30 * SECOND, attempts: [past], schedule: every }], s).keys).toEqual([[`f42-missed-${NOW - 15 * MIN}`]]);
  });
});

describe('partial loads', () => {
  const base = pastHours(3);
  it.each([
    { name: 'a resource loaded fewer rows than it extracted', resources: [rows(900, 1_000)], errors: [], partial: true },
    { name: 'a resource with an error', resources: [{ ...rows(10), errors: ['overflow'] }], errors: [], partial: true },
    { name: 'the attempt itself has errors', resources: [rows(10)], errors: ['1 row rejected'], partial: true },
    { name: 'everything extracted was loaded', resources: [rows(1_000)], errors: [], partial: false },
    { name: 'counts unknown', resources: [{ name: 'orders', extracted: 10, analyzed: null, loaded: null }], errors: [], partial: false },
  ])('$name', ({ resources, errors, partial }) => {
    const run = attempt(10, 'succeeded', NOW - 10 * MIN, { resources, errors });
    const { keys } = story([{ at: NOW - 30 * MIN, attempts: base }, { at: NOW, attempts: [run] }]);
    expect(keys[1]).toEqual(partial ? ['f42-a10-partial'] : []);
  });

  it('tolerates partialTolerance, not more', () => {
    const check = (loaded: number) =>
      story(
        [{ at: NOW - 30 * MIN, attempts: base }, { at: NOW, attempts: [attempt(10, 'succeeded', NOW - 10 * MIN, { resources: [rows(loaded, 1_000)] })] }],
        { ...settings, partialTolerance: 0.05 },
      ).keys[1];
    expect(check(950)).toEqual([]);
    expect(check(949)).toEqual(['f42-a10-partial']);
  });

  it('opens one incident, ended by the next full load; a failure in between does not end it', () => {
    const { keys, state } = story([
      { at: NOW - 30 * MIN, attempts: base },
      { at: NOW, attempts: [attempt(10, 'succeeded', NOW - 20 * MIN, { resources: [rows(1, 9)] })] },
      { at: NOW + 10 * MIN, attempts: [attempt(11, 'succeeded', NOW + 5 * MIN, { resources: [rows(2, 9)] })] },
      { at: NOW + 20 * MIN, attempts: [attempt(12, 'failed', NOW + 15 * MIN)] },
      { at: NOW + 30 * MIN, attempts: [attempt(13, 'succeeded', NOW + 25 * MIN)] },
    ]);
    expect(keys.slice(1)).toEqual([['f42-a10-partial'], ['f42-a11-partial'], ['f42-a12-failed'], ['f42-a13-recovered', 'f42-a13-recovered-partial']]);
    expect(state.partial).toBeNull();
  });

  it('on a first check judges only the latest success, inside backfill', () => {
    const older = attempt(1, 'succeeded', NOW - 3 * HOUR, { resources: [rows(1, 9)] });
    const latest = attempt(2, 'succeeded', NOW - 2 * HOUR, { resources: [rows(2, 9)] });
    expect(story([{ at: NOW, attempts: [older, latest] }]).keys).toEqual([['f42-a2-partial']]);
    expect(story([{ at: NOW, attempts: [older, latest] }], { ...settings, backfill: HOUR }).keys).toEqual([[]]);
  });
});

describe('volume drops', () => {
  const history = pastHours(12, (index) => 1_000 + index * 10);
  const judge = (loaded: number, past = history) =>
    story([{ at: NOW - 30 * MIN, attempts: past }, { at: NOW, attempts: [attempt(100, 'succeeded', NOW - 10 * MIN, { resources: [rows(loaded)] })] }]).keys[1];

  it('alerts a load of 0 or far below the usual, not an ordinary one', () => {
    expect(judge(0)).toEqual(['f42-a100-volume']);
    expect(judge(150)).toEqual(['f42-a100-volume']);
    expect(judge(900)).toEqual([]);
  });

  it('waits for 10 past loads', () => {
    expect(judge(0, pastHours(9))).toEqual([]);
    expect(judge(0, pastHours(10))).toEqual(['f42-a100-volume']);
  });

  it('learns from a history bootstrapped at the first check, and ends with a usual load', () => {
    const { keys, state } = story([
      { at: NOW, attempts: [...history, attempt(100, 'succeeded', NOW - 10 * MIN, { resources: [rows(0)] })] },
      { at: NOW + HOUR, attempts: [attempt(101, 'succeeded', NOW + 50 * MIN)] },
    ]);
    expect(keys).toEqual([['f42-a100-volume'], ['f42-a101-recovered-volume']]);
    expect(state.volume).toBeNull();
  });
});

describe('the history detection learns from', () => {
  it('takes each success once, whether the answer holds it again in the overlap or in a widened window', () => {
    const hung = attempt(1, 'running', NOW - 3 * DAY);
    const done = attempt(2, 'succeeded', NOW - 20 * MIN);
    const { state } = story([
      { at: NOW - 10 * MIN, attempts: [hung, done] },
      { at: NOW, attempts: [hung, done] },
      { at: NOW + 2 * HOUR, attempts: [hung, done, attempt(3, 'succeeded', NOW + HOUR)] },
    ]);
    expect(state.history.durations).toEqual([5 * MIN, 5 * MIN]);
  });

  it('is read back learnFrom on a first check, and once for a state written before history existed', () => {
    const auto: DetectionSettings = { ...settings, maxRuntime: 'auto', learnFrom: 30 * DAY };
    expect(fetchWindowStart(initialFlowState(), auto, NOW)).toBe(NOW - 30 * DAY);
    const upgraded: FlowState = { ...initialFlowState(), checkpoint: NOW - MIN };
    expect(fetchWindowStart(upgraded, auto, NOW)).toBe(NOW - 30 * DAY);
    const after = story([{ at: NOW, attempts: pastHours(12) }], auto, upgraded).state;
    expect(after.history.durations).toHaveLength(12);
    expect(fetchWindowStart(after, auto, NOW + MIN)).toBe(NOW - CHECKPOINT_OVERLAP_MS);
  });

  it('does not read further back than needed when no rule learns', () => {
    const plain: DetectionSettings = { ...settings, detect: ['failed', 'stalled', 'missed'] };
    expect(fetchWindowStart(initialFlowState(), plain, NOW)).toBe(NOW - 7 * DAY);
  });
});

describe('maxRuntime: auto', () => {
  const auto: DetectionSettings = { ...settings, maxRuntime: 'auto', autoFallback: HOUR };
  it('uses the fallback with fewer than 10 durations, and learns from the answer itself on a first check', () => {
    const running = (ago: number) => attempt(99, 'running', NOW - ago);
    expect(story([{ at: NOW, attempts: [...pastHours(9), running(50 * MIN)] }], auto).keys).toEqual([[]]);
    expect(story([{ at: NOW, attempts: [...pastHours(9), running(61 * MIN)] }], auto).keys).toEqual([['f42-a99-stalled']]);
    const learned = story([{ at: NOW, attempts: [...pastHours(10), running(11 * MIN)] }], auto);
    expect(learned.keys).toEqual([['f42-a99-stalled']]);
    expect(learned.alerts[0]?.[0]?.runtime).toMatchObject({ source: 'learned', limitMs: 10 * MIN, samples: 10 });
  });

  it('a fixed maxRuntime says so', () => {
    const { alerts } = story([{ at: NOW, attempts: [attempt(1, 'running', NOW - 3 * HOUR)] }]);
    expect(alerts[0]?.[0]).toMatchObject({ maxRuntimeMs: 2 * HOUR, runtime: { source: 'fixed', limitMs: 2 * HOUR } });
  });
});

describe('detect', () => {
  it.each<{ detect: DetectKind[]; keys: string[] }>([
    {
      detect: ['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome'],
      keys: ['f42-a20-failed', 'f42-a21-stalled', 'f42-a22-unknown-outcome', 'f42-a23-partial', 'f42-a23-recovered'],
    },
    { detect: ['stalled', 'unknown-outcome'], keys: ['f42-a21-stalled', 'f42-a22-unknown-outcome', 'f42-a23-recovered'] },
    { detect: ['failed', 'partial'], keys: ['f42-a20-failed', 'f42-a23-partial', 'f42-a23-recovered'] },
    { detect: ['missed'], keys: [] },
  ])('$detect', ({ detect, keys }) => {
    const answer = [
      attempt(20, 'failed', NOW - 50 * MIN),
      attempt(21, 'running', NOW - 3 * HOUR),
      attempt(22, 'unrecognised', NOW - 40 * MIN, { completedAt: NOW - 35 * MIN, unrecognised: 'disposition "cancelled"' }),
      attempt(23, 'succeeded', NOW - 30 * MIN, { resources: [rows(1, 2)] }),
    ];
    const result = story([{ at: NOW - 2 * HOUR - 55 * MIN, attempts: [] }, { at: NOW, attempts: answer }], { ...settings, detect });
    expect(result.keys[1]?.sort()).toEqual([...keys].sort());
  });
});

describe('missed runs: what the alerts carry', () => {
  const minutely: Schedule = { kind: 'cron', expression: '* * * * *', timezone: 'UTC', source: 'portable' };

  it('says when it stopped counting the missing runs', () => {
    const { alerts } = story([{ at: NOW + DAY, attempts: [attempt(1, 'succeeded', NOW - HOUR, { completedAt: NOW - HOUR + SECOND })], schedule: minutely }]);
    expect(alerts[0]?.[0]?.missed).toMatchObject({ slots: 1_000, slotsCapped: true });
  });

  it('names, as the run that ended the gap, the first attempt created after it', () => {
    const past = attempt(1, 'succeeded', NOW - HOUR);
    const { alerts } = story([
      { at: NOW + 10 * MIN, attempts: [past], schedule: hourly },
      { at: NOW + 3 * HOUR, attempts: [past, attempt(2, 'running', NOW + 2 * HOUR), attempt(3, 'running', NOW + 2 * HOUR + MIN)], schedule: hourly },
    ]);
    const recovered = alerts[1]?.find((alert) => alert.kind === 'recovered');
    expect(recovered?.attempt?.id).toBe(2);
    expect(recovered?.resolves).toMatchObject({ kind: 'missed', expectedAt: NOW });
  });

  it('learns the duration of a run first seen running once it has finished', () => {
    const running = attempt(1, 'running', NOW - 20 * MIN);
    const finished = { ...running, state: 'succeeded' as const, completedAt: NOW + 5 * MIN };
    const { state } = story([
      { at: NOW, attempts: [running] },
      { at: NOW + 10 * MIN, attempts: [finished] },
    ]);
    expect(state.history.durations).toEqual([25 * MIN]);
  });
});
