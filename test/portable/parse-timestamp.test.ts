import { describe, expect, it } from 'vitest';
import { formatTimestamp, normaliseHyphens, parseTimestamp } from '../../src/portable/parse-timestamp.ts';

const JUNE_12_2103 = Date.UTC(2023, 5, 12, 21, 3, 0);

describe('parseTimestamp', () => {
  const lookAlikes: [string, string][] = [
    ['U+2010 hyphen', '\u2010'],
    ['U+2011 non-breaking hyphen', '\u2011'],
    ['U+2012 figure dash', '\u2012'],
    ['U+2013 en dash', '\u2013'],
    ['U+2014 em dash', '\u2014'],
    ['U+2212 minus sign', '\u2212'],
    ['ASCII hyphen-minus', '-'],
  ];

  it.each(lookAlikes)('reads a date written with the %s', (_name, dash) => {
    expect(parseTimestamp(`2023${dash}06${dash}12T21:03:00Z`)).toBe(JUNE_12_2103);
  });

  it('reads the published example verbatim (U+2010)', () => {
    expect(parseTimestamp('2023‐06‐12T21:03:00Z')).toBe(JUNE_12_2103);
  });

  const valid: [string, number][] = [
    ['2023\u201006-12T21:03:00Z', JUNE_12_2103],
    ['2023-06\u201312T21:03:00Z', JUNE_12_2103],
    ['2023\u221206\u201412T21:03:00Z', JUNE_12_2103],
    ['2023-06-12T21:03:00.250Z', JUNE_12_2103 + 250],
    ['2023-06-12T21:03:00.250999Z', JUNE_12_2103 + 250],
    ['2023-06-12T21:03:00.5Z', JUNE_12_2103 + 500],
    ['2023-06-12t21:03:00z', JUNE_12_2103],
    ['2023-06-12 21:03:00Z', JUNE_12_2103],
    ['2023-06-12T21:03Z', JUNE_12_2103],
    ['  2023-06-12T21:03:00Z  ', JUNE_12_2103],
    ['2023-06-12T23:03:00+02:00', JUNE_12_2103],
    ['2023-06-12T17:03:00-04:00', JUNE_12_2103],
    ['2023-06-12T17:03:00\u221204:00', JUNE_12_2103],
    ['2023\u201006\u201012T17:03:00\u201304:00', JUNE_12_2103],
    ['2023-06-12T17:03:00-0400', JUNE_12_2103],
    ['2023-06-12T21:03:00', JUNE_12_2103],
    ['2023-06-13T02:33:00+05:30', JUNE_12_2103],
    ['2023-06-12T15:33:00-05:30', JUNE_12_2103],
    ['2023-06-13T02:33:00+0530', JUNE_12_2103],
    ['2023-06-13T20:03:00+23:00', JUNE_12_2103],
    ['2023-06-12T22:02:00+00:59', JUNE_12_2103],
    ['2023-01-01T00:00:00Z', Date.UTC(2023, 0, 1)],
    ['2023-12-31T23:59:59Z', Date.UTC(2023, 11, 31, 23, 59, 59)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2016-12-31T23:59:60Z', Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
  ];

  it.each(valid)('reads %j', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  const invalid: [string, unknown][] = [
    ['an impossible day', '2023-02-30T00:00:00Z'],
    ['a 29 February outside a leap year', '2023-02-29T00:00:00Z'],
    ['month 13', '2023-13-01T00:00:00Z'],
    ['month 0', '2023-00-10T00:00:00Z'],
    ['day 0', '2023-06-00T00:00:00Z'],
    ['second 61', '2023-06-12T21:03:61Z'],
    ['an offset of 60 minutes', '2023-06-12T21:03:00+00:60'],
    ['an offset of 24 hours', '2023-06-12T21:03:00-24:00'],
    ['hour 24', '2023-06-12T24:00:00Z'],
    ['minute 60', '2023-06-12T21:60:00Z'],
    ['a date without a time', '2023-06-12'],
    ['words', 'yesterday'],
    ['an empty string', ''],
    ['a dot instead of a dash', '2023.06.12T21:03:00Z'],
    ['an offset of 25 hours', '2023-06-12T21:03:00+25:00'],
    ['a number', 1686603780000],
    ['null', null],
    ['undefined', undefined],
  ];

  it.each(invalid)('refuses %s', (_name, value) => {
    expect(parseTimestamp(value)).toBeNull();
  });
});

describe('normaliseHyphens', () => {
  it('replaces every look-alike, mixed in one string, and nothing else', () => {
    expect(normaliseHyphens('a\u2010b\u2011c\u2012d\u2013e\u2014f\u2212g-h T:Z')).toBe('a-b-c-d-e-f-g-h T:Z');
  });
});

describe('formatTimestamp', () => {
  it('writes RFC 3339 in UTC that parseTimestamp reads back', () => {
    const text = formatTimestamp(JUNE_12_2103 + 7);
    expect(text).toBe('2023-06-12T21:03:00.007Z');
    expect(parseTimestamp(text)).toBe(JUNE_12_2103 + 7);
  });
});
