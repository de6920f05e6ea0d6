const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * `12s ago`, `in 48s`, `3h ago`: one unit, rounded down, so a glance at a column compares like with like.
 * Hours run up to two days, because "30h ago" says more than "1d ago" about a flow that polls hourly.
 */
export function formatRelative(at: number, now: number): string {
  const diff = at - now;
  const size = Math.abs(diff);
  if (size < SECOND) return 'now';
  const amount =
    size < MINUTE
      ? `${Math.floor(size / SECOND)}s`
      : size < HOUR
        ? `${Math.floor(size / MINUTE)}m`
        : size < 2 * DAY
          ? `${Math.floor(size / HOUR)}h`
          : `${Math.floor(size / DAY)}d`;
  return diff < 0 ? `${amount} ago` : `in ${amount}`;
}
