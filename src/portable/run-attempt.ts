import type { Anomaly } from './anomaly.ts';

/**
 * The one shape the rest of the program sees for a Portable run attempt, whichever
 * dialect (published example or published schema) the API answered in.
 * Timestamps are epoch milliseconds so attempts survive JSON (BullMQ job data, Redis) unchanged.
 */

/** Where an attempt is in its life, derived from lifecycle / disposition / status (never from completedAt). */
export type RunState =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  /** Finished without an outcome (not_running + none, or status NONE with a completedAt): e.g. cancelled. */
  | 'ended'
  /** Finished, with a lifecycle or outcome value this client does not know (`disposition "cancelled"`). */
  | 'unrecognised'
  /** Maybe still running, with a lifecycle or outcome value this client does not know (`lifecycle "queued"`). */
  | 'unknown';

export type RunTrigger = 'scheduled' | 'manual' | 'api' | 'unknown';

export interface ResourceCounts {
  name: string;
  extracted: number | null;
  analyzed: number | null;
  loaded: number | null;
  /** Errors Portable put on this resource (`resources[].errors`, `details.<name>.errors`); absent when none. */
  errors?: string[];
}

export interface RunAttempt {
  id: number;
  flowId: number;
  trigger: RunTrigger;
  state: RunState;
  /**
   * Epoch ms. When Portable's value cannot be read, the time the answer arrived (`createdAtUnreadable`): the
   * attempt is still judged, and a check that already knows it keeps the time it was first seen.
   */
  createdAt: number;
  createdAtUnreadable: boolean;
  /** Epoch ms, or null when Portable did not say (a failed attempt can have none). */
  completedAt: number | null;
  /** Row counts per resource; empty when unknown. */
  resources: ResourceCounts[];
  /** Error messages verbatim; empty when none. */
  errors: string[];
  /** The value that made `state` unknown or unrecognised, quoted as Portable sent it: `disposition "cancelled"`. */
  unrecognised?: string;
  /** Values this client did not understand, e.g. `unknown disposition "cancelled"`; reported, never fatal. */
  anomalies: Anomaly[];
}

export const FINISHED_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'ended', 'unrecognised']);

export function isFinished(attempt: Pick<RunAttempt, 'state'>): boolean {
  return FINISHED_STATES.has(attempt.state);
}
