/**
 * What a flow's own past says is normal: how long its successful runs took and how many rows each resource
 * loaded. Bounded, so a flow's state in Redis stays small whatever its age.
 */

/** How many successful runs are remembered. */
export const HISTORY_RUNS = 30;
/** How many resources a flow's history holds; the one not seen the longest makes room for a new one. */
export const HISTORY_RESOURCES = 200;

export interface RunHistory {
  /** Durations (ms) of the last HISTORY_RUNS succeeded attempts, oldest first. */
  durations: number[];
  /**
   * Rows loaded per resource by the last HISTORY_RUNS succeeded attempts that reported it, oldest first. Key order
   * is recency: the resource seen last is the last key.
   */
  loaded: Record<string, number[]>;
}

export function emptyHistory(): RunHistory {
  return { durations: [], loaded: {} };
}
