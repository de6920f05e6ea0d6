import type { RunState } from '../portable/run-attempt.ts';

/*
 * The flow's last finished attempts, for the status page's strip of coloured marks (outcome, start and duration on
 * hover). Kept in the flow's state, which every check reads and writes: compact tuples, at most RECENT_ATTEMPTS,
 * about a kilobyte. A first check fills it from the history it reads, so the strip is full from the first day.
 */

export const RECENT_ATTEMPTS = 30;

/** s: succeeded, f: failed, e: ended without an outcome (cancelled), u: an outcome this worker does not know. */
export type RecentOutcome = 's' | 'f' | 'e' | 'u';

/** [attempt id, outcome, createdAt in epoch seconds, duration in seconds or null when Portable gave no end]. */
export type RecentAttempt = [id: number, outcome: RecentOutcome, createdAtS: number, durationS: number | null];

const OUTCOMES: Partial<Record<RunState, RecentOutcome>> = { succeeded: 's', failed: 'f', ended: 'e', unrecognised: 'u' };

/**
 * Records a finished attempt: oldest first by creation (ids break ties), one entry per id (a later sighting replaces
 * the earlier), the oldest dropped past RECENT_ATTEMPTS. An unfinished attempt changes nothing.
 */
export function recordRecentAttempt(
  recent: readonly RecentAttempt[],
  attempt: { id: number; state: RunState; createdAt: number; completedAt: number | null },
): RecentAttempt[] {
  const outcome = OUTCOMES[attempt.state];
  if (outcome === undefined) return [...recent];
  const durationS = attempt.completedAt === null ? null : Math.max(0, Math.round((attempt.completedAt - attempt.createdAt) / 1000));
  const entry: RecentAttempt = [attempt.id, outcome, Math.floor(attempt.createdAt / 1000), durationS];
  const others = recent.filter(([id]) => id !== attempt.id);
  const sorted = [...others, entry].sort((first, second) => first[2] - second[2] || first[0] - second[0]);
  return sorted.slice(-RECENT_ATTEMPTS);
}
