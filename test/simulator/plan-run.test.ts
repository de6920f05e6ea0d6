import { describe, expect, it } from 'vitest';
import { healthyRuns, planRun, SIMULATED_FAILURE, toAttemptInput, toRunAttempt, type RunPlan, type ScriptedFault } from '../../src/simulator/plan-run.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T = Date.UTC(2026, 2, 3, 10, 0);

const plan = (faults: ScriptedFault[] = [], extra: Partial<RunPlan> = {}): RunPlan => ({
  schedule: { everyMs: HOUR, anchor: T },
  start: T,
  durationMs: 10 * MINUTE,
  resources: [
    { name: 'orders', rows: 2_000 },
    { name: 'refunds', rows: 100 },
  ],
  seed: 7,
  faults,
  ...extra,
});
const slot = (index: number) => ({ index, at: T + index * HOUR });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe('planRun', () => {
  it('a healthy run: succeeded at its slot, every resource fully loaded, no errors', () => {
    const run = planRun(plan(), slot(3))!;
    expect(run).toMatchObject({ index: 3, trigger: 'scheduled', createdAt: T + 3 * HOUR, state: 'succeeded', faults: [] });
    expect(run.completedAt - run.createdAt).toBe(run.durationMs);
    expect(run.errors).toBeUndefined();
    for (const resource of run.resources) {
      expect(resource.extracted).toBe(resource.loaded);
      expect(resource.analyzed).toBe(resource.loaded);
      expect(resource).not.toHaveProperty('errors');
    }
  });

  it('is reproducible: the same plan and slot give the same run; another seed another one', () => {
    expect(planRun(plan(), slot(5))).toEqual(planRun(plan(), slot(5)));
    expect(planRun(plan([], { seed: 8 }), slot(5))).not.toEqual(planRun(plan(), slot(5)));
  });

  describe('faults', () => {
    it('skip: no run at all', () => {
      expect(planRun(plan([{ kind: 'skip', runs: [2] }]), slot(2))).toBeUndefined();
      expect(planRun(plan([{ kind: 'skip', runs: [2] }]), slot(3))).toBeDefined();
    });

    it('fail: failed, with its error and no rows', () => {
      expect(planRun(plan([{ kind: 'fail', error: 'Source unreachable' }]), slot(0))).toMatchObject({ state: 'failed', errors: ['Source unreachable'], resources: [], faults: ['fail'] });
      expect(planRun(plan([{ kind: 'fail' }]), slot(0))?.errors).toEqual([SIMULATED_FAILURE]);
    });

    it('fail wins over the faults that change rows, whatever the order', () => {
      const run = planRun(plan([{ kind: 'fail' }, { kind: 'partial' }]), slot(0))!;
      expect(run).toMatchObject({ state: 'failed', resources: [], faults: ['fail', 'partial'] });
    });

    it('partial: succeeded, the resource loads less than it extracted, with its error when given', () => {
      const healthy = planRun(plan(), slot(4))!;
      const run = planRun(plan([{ kind: 'partial', resource: 'refunds', loadedRatio: 0.5, error: '50 rows rejected' }]), slot(4))!;
      expect(run.state).toBe('succeeded');
      expect(run.resources[0]).toEqual(healthy.resources[0]);
      const refunds = healthy.resources[1]!.extracted!;
      expect(run.resources[1]).toEqual({ name: 'refunds', extracted: refunds, analyzed: refunds, loaded: Math.floor(refunds * 0.5), errors: ['50 rows rejected'] });
    });

    it('partial: the first resource by default, short by at least one row, no error unless given', () => {
      const run = planRun(plan([{ kind: 'partial', loadedRatio: 0.9999 }], { resources: [{ name: 'tiny', rows: 3 }] }), slot(0))!;
      const [tiny] = run.resources;
      expect(tiny!.loaded).toBe(tiny!.extracted! - 1);
      expect(tiny).not.toHaveProperty('errors');
    });

    it.each([
      [undefined, 0],
      [0.01, 1],
    ])('volume-drop (ratio %s): the resource brings %s rows, all loaded; the others are untouched', (ratio, rows) => {
      const healthy = planRun(plan(), slot(6))!;
      const run = planRun(plan([{ kind: 'volume-drop', resource: 'refunds', ...(ratio === undefined ? {} : { ratio }) }]), slot(6))!;
      expect(run.state).toBe('succeeded');
      expect(run.resources).toEqual([healthy.resources[0], { name: 'refunds', extracted: rows, analyzed: rows, loaded: rows }]);
    });

    it('slow: a factor of its own duration (10 by default), or a duration given', () => {
      const healthy = planRun(plan(), slot(1))!;
      expect(planRun(plan([{ kind: 'slow' }]), slot(1))?.durationMs).toBe(healthy.durationMs * 10);
      expect(planRun(plan([{ kind: 'slow', factor: 3 }]), slot(1))?.durationMs).toBe(healthy.durationMs * 3);
      const long = planRun(plan([{ kind: 'slow', durationMs: 2 * HOUR }]), slot(1))!;
      expect([long.durationMs, long.completedAt - long.createdAt, long.resources]).toEqual([2 * HOUR, 2 * HOUR, healthy.resources]);
    });

    it('refuses a resource the plan does not have', () => {
      expect(() => planRun(plan([{ kind: 'partial', resource: 'nope' }]), slot(0))).toThrow(/no resource "nope"/);
    });

    it.each<[string, ScriptedFault, number[]]>([
      ['run indexes', { kind: 'skip', runs: [1, 3] }, [1, 3]],
      ['from a time', { kind: 'skip', from: T + 4 * HOUR }, [4, 5]],
      ['until a time (exclusive)', { kind: 'skip', until: T + 2 * HOUR }, [0, 1]],
      ['a time range and indexes together', { kind: 'skip', from: T + HOUR, until: T + 4 * HOUR, runs: [0, 2, 5] }, [2]],
      ['any rule', { kind: 'skip', when: ({ index }) => index % 2 === 0 }, [0, 2, 4]],
    ])('hit by %s', (_name, fault, skipped) => {
      const hit = [0, 1, 2, 3, 4, 5].filter((index) => planRun(plan([fault]), slot(index)) === undefined);
      expect(hit).toEqual(skipped);
    });
  });
});

