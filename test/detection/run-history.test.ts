import { describe, expect, it } from 'vitest';
import type { PartialResource, VolumeDrop } from '../../src/alerts/alert.ts';
import { runtimeLimit } from '../../src/detection/learned-runtime.ts';
import {
  HISTORY_RESOURCES,
  HISTORY_RUNS,
  emptyHistory,
  partialResources,
  recordSuccess,
  volumeDrops,
  type RunHistory,
} from '../../src/detection/run-history.ts';
import type { ResourceCounts } from '../../src/portable/run-attempt.ts';
import { seededRandom } from '../../src/simulator/seeded-random.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

function resource(name: string, loaded: number | null, extra: Partial<ResourceCounts> = {}): ResourceCounts {
  return { name, extracted: loaded, analyzed: null, loaded, ...extra };
}

function run(durationMs: number | null, resources: ResourceCounts[] = []) {
  return { createdAt: NOW, completedAt: durationMs === null ? null : NOW + durationMs, resources };
}

function range(count: number, from = 0): number[] {
  return Array.from({ length: count }, (_, index) => from + index);
}

describe('recordSuccess: durations', () => {
  const cases: Array<{ name: string; before: number[]; attempt: ReturnType<typeof run>; after: number[] }> = [
    { name: 'adds the duration of a finished run', before: [MIN], attempt: run(5 * MIN), after: [MIN, 5 * MIN] },
    { name: 'a run that took no time counts', before: [], attempt: run(0), after: [0] },
    { name: 'a run without completedAt adds no duration', before: [MIN], attempt: run(null), after: [MIN] },
    { name: 'a run that completed before it was created adds no duration', before: [MIN], attempt: run(-1), after: [MIN] },
    { name: `keeps the last ${HISTORY_RUNS}, dropping the oldest`, before: range(HISTORY_RUNS, 1), attempt: run(999), after: [...range(HISTORY_RUNS - 1, 2), 999] },
  ];
  it.each(cases)('$name', ({ before, attempt, after }) => {
    expect(recordSuccess({ durations: before, loaded: {} }, attempt).durations).toEqual(after);
  });
});

describe('recordSuccess: rows loaded per resource', () => {
  const cases: Array<{ name: string; before: Record<string, number[]>; resources: ResourceCounts[]; after: Array<[string, number[]]> }> = [
    {
      name: 'a first run starts a series per resource, in the order reported',
      before: {},
      resources: [resource('orders', 10), resource('users', 20)],
      after: [['orders', [10]], ['users', [20]]],
    },
    {
      name: 'a resource seen again moves to the end',
      before: { a: [1], b: [2], c: [3] },
      resources: [resource('a', 4)],
      after: [['b', [2]], ['c', [3]], ['a', [1, 4]]],
    },
    {
      name: 'a resource without a loaded count is neither added nor moved',
      before: { a: [1], b: [2] },
      resources: [resource('a', null), resource('new', null)],
      after: [['a', [1]], ['b', [2]]],
    },
    { name: 'zero rows is a count like any other', before: { a: [5] }, resources: [resource('a', 0)], after: [['a', [5, 0]]] },
    {
      name: 'a name reported twice in one run counts once, with its last value',
      before: { a: [5], b: [6] },
      resources: [resource('a', 7), resource('b', 8), resource('a', 9)],
      after: [['b', [6, 8]], ['a', [5, 9]]],
    },
    {
      name: `each series keeps the last ${HISTORY_RUNS}`,
      before: { a: range(HISTORY_RUNS) },
      resources: [resource('a', 1000)],
      after: [['a', [...range(HISTORY_RUNS - 1, 1), 1000]]],
    },
  ];
  it.each(cases)('$name', ({ before, resources, after }) => {
    expect(Object.entries(recordSuccess({ durations: [], loaded: before }, run(MIN, resources)).loaded)).toEqual(after);
  });

  const full = (): RunHistory => ({ durations: [], loaded: Object.fromEntries(range(HISTORY_RESOURCES).map((index) => [`r${index}`, [index]])) });

  it(`beyond ${HISTORY_RESOURCES} resources, the one not seen the longest makes room`, () => {
    const names = Object.keys(recordSuccess(full(), run(MIN, [resource('new', 1)])).loaded);
    expect(names).toHaveLength(HISTORY_RESOURCES);
    expect(names[0]).toBe('r1');
    expect(names.at(-1)).toBe('new');
  });

  it('a resource seen again is saved from eviction', () => {
    const names = Object.keys(recordSuccess(full(), run(MIN, [resource('r0', 1), resource('new', 1)])).loaded);
    expect(names).toHaveLength(HISTORY_RESOURCES);
    expect(names).toContain('r0');
    expect(names).not.toContain('r1');
    expect(names.slice(-2)).toEqual(['r0', 'new']);
  });

  it(`a run reporting more than ${HISTORY_RESOURCES} resources keeps the last ones it listed`, () => {
    const many = range(HISTORY_RESOURCES + 50).map((index) => resource(`t${index}`, index));
    const names = Object.keys(recordSuccess(emptyHistory(), run(MIN, many)).loaded);
    expect(names).toHaveLength(HISTORY_RESOURCES);
    expect(names[0]).toBe('t50');
  });

  it('resources named like Object members are plain data, and survive JSON', () => {
    const history = recordSuccess(emptyHistory(), run(MIN, [resource('__proto__', 3), resource('constructor', 4)]));
    const again = recordSuccess(JSON.parse(JSON.stringify(history)) as RunHistory, run(MIN, [resource('__proto__', 5), resource('constructor', 6)]));
    expect(Object.getPrototypeOf(again.loaded)).toBe(Object.prototype);
    expect(Object.entries(again.loaded)).toEqual([['__proto__', [3, 5]], ['constructor', [4, 6]]]);
  });

  it('leaves the history it was given untouched, sharing only the series the run did not touch (all read-only)', () => {
    const before: RunHistory = { durations: [MIN], loaded: { a: [1], b: [2] } };
    const copy = structuredClone(before);
    const after = recordSuccess(before, run(2 * MIN, [resource('a', 3)]));
    expect(before).toEqual(copy);
    expect(Object.keys(before.loaded)).toEqual(['a', 'b']);
    expect(after.durations).not.toBe(before.durations);
    expect(after.loaded.a).not.toBe(before.loaded.a);
    expect(after.loaded.b).toBe(before.loaded.b);
  });
});

