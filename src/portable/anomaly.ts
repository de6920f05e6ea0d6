/**
 * Something in Portable's answer this client did not understand or had to work around. Never fatal: the
 * attempt is kept (or, when it cannot be, skipped and reported), and every anomaly is counted by kind in
 * `portable_watch_anomalies_total`, so a change on Portable's side shows up as a number, not as silence.
 */
export type AnomalyKind =
  /** A lifecycle, disposition, status or trigger value this client does not know. */
  | 'unknown-value'
  /** createdAt or completedAt that is not a timestamp. */
  | 'unreadable-timestamp'
  /** An item that is not an attempt at all (no usable id, not an object): skipped. */
  | 'unusable-attempt'
  /** A field of the wrong type, ignored. */
  | 'ignored-field'
  /** Fields that contradict each other or the request (disposition vs status, another flow's id, none at all). */
  | 'inconsistent'
  /** Resources or errors in an unexpected shape: read as well as possible. */
  | 'odd-shape'
  /** Paging that had to stop early: the page cap, or a server ignoring limit/offset. */
  | 'paging';

export interface Anomaly {
  kind: AnomalyKind;
  /** For a person: `attempt 658423: unknown lifecycle "queued"`. */
  message: string;
  /** The attempt it concerns, when there is one: lets a check report an attempt's anomalies once, not per check. */
  attemptId?: number;
}

export function anomaly(kind: AnomalyKind, message: string): Anomaly {
  return { kind, message };
}
