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

  // A time is real only if every field comes back as written: Date.UTC would quietly roll each of these over.
  it.each<[string, string, number | undefined]>([
    ['a leap day in a leap year', '2028-02-29T10:00Z', Date.UTC(2028, 1, 29, 10)],
    ['a leap day in another year', '2026-02-29T10:00Z', undefined],
    ['the 31st of a 30-day month', '2026-04-31T10:00Z', undefined],
    ['day 00', '2026-04-00T10:00Z', undefined],
    ['the 32nd of December, which would be next year', '2026-12-32T10:00Z', undefined],
    ['month 13', '2026-13-01T10:00Z', undefined],
    ['month 00', '2026-00-10T10:00Z', undefined],
    ['second 60', '2026-12-02T18:00:60Z', undefined],
    ['the last second of a year', '2026-12-31T23:59:59.999Z', Date.UTC(2026, 11, 31, 23, 59, 59, 999)],
    // Date.UTC reads years 0–99 as 1900–1999: year 50 must not quietly become 1950.
    ['a two-digit year written with leading zeros', '0050-06-01T00:00Z', undefined],
    ['the same date in a four-digit year', '1950-06-01T00:00Z', Date.UTC(1950, 5, 1)],
  ])('%s: %j', (_case, text, expected) => {
    expect(parseTime(text)).toBe(expected);
  });

  it.each<[string, number | undefined]>([
    // The furthest offsets any zone has: Kiribati (+14:00) and Baker Island (-12:00).
    ['2026-12-03T08:00+14:00', AT_18_UTC],
    ['2026-12-03T08:00+1400', AT_18_UTC],
    ['2026-12-02T04:00-14:00', Date.UTC(2026, 11, 2, 18)],
    ['2026-12-02T06:00-12:00', AT_18_UTC],
    ['2026-12-02T23:45+05:45', AT_18_UTC],
    ['2026-12-02T18:00+00:00', AT_18_UTC],
    ['2026-12-02T18:00-00:00', AT_18_UTC],
    ['2026-12-02T18:00z', AT_18_UTC],
    ['2026-12-02T18:00+15:00', undefined],
    ['2026-12-02T18:00-15:00', undefined],
    // Beyond ±14:00 by minutes is as much a typo as by hours.
    ['2026-12-02T18:00+14:30', undefined],
    ['2026-12-02T18:00-14:01', undefined],
    ['2026-12-02T18:00+99:00', undefined],
    ['2026-12-02T18:00+01:75', undefined],
    ['2026-12-02T18:00+1', undefined],
    ['2026-12-02T18:00 UTC', undefined],
  ])('offset %j → %s', (text, expected) => {
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

  it('words each refusal in full, in UTC to the second', () => {
    expect(parseUntil('2027-03-01T12:00:01.500Z', NOW)).toEqual({
      problem: '--until 2027-03-01T12:00:01Z is more than 90d ahead; silence it again when it ends, or remove the flow from the config if it should not be watched',
    });
    expect(parseUntil('2026-12-01T13:00+02:00', NOW)).toEqual({ problem: '--until 2026-12-01T11:00:00Z has already passed (it is 2026-12-01T12:00:00Z now)' });
    expect(parseUntil('2026-02-30 10:00', NOW)).toEqual({
      problem: '--until "2026-02-30 10:00" is not a time (e.g. 2026-12-02T18:00:00Z, 2026-12-02T18:00+01:00, or 2026-12-02 18:00 for UTC)',
    });
    // Not "1950-06-01 has already passed": the year as written is not read as another one.
    expect(parseUntil('0050-06-01T00:00Z', NOW)).toEqual({ problem: '--until "0050-06-01T00:00Z" is not a time (e.g. 2026-12-02T18:00:00Z, 2026-12-02T18:00+01:00, or 2026-12-02 18:00 for UTC)' });
  });

  it('accepts a time a millisecond ahead, and refuses one exactly now', () => {
    expect(parseUntil('2026-12-01T12:00:00.001Z', NOW)).toEqual({ endsAt: NOW + 1 });
    expect(parseUntil('2026-12-01T12:00:00.000Z', NOW)).toHaveProperty('problem');
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