describe('partialResources', () => {
  const cases: Array<{
    name: string;
    errors?: string[];
    resources: ResourceCounts[];
    tolerance?: number;
    expected: { resources: PartialResource[] } | undefined;
  }> = [
    { name: 'everything extracted was loaded', resources: [resource('orders', 100)], expected: undefined },
    { name: 'no resources and no errors', resources: [], expected: undefined },
    { name: "the attempt's own errors alone make it partial", errors: ['sync delayed'], resources: [resource('orders', 100)], expected: { resources: [] } },
    {
      name: 'a resource with errors, all rows loaded',
      resources: [resource('orders', 100, { errors: ['column dropped'] })],
      expected: { resources: [{ name: 'orders', extracted: 100, loaded: 100, errors: ['column dropped'] }] },
    },
    { name: 'an empty error list is no error', resources: [resource('orders', 100, { errors: [] })], expected: undefined },
    {
      name: 'one row short, with the default 0% tolerance',
      resources: [resource('users', 5), resource('orders', 99, { extracted: 100 })],
      expected: { resources: [{ name: 'orders', extracted: 100, loaded: 99, errors: [] }] },
    },
    { name: 'exactly at a 1% tolerance is complete', resources: [resource('orders', 99, { extracted: 100 })], tolerance: 0.01, expected: undefined },
    { name: 'exactly at a 1% tolerance, in awkward numbers', resources: [resource('orders', 297, { extracted: 300 })], tolerance: 0.01, expected: undefined },
    {
      name: 'just beyond a 1% tolerance is partial',
      resources: [resource('orders', 98, { extracted: 100 })],
      tolerance: 0.01,
      expected: { resources: [{ name: 'orders', extracted: 100, loaded: 98, errors: [] }] },
    },
    { name: 'exactly at a 5% tolerance is complete', resources: [resource('orders', 950, { extracted: 1000 })], tolerance: 0.05, expected: undefined },
    {
      name: 'one row beyond a 5% tolerance is partial',
      resources: [resource('orders', 949, { extracted: 1000 })],
      tolerance: 0.05,
      expected: { resources: [{ name: 'orders', extracted: 1000, loaded: 949, errors: [] }] },
    },
    {
      name: 'nothing loaded of something extracted',
      resources: [resource('orders', 0, { extracted: 10 })],
      tolerance: 0.5,
      expected: { resources: [{ name: 'orders', extracted: 10, loaded: 0, errors: [] }] },
    },
    { name: 'nothing extracted', resources: [resource('orders', 0, { extracted: 0 })], expected: undefined },
    { name: 'an unknown extracted count', resources: [resource('orders', 5, { extracted: null })], expected: undefined },
    { name: 'an unknown loaded count', resources: [resource('orders', null, { extracted: 5 })], expected: undefined },
    // more rows loaded than extracted (a retried batch, say) loses nothing
    { name: 'more loaded than extracted', resources: [resource('orders', 120, { extracted: 100 })], expected: undefined },
  ];
  it.each(cases)('$name', ({ errors, resources, tolerance, expected }) => {
    expect(partialResources({ errors: errors ?? [], resources }, tolerance ?? 0)).toEqual(expected);
  });

  it('copies the error list rather than sharing it', () => {
    const errors = ['column dropped'];
    const found = partialResources({ errors: [], resources: [resource('orders', 1, { errors })] }, 0);
    found?.resources[0]?.errors.push('more');
    expect(errors).toEqual(['column dropped']);
  });
});

