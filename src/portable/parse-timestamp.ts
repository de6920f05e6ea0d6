/**
 * Reads Portable's timestamps, which are RFC 3339 in spirit but are published with look-alike dashes
 * (`2023‐06‐12T21:03:00Z` uses U+2010), sometimes mixed inside one string.
 *
 * We parse the fields ourselves rather than trusting `Date.parse`, because `Date.parse` silently rolls
 * impossible dates over (`2023-02-30` becomes 2 March) and reads a string without an offset as local
 * time, which would shift every attempt by the host's time zone.
 */

/**
 * Characters seen (or plausibly seen) in place of an ASCII hyphen-minus: hyphen U+2010, non-breaking
 * hyphen U+2011, figure dash U+2012, en dash U+2013, em dash U+2014, horizontal bar U+2015, minus sign
 * U+2212, small and full-width hyphen-minus U+FE63 / U+FF0D.
 */
const LOOK_ALIKE_HYPHENS = /[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE63\uFF0D]/g;

const RFC3339_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Replaces every look-alike dash with `-`; leaves everything else alone. */
export function normaliseHyphens(text: string): string {
  return text.replace(LOOK_ALIKE_HYPHENS, '-');
}

/**
 * Parses a Portable timestamp to epoch milliseconds, or returns null when it is not a real instant.
 * A missing offset is read as UTC (Portable writes `Z`; local time would depend on where we run).
 * Fractions beyond milliseconds are truncated.
 */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = RFC3339_LIKE.exec(normaliseHyphens(value.trim()).toUpperCase());
  if (match === null) return null;
  const [, year, month, day, hour, minute, second = '0', fraction = '', offset = 'Z'] = match;
  const fields = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
  };
  if (!isRealDateTime(fields)) return null;
  const offsetMinutes = parseOffsetMinutes(offset);
  if (offsetMinutes === null) return null;
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  // A leap second (:60) is kept as the last millisecond of the minute rather than rejected.
  const utc = Date.UTC(
    fields.year,
    fields.month - 1,
    fields.day,
    fields.hour,
    fields.minute,
    Math.min(fields.second, 59),
    fields.second === 60 ? 999 : millis,
  );
  return utc - offsetMinutes * 60_000;
}

/** Formats epoch milliseconds as the RFC 3339 form Portable's query parameters expect. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

interface DateTimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function isRealDateTime(fields: DateTimeFields): boolean {
  if (fields.month < 1 || fields.month > 12) return false;
  if (fields.day < 1 || fields.day > daysInMonth(fields.year, fields.month)) return false;
  if (fields.hour > 23 || fields.minute > 59 || fields.second > 60) return false;
  return true;
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseOffsetMinutes(offset: string): number | null {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}
