import { describe, expect, it } from 'vitest';
import { median, medianAbsoluteDeviation, percentile } from '../../src/detection/robust-stats.ts';

describe('median', () => {
  const cases: Array<{ name: string; values: number[]; expected: number }> = [
    { name: 'one value is its own median', values: [7], expected: 7 },
    { name: 'an odd count takes the middle of the sorted values', values: [9, 1, 5], expected: 5 },
    { name: 'an even count takes the mean of the two middle values', values: [4, 1, 3, 2], expected: 2.5 },
    { name: 'one huge outlier does not move it', values: [10, 11, 12, 1_000_000, 9], expected: 11 },
    { name: 'negative values sort numerically, not as text', values: [-10, -2, 3], expected: -2 },
    { name: 'numbers sort numerically, not as text', values: [100, 9, 20], expected: 20 },
  ];
  it.each(cases)('$name', ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });
});

describe('percentile', () => {
  const values = [50, 10, 40, 20, 30];
  const cases: Array<{ p: number; expected: number }> = [
    { p: 0, expected: 10 },
    { p: 100, expected: 50 },
    { p: 50, expected: 30 },
    // rank 0.25 × 4 = 1: exactly the second value
    { p: 25, expected: 20 },
    // rank 0.1 × 4 = 0.4: 40% of the way from 10 to 20
    { p: 10, expected: 14 },
    // rank 0.9 × 4 = 3.6: 60% of the way from 40 to 50
    { p: 90, expected: 46 },
    { p: 95, expected: 48 },
  ];
  it.each(cases)('p$p of 10..50 is $expected', ({ p, expected }) => {
    expect(percentile(values, p)).toBeCloseTo(expected, 10);
  });

  it('of one value is that value at every p', () => {
    expect([0, 10, 50, 95, 100].map((p) => percentile([42], p))).toEqual([42, 42, 42, 42, 42]);
  });

  it('is NaN for no values', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it.each([-1, 100.5, Number.NaN])('refuses p = %s', (p) => {
    expect(() => percentile([1, 2, 3], p)).toThrow(RangeError);
  });

  it('leaves its input in the order given', () => {
    const input = [3, 1, 2];
    percentile(input, 90);
    median(input);
    medianAbsoluteDeviation(input);
    expect(input).toEqual([3, 1, 2]);
  });
});

describe('medianAbsoluteDeviation', () => {
  const cases: Array<{ name: string; values: number[]; expected: number }> = [
    { name: 'identical values do not deviate', values: [5, 5, 5, 5], expected: 0 },
    // median 3; distances 2, 1, 0, 1, 2 → median 1
    { name: 'is the median distance from the median', values: [1, 2, 3, 4, 5], expected: 1 },
    // median 2; distances 1, 0, 0, 98 → 0.5: the outlier barely counts
    { name: 'an outlier barely moves it', values: [1, 2, 2, 100], expected: 0.5 },
    // unscaled: a normal-looking sample's MAD is not multiplied by 1.4826
    { name: 'is not scaled to a standard deviation', values: [8, 9, 10, 11, 12], expected: 1 },
  ];
  it.each(cases)('$name', ({ values, expected }) => {
    expect(medianAbsoluteDeviation(values)).toBe(expected);
  });

  it('is NaN for no values', () => {
    expect(medianAbsoluteDeviation([])).toBeNaN();
  });
});