function historyOf(series: Record<string, number[]>): RunHistory {
  return { durations: [], loaded: series };
}

/** Median 1000, MAD 170, p10 830, p90 1170: median − 5 × MAD = 150, just below 20% of the median. */
const NOISY = [830, 1000, 1170, 830, 1000, 1170, 830, 1000, 1170, 1000];
const STEADY = Array.from({ length: 10 }, () => 1000);

describe('volumeDrops', () => {
  const cases: Array<{ name: string; series: Record<string, number[]>; today: ResourceCounts[]; expected: VolumeDrop[] }> = [
    { name: 'nine past loads are too few to judge, even a zero', series: { orders: STEADY.slice(1) }, today: [resource('orders', 0)], expected: [] },
    {
      name: 'zero rows where ten runs loaded some',
      series: { orders: STEADY },
      today: [resource('orders', 0)],
      expected: [{ name: 'orders', loaded: 0, medianLoaded: 1000, usualLow: 1000, usualHigh: 1000, samples: 10 }],
    },
    { name: 'zero rows where the median is zero', series: { refunds: [0, 0, 0, 0, 0, 0, 3, 4, 5, 6] }, today: [resource('refunds', 0)], expected: [] },
    {
      name: 'a steady resource just below 20% of its median',
      series: { orders: STEADY },
      today: [resource('orders', 199)],
      expected: [{ name: 'orders', loaded: 199, medianLoaded: 1000, usualLow: 1000, usualHigh: 1000, samples: 10 }],
    },
    { name: 'a steady resource at exactly 20% of its median', series: { orders: STEADY }, today: [resource('orders', 200)], expected: [] },
    {
      name: 'a noisy resource below median − 5 × MAD',
      series: { orders: NOISY },
      today: [resource('orders', 149)],
      expected: [{ name: 'orders', loaded: 149, medianLoaded: 1000, usualLow: 830, usualHigh: 1170, samples: 10 }],
    },
    { name: 'a noisy resource at exactly median − 5 × MAD, though below 20%', series: { orders: NOISY }, today: [resource('orders', 150)], expected: [] },
    {
      name: 'so noisy that only zero counts as a drop',
      series: { orders: [100, 2000, 150, 1800, 1000, 90, 1900, 1000, 120, 1700] },
      today: [resource('orders', 1), resource('orders', 1)],
      expected: [],
    },
    {
      name: 'zero rows in a very noisy resource that usually loads some',
      series: { orders: [100, 2000, 150, 1800, 1000, 90, 1900, 1000, 120, 1700] },
      today: [resource('orders', 0)],
      expected: [{ name: 'orders', loaded: 0, medianLoaded: 1000, usualLow: 99, usualHigh: 1910, samples: 10 }],
    },
    { name: 'a resource that did not report loaded', series: { orders: STEADY }, today: [resource('orders', null)], expected: [] },
    { name: 'a resource never seen before', series: { orders: STEADY }, today: [resource('constructor', 0), resource('__proto__', 0)], expected: [] },
    {
      name: 'only the last 30 past loads count',
      // long ago the resource loaded ten rows; the last 30 runs loaded a thousand: 100 is a drop now
      series: { orders: [...Array.from({ length: 35 }, () => 10), ...Array.from({ length: 30 }, () => 1000)] },
      today: [resource('orders', 100)],
      expected: [{ name: 'orders', loaded: 100, medianLoaded: 1000, usualLow: 1000, usualHigh: 1000, samples: 30 }],
    },
    {
      name: 'each resource is judged on its own',
      series: { orders: STEADY, users: STEADY },
      today: [resource('orders', 900), resource('users', 0)],
      expected: [{ name: 'users', loaded: 0, medianLoaded: 1000, usualLow: 1000, usualHigh: 1000, samples: 10 }],
    },
    {
      name: 'the median is reported as it is, the usual range rounded',
      series: { orders: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
      today: [resource('orders', 0)],
      expected: [{ name: 'orders', loaded: 0, medianLoaded: 5.5, usualLow: 2, usualHigh: 9, samples: 10 }],
    },
  ];
  it.each(cases)('$name', ({ series, today, expected }) => {
    expect(volumeDrops(historyOf(series), today)).toEqual(expected);
  });

  it('judges against the history of a resource named like an Object member', () => {
    const history = JSON.parse(JSON.stringify({ durations: [], loaded: { ['__proto__']: STEADY } })) as RunHistory;
    expect(volumeDrops(history, [resource('__proto__', 0)]).map((drop) => drop.name)).toEqual(['__proto__']);
  });
});

/** Sunday first: weekends load (and take) less. */
const WEEK = [0.45, 1, 1.05, 1.1, 1.05, 1, 0.55];
const RUNS_PER_DAY = 4;

/**
 * A healthy flow: two tables whose loads vary lognormally with a 25% spread (σ = 0.25) around a weekly pattern, a
 * sparse table that loads a few rows on about one run in ten, and durations of about 20 minutes.
 *
 * Durations get σ = 0.1. Measured over 500 seeds of 1,000 runs each, max(1.5 × p95, median + 4 × MAD, 10m) learned
 * from 30 runs is never exceeded at σ = 0.1, but at σ = 0.15 it is in about 5% of the sequences, and at σ = 0.25 in
 * over 80% (1.5 runs per 1,000): a p95 taken from 30 samples is itself noisy. The sparse table stays quiet because
 * its median is 0; one that loads rows on about half its runs would alert on its empty ones.
 */
function healthyRuns(seed: number, count: number) {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, (_, index) => {
    const season = WEEK[Math.floor(index / RUNS_PER_DAY) % 7] ?? 1;
    const createdAt = NOW + index * (24 / RUNS_PER_DAY) * HOUR;
    const resources = [
      resource('events', Math.round(120_000 * season * Math.exp(0.25 * normal()))),
      resource('orders', Math.round(3_000 * season * Math.exp(0.25 * normal()))),
      resource('refunds', random() < 0.1 ? 1 + Math.floor(random() * 20) : 0),
    ];
    const durationMs = Math.round(20 * MIN * (0.6 + 0.4 * season) * Math.exp(0.1 * normal()));
    return { createdAt, completedAt: createdAt + durationMs, resources, durationMs };
  });
}

