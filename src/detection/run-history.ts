import type { PartialResource, VolumeDrop } from '../alerts/alert.ts';
import type { ResourceCounts } from '../portable/run-attempt.ts';
import { LEARN_MAX_SAMPLES, LEARN_MIN_SAMPLES } from './learned-runtime.ts';
import { medianAbsoluteDeviation, percentileOfSorted, sortedCopy } from './robust-stats.ts';

/**
 * What a flow's own past says is normal: how long its successful runs took and how many rows each resource
 * loaded. Bounded, so a flow's state in Redis stays small whatever its age.
 */

/** How many successful runs are remembered: exactly as many as learning reads. */
export const HISTORY_RUNS = LEARN_MAX_SAMPLES;
/** How many resources a flow's history holds; the one not seen the longest makes room for a new one. */
export const HISTORY_RESOURCES = 200;

export interface RunHistory {
  /** Durations (ms) of the last HISTORY_RUNS succeeded attempts, oldest first. */
  durations: readonly number[];
  /**
   * Rows loaded per resource by the last HISTORY_RUNS succeeded attempts that reported it, oldest first. Key order
   * is recency: the resource seen last is the last key.
   *
   * Hazard: JavaScript orders keys that look like array indices ("2024") first, ascending, whatever the insertion
   * order, and JSON round trips keep that. Such resources therefore count as the least recently seen and are the
   * first to make room once a flow has more than HISTORY_RESOURCES of them; their series are otherwise intact.
   */
  loaded: Record<string, readonly number[]>;
}

export function emptyHistory(): RunHistory {
  return { durations: [], loaded: {} };
}

/** The attempt fields a succeeded run adds to the history. */
export interface SucceededRun {
  createdAt: number;
  completedAt: number | null;
  resources: readonly ResourceCounts[];
}

/**
 * The history with a succeeded attempt added (the input is left untouched: it may be the state a retry reuses).
 * A duration is added only when Portable said when the run ended; a resource only when it reported `loaded`.
 */
export function recordSuccess(history: RunHistory, attempt: SucceededRun): RunHistory {
  const durations =
    attempt.completedAt !== null && attempt.completedAt >= attempt.createdAt
      ? [...history.durations, attempt.completedAt - attempt.createdAt].slice(-HISTORY_RUNS)
      : history.durations;
  const reported = loadedByName(attempt.resources);
  // A Map keeps insertion order for every name (objects put index-like names first) and treats "__proto__" as data.
  // Series this run does not touch are shared with the input, never copied: nothing writes to a series in place.
  const series = new Map<string, readonly number[]>();
  for (const [name, values] of Object.entries(history.loaded)) {
    if (!reported.has(name)) series.set(name, values);
  }
  for (const [name, loaded] of reported) series.set(name, [...pastLoads(history, name), loaded].slice(-HISTORY_RUNS));
  const kept = [...series].slice(-HISTORY_RESOURCES);
  return { durations, loaded: Object.fromEntries(kept) };
}

/**
 * Each resource's `loaded`, skipping resources that did not report it. A name reported twice (one dialect lists
 * resources, and nothing stops a list repeating one) counts once, with its last value, so a run never weighs double.
 */
function loadedByName(resources: readonly ResourceCounts[]): Map<string, number> {
  const loaded = new Map<string, number>();
  for (const resource of resources) {
    if (resource.loaded === null) continue;
    loaded.delete(resource.name);
    loaded.set(resource.name, resource.loaded);
  }
  return loaded;
}

/** Own keys only: a resource named "constructor" or "__proto__" must not read Object.prototype's members. */
function pastLoads(history: RunHistory, name: string): readonly number[] {
  return Object.hasOwn(history.loaded, name) ? (history.loaded[name] ?? []) : [];
}

/**
 * For a SUCCEEDED attempt (the caller checks the state): undefined when the load is complete, else the resources
 * that make it partial, each with errors or with a share of extracted rows not loaded above `toleranceRatio` (0.05
 * for 5%; exactly at the tolerance is complete). The attempt's own errors make it partial too, so the list can be
 * empty: the alert then shows the attempt's errors alone.
 */
export function partialResources(
  attempt: { errors: readonly string[]; resources: readonly ResourceCounts[] },
  toleranceRatio: number,
): { resources: PartialResource[] } | undefined {
  const resources = attempt.resources
    .filter((resource) => (resource.errors?.length ?? 0) > 0 || lostShare(resource) > toleranceRatio)
    .map((resource) => ({
      name: resource.name,
      extracted: resource.extracted,
      loaded: resource.loaded,
      errors: [...(resource.errors ?? [])],
    }));
  return resources.length > 0 || attempt.errors.length > 0 ? { resources } : undefined;
}

/** The share of extracted rows that were not loaded; 0 when either count is unknown or nothing was extracted. */
function lostShare(resource: ResourceCounts): number {
  const { extracted, loaded } = resource;
  if (extracted === null || loaded === null || extracted <= 0) return 0;
  // a ratio, not loaded < extracted × (1 − tolerance): a tolerance of exactly 1% must not be missed by rounding
  return (extracted - loaded) / extracted;
}

/**
 * Resources of a succeeded attempt that loaded far fewer rows than they usually do, judged against the history
 * BEFORE this attempt is recorded. Both tests must agree for a non-zero count: below 20% of the median (a drop a
 * person cares about) and more than 5 MADs below it (beyond this resource's own noise). Zero rows are a drop
 * whenever the resource usually loads some, however noisy it is.
 */
export function volumeDrops(history: RunHistory, resources: readonly ResourceCounts[]): VolumeDrop[] {
  const drops: VolumeDrop[] = [];
  for (const [name, loaded] of loadedByName(resources)) {
    const past = pastLoads(history, name).slice(-HISTORY_RUNS);
    if (past.length < LEARN_MIN_SAMPLES) continue;
    // Sorted once per resource, and the spread measured only for a count already below 20% of the median: every
    // successful run of every flow passes through here.
    const sorted = sortedCopy(past);
    const usual = percentileOfSorted(sorted, 50);
    const dropped = loaded === 0 ? usual > 0 : loaded < 0.2 * usual && loaded < usual - 5 * medianAbsoluteDeviation(sorted);
    if (!dropped) continue;
    drops.push({
      name,
      loaded,
      medianLoaded: usual,
      usualLow: Math.round(percentileOfSorted(sorted, 10)),
      usualHigh: Math.round(percentileOfSorted(sorted, 90)),
      samples: past.length,
    });
  }
  return drops;
}
