import type { MonitorProblem } from '../alerts/alert.ts';
import type { RunState } from '../portable/run-attempt.ts';

/**
 * What the worker remembers about one flow between checks. Stored in Redis as JSON and replaced whole, with a
 * version, so a check that lost a race (another replica committed first) can be told to throw its result away.
 */
export interface FlowState {
  /** Bumped on every commit; compare-and-set guards concurrent checks of the same flow. */
  version: number;
  /**
   * Epoch ms up to which every attempt has been seen (our clock at the last successful check). The next check
   * asks for attempts created since `checkpoint - overlap`; null before the first successful check.
   */
  checkpoint: number | null;
  /**
   * Attempts already handled, by id: every unfinished one (re-read until it finishes) and the finished ones
   * still inside the overlap window (so re-reading them never alerts twice).
   */
  known: Record<string, KnownAttempt>;
  /** An open failed/stalled incident, ended by the next SUCCEEDED attempt (a "recovered" alert). */
  incident: RunIncident | null;
  /**
   * The latest FAILED attempt seen, alerted or not: a first check reads failures that had recovered before
   * watching began without alerting them, and `status` still shows them. Null until one is seen.
   */
  lastFailure: LastFailure | null;
  /** The flow cannot be checked; opened and closed by monitor-error / monitor-recovered alerts. */
  monitor: MonitorIncident | null;
  /** Alerts raised so far; makes each monitor incident's alert key unique and deterministic. */
  monitorIncidents: number;
  /** Epoch ms of the first failure in the current run of consecutive failed checks; null when checks succeed. */
  failingSince: number | null;
  lastCheck: { at: number; outcome: CheckOutcome } | null;
  /** Epoch ms of the last check that reached Portable and committed (outcome ok or alerted); what /metrics ages. */
  lastSuccessAt: number | null;
  /** The flow's displayName from Portable, fetched once when an alert first needs a name. */
  displayName: string | null;
}

export type CheckOutcome = 'ok' | 'alerted' | 'error';

export interface KnownAttempt {
  createdAt: number;
  state: RunState;
  stalledAlerted: boolean;
}

export interface RunIncident {
  kind: 'failed' | 'stalled';
  attemptId: number;
  attemptCreatedAt: number;
  since: number;
}

export interface LastFailure {
  attemptId: number;
  /** Epoch ms when it ended (when it began, if Portable gave no end). */
  at: number;
}

export interface MonitorIncident {
  problem: MonitorProblem;
  message: string;
  since: number;
  /** Whether the monitor-error alert went out (transient problems wait before alerting). */
  alerted: boolean;
  /** Deterministic key of the alert for this incident, reused by its monitor-recovered alert. */
  key: string;
}

export function initialFlowState(): FlowState {
  return {
    version: 0,
    checkpoint: null,
    known: {},
    incident: null,
    lastFailure: null,
    monitor: null,
    monitorIncidents: 0,
    failingSince: null,
    lastCheck: null,
    lastSuccessAt: null,
    displayName: null,
  };
}
