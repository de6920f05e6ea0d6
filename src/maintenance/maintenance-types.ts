import type { LabelSet } from '../routing/route-types.ts';

/**
 * One entry of `maintenance:`: a window that opens at each time `cron` names (read in `timezone`) and lasts
 * `durationMs`. Inside it the matched flows' alerts are held like a silence, and their `stalled` and `missed`
 * clocks do not run. `flows` absent: every flow; otherwise a flow matches when its id is in `ids`, or when it has
 * every label of `labels` (both given: either).
 */
export interface MaintenanceWindow {
  name: string;
  cron: string;
  durationMs: number;
  timezone: string;
  flows?: { labels?: LabelSet; ids?: readonly number[] };
}
