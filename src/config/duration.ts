/**
 * Durations as operators write them in the config file (`30s`, `5m`, `2h`, `1d`, `1h30m`, `0`),
 * and back again for messages. Everything inside the program is milliseconds.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Appended to every "is not a duration" message so the fix is on the same line as the problem. */
export const DURATION_EXAMPLES = 'use 30s, 5m, 2h, 1d';

const UNITS = [
  ['d', DAY],
  ['h', HOUR],
  ['m', MINUTE],
  ['s', SECOND],
] as const;

/*
 * Units must come largest first and at most once, so `1h30m` is accepted and `30m1h` or `5m5m`
 * (more likely a slip than a wish) are not. No `ms`: nothing in a watcher needs sub-second
 * settings, and `m` next to `ms` invites mistakes. No month or year: their length varies.
 */
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Milliseconds for a duration written in the config file, or undefined when `input` is not one.
 * A bare number is accepted only for 0, because `pollEvery: 60` could mean seconds or minutes.
 */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return input === 0 ? 0 : undefined;
  if (typeof input !== 'string') return undefined;
  const text = input.trim();
  if (text === '0') return 0;
  const match = DURATION.exec(text);
  if (text === '' || match === null) return undefined;
  let total = 0;
  UNITS.forEach(([, size], index) => {
    const amount = match[index + 1];
    if (amount !== undefined) total += Number(amount) * size;
  });
  // Beyond this, arithmetic on timestamps silently loses precision.
  return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * The shortest config-file spelling of `milliseconds`, rounded down to whole seconds:
 * `5_400_000` → `1h30m`, `0` → `0`. For whole seconds, `parseDuration(formatDuration(x)) === x`.
 */
export function formatDuration(milliseconds: number): string {
  let rest = Math.max(0, Math.floor(milliseconds / SECOND)) * SECOND;
  if (rest === 0) return '0';
  let text = '';
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}
