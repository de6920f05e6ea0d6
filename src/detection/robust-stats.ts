/**
 * Statistics that a few odd values cannot drag around: medians, percentiles and the median absolute deviation.
 * Learned limits are built from these so that one slow run or one huge load does not teach the worker that
 * everything is normal. Inputs are never sorted in place: callers pass the history they keep.
 */

/** The middle value (the mean of the two middle ones for an even count); NaN when there are no values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * The p-th percentile, p in 0..100, interpolating linearly between the closest ranks (rank p/100 × (n − 1) of the
 * sorted values, as spreadsheets' PERCENTILE.INC), so small samples still give a value between two observed ones.
 * NaN when there are no values.
 */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(sortedCopy(values), p);
}

/** Values in ascending order, the input left as it is: sort once, then read several percentiles of it. */
export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** `percentile` of values already in ascending order. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (rank - lower);
}

/**
 * The median of the distances from the median, unscaled (multiply by 1.4826 to estimate a normal standard
 * deviation). NaN when there are no values.
 */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  const middle = median(values);
  return median(values.map((value) => Math.abs(value - middle)));
}
