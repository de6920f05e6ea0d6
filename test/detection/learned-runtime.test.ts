import { describe, expect, it } from 'vitest';
import type { RuntimeLimit } from '../../src/alerts/alert.ts';
import {
  LEARNED_FLOOR_MS,
  LEARN_MIN_SAMPLES,
  describeRuntimeLimit,
  formatDurationShort,
  runtimeLimit,
} from '../../src/detection/learned-runtime.ts';

const SECOND = 1000;
const MIN = 60 * SECOND;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const FALLBACK = 2 * HOUR;

function repeat(value: number, count: number): number[] {
  return Array.from({ length: count }, () => value);
}

describe('runtimeLimit', () => {
  it('a fixed maxRuntime is used as it is, whatever the history', () => {
    expect(runtimeLimit(45 * MIN, repeat(3 * HOUR, 30), FALLBACK)).toEqual({ limitMs: 45 * MIN, source: 'fixed' });
  });

  const fallbackCases: Array<{ name: string; durations: number[]; samples: number }> = [
    { name: 'no history', durations: [], samples: 0 },
    { name: `${LEARN_MIN_SAMPLES - 1} durations, one short of learning`, durations: repeat(30 * MIN, LEARN_MIN_SAMPLES - 1), samples: 9 },
  ];
  it.each(fallbackCases)('auto with $name uses autoFallback', ({ durations, samples }) => {
    expect(runtimeLimit('auto', durations, FALLBACK)).toEqual({ limitMs: FALLBACK, source: 'fallback', samples, samplesNeeded: 10 });
  });

  it('auto with exactly 10 durations learns', () => {
    const limit = runtimeLimit('auto', repeat(30 * MIN, 10), FALLBACK);
    expect(limit).toMatchObject({ source: 'learned', samples: 10, limitMs: 45 * MIN });
  });

  const learnedCases: Array<{ name: string; durations: number[]; limitMs: number }> = [
    // median 1m, MAD 0, p95 1m: both learned guards say 1.5m, far too eager for a flow that may queue
    { name: 'the 10-minute floor wins for quick flows', durations: repeat(MIN, 12), limitMs: LEARNED_FLOOR_MS },
    // 1.5 × 6m 40s = exactly 10m: at the floor either way
    { name: 'at the floor, 1.5 × p95 and the floor agree', durations: repeat(400 * SECOND, 10), limitMs: 10 * MIN },
    // nine 20m runs and one 60m: median 20m, MAD 0 → 20m; p95 at rank 8.55 = 20m + 0.55 × 40m = 42m → 63m
    { name: '1.5 × p95 wins when a few runs are long', durations: [...repeat(20 * MIN, 9), 60 * MIN], limitMs: 63 * MIN },
    // two clusters: median 40m, MAD 20m → 120m; p95 60m → 90m
    { name: 'median + 4 × MAD wins when runs spread evenly', durations: [...repeat(20 * MIN, 5), ...repeat(60 * MIN, 5)], limitMs: 120 * MIN },
    // 1.5 × 700,001 ms = 1,050,001.5 ms: rounded up, never down, to a whole second
    { name: 'the limit is rounded up to a whole second', durations: repeat(700_001, 10), limitMs: 1_051_000 },
  ];
  it.each(learnedCases)('$name', ({ durations, limitMs }) => {
    const limit = runtimeLimit('auto', durations, FALLBACK);
    expect(limit.source).toBe('learned');
    expect(limit.limitMs).toBe(limitMs);
  });

  it('reports the usual range, p95 and median it learned from', () => {
    // 1m..10m: p10 1.9m, p90 9.1m, p95 9.55m, median 5.5m, MAD 2.5m → max(14.325m, 15.5m, 10m)
    const durations = [7, 2, 9, 1, 10, 4, 3, 8, 6, 5].map((minutes) => minutes * MIN);
    expect(runtimeLimit('auto', durations, FALLBACK)).toEqual({
      limitMs: 15.5 * MIN,
      source: 'learned',
      samples: 10,
      usualLowMs: 1.9 * MIN,
      usualHighMs: 9.1 * MIN,
      p95Ms: 9.55 * MIN,
      medianMs: 5.5 * MIN,
    });
  });

  it('learns from the last 30 durations only', () => {
    // ten very slow runs long ago, then thirty 20-minute ones: the flow got faster and is judged as it is now
    const durations = [...repeat(10 * HOUR, 10), ...repeat(20 * MIN, 30)];
    expect(runtimeLimit('auto', durations, FALLBACK)).toMatchObject({ limitMs: 30 * MIN, samples: 30, medianMs: 20 * MIN });
  });

  it('does not change the durations it is given', () => {
    const durations = [5, 1, 4, 2, 3, 9, 8, 7, 6, 10].map((minutes) => minutes * MIN);
    const copy = [...durations];
    runtimeLimit('auto', durations, FALLBACK);
    expect(durations).toEqual(copy);
  });
});

