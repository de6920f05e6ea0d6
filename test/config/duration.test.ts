import { describe, expect, it } from 'vitest';
import { DAY, formatDuration, HOUR, MINUTE, parseDuration, SECOND } from '../../src/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['30s', 30 * SECOND],
    ['5m', 5 * MINUTE],
    ['2h', 2 * HOUR],
    ['1d', DAY],
    ['30d', 30 * DAY],
    ['365d', 365 * DAY],
    ['1h30m', HOUR + 30 * MINUTE],
    ['1d2h3m4s', DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND],
    ['90m', 90 * MINUTE],
    [' 5m ', 5 * MINUTE],
    ['0', 0],
    ['0s', 0],
    [0, 0],
  ])('reads %j as %i ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['soon'],
    [''],
    ['5'],
    ['1.5h'],
    ['-5m'],
    ['5 m'],
    ['5M'],
    ['500ms'],
    ['1w'],
    ['30m1h'],
    ['5m5m'],
    ['h'],
    [60],
    [-1],
    [true],
    [null],
    [['5m']],
    ['99999999999999999d'],
  ])('refuses %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0'],
    [30 * SECOND, '30s'],
    [5 * MINUTE, '5m'],
    [HOUR + 30 * MINUTE, '1h30m'],
    [DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND, '1d2h3m4s'],
    [1500, '1s'],
    [999, '0'],
  ])('writes %i ms as %j', (milliseconds, expected) => {
    expect(formatDuration(milliseconds)).toBe(expected);
  });

  it.each([SECOND, 59 * SECOND, 61 * MINUTE, 25 * HOUR, 3 * DAY + SECOND])('round-trips %i ms', (milliseconds) => {
    expect(parseDuration(formatDuration(milliseconds))).toBe(milliseconds);
  });
});
