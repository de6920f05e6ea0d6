/**
 * How values read in every medium: times in UTC, durations in their two largest units, counts with thousands
 * separators, and Portable's text cleaned of what a terminal or a mail header would obey.
 */

/** `2026-11-29 07:47:48 UTC`: alerts are read across time zones, so they name one. */
export function formatTime(epochMs: number): string {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) return 'unknown';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const UNITS = [
  { suffix: 'd', ms: 86_400_000 },
  { suffix: 'h', ms: 3_600_000 },
  { suffix: 'm', ms: 60_000 },
  { suffix: 's', ms: 1_000 },
] as const;

/** `1h 5m`: the two largest units, which is all the precision a person acts on. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return 'unknown';
  let rest = Math.floor(ms / 1000) * 1000;
  const parts: string[] = [];
  for (const unit of UNITS) {
    const amount = Math.floor(rest / unit.ms);
    rest -= amount * unit.ms;
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${unit.suffix}`);
    if (parts.length === 2) break;
  }
  if (parts.length === 0) return '0s';
  // "2h 0m" reads as more precise than it is
  return parts.filter((part, index) => index === 0 || !part.startsWith('0')).join(' ');
}

const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const RATIO_FORMAT = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 2 });

/** `1,200`: row counts run to millions, where digits without separators are miscounted. */
export function formatCount(count: number): string {
  return Number.isFinite(count) ? COUNT_FORMAT.format(count) : 'unknown';
}

/** `5%`, `0.5%`: a configured share, shown as precisely as it was set. */
export function formatRatio(ratio: number): string {
  return RATIO_FORMAT.format(ratio);
}

/**
 * `25%` of `whole`, in whole percent; never `0%` for a part that is there nor `100%` for one short of the whole,
 * which would read as "nothing" and "everything".
 */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%';
  if (part >= whole) return '100%';
  const percent = Math.round((part / whole) * 100);
  if (percent === 0) return '<1%';
  if (percent === 100) return '>99%';
  return `${percent}%`;
}

/**
 * Keeps tabs and newlines (normalised to \n); drops other C0/C1 control characters and the bidi overrides
 * that can make text read differently from what it is.
 */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** Like cleanText, for values that must stay on one line (names, facts). */
export function oneLine(text: string): string {
  return cleanText(text).replace(/[\n\t]+/g, ' ');
}
