import { describe, expect, it } from 'vitest';
import { MAX_SILENCE_MS, parseFor, parseTime, parseUntil } from '../../src/silences/parse-until.ts';

/** When a silence ends, as people write it on a command line. */

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const AT_18_UTC = Date.UTC(2026, 11, 2, 18, 0, 0);

describe('parseTime', () => {
  it.each<[string, number | undefined]>([
    ['2026-12-02T18:00:00Z', AT_18_UTC],
    ['2026-12-02T18:00Z', AT_18_UTC],
    ['2026-12-02t18:00:00z', AT_18_UTC],
    ['2026-12-02T18:00:00.250Z', AT_18_UTC + 250],
    ['2026-12-02T18:00:00.5Z', AT_18_UTC + 500],
    ['2026-12-02T19:00+01:00', AT_18_UTC],
    ['2026-12-02T19:00+0100', AT_18_UTC],
    ['2026-12-02T12:30-05:30', AT_18_UTC],
    // No offset is UTC, not the zone of the machine the CLI runs on.
    ['2026-12-02T18:00', AT_18_UTC],
    ['2026-12-02 18:00', AT_18_UTC],
    ['  2026-12-02 18:00:00  ', AT_18_UTC],
    ['2026-02-30T10:00Z', undefined],
    ['2026-12-02T24:00Z', undefined],
    ['2026-12-02T18:60Z', undefined],
    ['2026-12-02T18:00+15:00', undefined],
    ['2026-12-02T18:00+01:60', undefined],
    ['2026-12-02', undefined],
    ['18:00', undefined],
    ['tomorrow', undefined],
    ['1796227200000', undefined],
    ['', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parseTime(text)).toBe(expected);
  });
});

describe('parseUntil', () => {
  it('accepts a time ahead, at most 90 days', () => {
    expect(parseUntil('2026-12-02T18:00:00Z', NOW)).toEqual({ endsAt: AT_18_UTC });
    expect(parseUntil('2027-03-01T12:00:00Z', NOW)).toEqual({ endsAt: NOW + MAX_SILENCE_MS });
  });

  it.each([
    ['2026-12-01T12:00:00Z', '--until 2026-12-01T12:00:00Z has already passed (it is 2026-12-01T12:00:00Z now)'],
    ['2026-11-30 09:00', 'has already passed'],
    ['2027-03-01T12:00:01Z', 'is more than 90d ahead'],
    ['next tuesday', '--until "next tuesday" is not a time (e.g. 2026-12-02T18:00:00Z'],
  ])('refuses %j', (text, message) => {
    const result = parseUntil(text, NOW);
    expect(result).toHaveProperty('problem');
    expect((result as { problem: string }).problem).toContain(message);
  });
});

describe('parseFor', () => {
  it.each<[string, { endsAt: number } | string]>([
    ['2h', { endsAt: NOW + 2 * 3_600_000 }],
    ['1d12h', { endsAt: NOW + 36 * 3_600_000 }],
    ['90d', { endsAt: NOW + MAX_SILENCE_MS }],
    ['91d', 'is longer than 90d'],
    ['0', 'must be longer than 0'],
    ['2 hours', '--for "2 hours" is not a duration (use 30s, 5m, 2h, 1d)'],
    ['-1h', 'is not a duration'],
  ])('%j', (text, expected) => {
    const result = parseFor(text, NOW);
    if (typeof expected === 'string') expect((result as { problem: string }).problem).toContain(expected);
    else expect(result).toEqual(expected);
  });
});