describe('a healthy flow over 1,000 runs', () => {
  it('raises no volume drop and never outruns its learned limit', () => {
    let history = emptyHistory();
    const drops: VolumeDrop[] = [];
    const outran: Array<{ run: number; durationMs: number; limitMs: number }> = [];
    let learned = 0;
    healthyRuns(11, 1000).forEach((attempt, index) => {
      drops.push(...volumeDrops(history, attempt.resources));
      const limit = runtimeLimit('auto', history.durations, 2 * HOUR);
      if (limit.source === 'learned') {
        learned += 1;
        if (attempt.durationMs > limit.limitMs) outran.push({ run: index, durationMs: attempt.durationMs, limitMs: limit.limitMs });
      }
      history = recordSuccess(history, attempt);
    });
    expect(drops).toEqual([]);
    expect(outran).toEqual([]);
    expect(learned).toBe(990);
    // the history stays bounded whatever the flow's age
    expect(history.durations).toHaveLength(HISTORY_RUNS);
    expect(Object.values(history.loaded).map((series) => series.length)).toEqual([HISTORY_RUNS, HISTORY_RUNS, HISTORY_RUNS]);
  });

  it('the same noise with an empty load in it is caught, on that run only', () => {
    let history = emptyHistory();
    const caught: Array<{ run: number; names: string[] }> = [];
    healthyRuns(11, 300).forEach((attempt, index) => {
      const resources = index === 250 ? attempt.resources.map((counts) => (counts.name === 'orders' ? { ...counts, loaded: 0 } : counts)) : attempt.resources;
      const drops = volumeDrops(history, resources);
      if (drops.length > 0) caught.push({ run: index, names: drops.map((drop) => drop.name) });
      history = recordSuccess(history, { ...attempt, resources });
    });
    expect(caught).toEqual([{ run: 250, names: ['orders'] }]);
  });
});