describe('describeRuntimeLimit', () => {
  const cases: Array<{ name: string; limit: RuntimeLimit; text: string }> = [
    { name: 'fixed', limit: { limitMs: 2 * HOUR, source: 'fixed' }, text: 'maxRuntime 2h' },
    {
      name: 'fallback',
      limit: { limitMs: 2 * HOUR, source: 'fallback', samples: 4 },
      text: 'autoFallback 2h: only 4 successful runs to learn from (10 needed)',
    },
    {
      name: 'fallback with one run',
      limit: { limitMs: 90 * MIN, source: 'fallback', samples: 1 },
      text: 'autoFallback 1h 30m: only 1 successful run to learn from (10 needed)',
    },
    {
      name: 'fallback with none',
      limit: { limitMs: 2 * HOUR, source: 'fallback', samples: 0 },
      text: 'autoFallback 2h: no successful runs to learn from (10 needed)',
    },
    {
      name: 'learned',
      limit: { limitMs: 11 * MIN, source: 'learned', samples: 30, usualLowMs: 4 * MIN, usualHighMs: 6 * MIN, p95Ms: 7 * MIN, medianMs: 5 * MIN },
      text: 'usually 4m–6m, p95 7m (learned from 30 successful runs)',
    },
    {
      name: 'learned from runs that all take as long',
      limit: { limitMs: 10 * MIN, source: 'learned', samples: 12, usualLowMs: 5 * MIN, usualHighMs: 5 * MIN, p95Ms: 5 * MIN, medianMs: 5 * MIN },
      text: 'usually 5m, p95 5m (learned from 12 successful runs)',
    },
  ];
  it.each(cases)('$name: $text', ({ limit, text }) => {
    expect(describeRuntimeLimit(limit)).toBe(text);
  });

  it('describes what runtimeLimit learned', () => {
    const durations = [...repeat(4 * MIN, 3), ...repeat(5 * MIN, 4), ...repeat(6 * MIN, 3)];
    // p10 4m, p90 6m, p95 6m
    expect(describeRuntimeLimit(runtimeLimit('auto', durations, FALLBACK))).toBe('usually 4m–6m, p95 6m (learned from 10 successful runs)');
  });
});

describe('formatDurationShort', () => {
  const cases: Array<{ ms: number; text: string }> = [
    { ms: 0, text: '0s' },
    { ms: 450, text: '450ms' },
    { ms: 999.9, text: '999ms' },
    { ms: 1000, text: '1s' },
    { ms: 45 * SECOND, text: '45s' },
    { ms: 4 * MIN, text: '4m' },
    { ms: 61 * SECOND, text: '1m 1s' },
    { ms: 4 * MIN + 59_999, text: '4m 59s' },
    { ms: HOUR + 5 * MIN, text: '1h 5m' },
    // the two largest units only, and a zero second unit is left out
    { ms: 2 * HOUR + 30 * SECOND, text: '2h' },
    { ms: 2 * DAY + 3 * HOUR + 59 * MIN, text: '2d 3h' },
    { ms: DAY + 5 * MIN, text: '1d' },
    { ms: Number.NaN, text: 'unknown' },
    { ms: -1, text: 'unknown' },
    { ms: Number.POSITIVE_INFINITY, text: 'unknown' },
  ];
  it.each(cases)('$ms ms is $text', ({ ms, text }) => {
    expect(formatDurationShort(ms)).toBe(text);
  });
});