describe('healthyRuns', () => {
  const runs = healthyRuns(1_000, 42);

  it('is a run every hour, each succeeded and fully loaded, reproducibly', () => {
    expect(runs).toHaveLength(1_000);
    expect(runs.every((run, index) => run.createdAt === Date.UTC(2026, 0, 1) + index * HOUR && run.state === 'succeeded')).toBe(true);
    expect(runs.every((run) => run.resources.every((resource) => resource.loaded === resource.extracted))).toBe(true);
    expect(healthyRuns(10, 42)).toEqual(runs.slice(0, 10));
    expect(healthyRuns(10, 43)).not.toEqual(runs.slice(0, 10));
  });

  it('varies realistically: durations around 5 min (±20%), rows around their base (±25%)', () => {
    const durations = runs.map((run) => run.durationMs);
    const events = runs.map((run) => run.resources[0]!.loaded!);
    expect(median(durations) / (5 * MINUTE)).toBeCloseTo(1, 1);
    expect(median(events) / 1_800).toBeCloseTo(1, 1);
    const spread = (values: number[]) => {
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      return Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length) / mean;
    };
    expect(spread(durations)).toBeGreaterThan(0.15);
    expect(spread(durations)).toBeLessThan(0.25);
    expect(spread(events)).toBeGreaterThan(0.2);
    expect(spread(events)).toBeLessThan(0.3);
    expect(new Set(events).size).toBeGreaterThan(500);
  });

  it('never looks like an incident: no run over 1.65× the usual time or under 54% of the usual rows', () => {
    expect(Math.max(...runs.map((run) => run.durationMs))).toBeLessThanOrEqual(5 * MINUTE * 1.65);
    for (const [index, base] of [1_800, 210].entries()) {
      const loaded = runs.map((run) => run.resources[index]!.loaded!);
      expect(Math.min(...loaded)).toBeGreaterThanOrEqual(Math.floor(base * 0.53));
      expect(Math.max(...loaded)).toBeLessThanOrEqual(Math.ceil(base * 1.87));
    }
  });

  it('takes another period, duration and resources', () => {
    const [first, second] = healthyRuns(2, 1, { start: T, everyMs: 15 * MINUTE, durationMs: MINUTE, resources: [{ name: 'rows', rows: 10 }] });
    expect(second!.createdAt - first!.createdAt).toBe(15 * MINUTE);
    expect(first!.durationMs).toBeLessThan(2 * MINUTE);
    expect(first!.resources.map((resource) => resource.name)).toEqual(['rows']);
  });

  it('converts to the worker’s attempts and to the simulator’s input', () => {
    const [run] = healthyRuns(1, 5);
    expect(toRunAttempt(run!, 99)).toEqual({
      id: 1,
      flowId: 99,
      trigger: 'scheduled',
      state: 'succeeded',
      createdAt: run!.createdAt,
      createdAtUnreadable: false,
      completedAt: run!.completedAt,
      resources: run!.resources,
      errors: [],
      anomalies: [],
    });
    expect(toAttemptInput(run!)).toEqual({ state: 'succeeded', trigger: 'scheduled', createdAt: run!.createdAt, completedAt: run!.completedAt, resources: run!.resources });
  });
});
