import type { MissedRuns, MonitorProblem, RuntimeLimit } from '../alerts/alert.ts';
import type { RunState, RunTrigger } from '../portable/run-attempt.ts';
import type { RecentAttempt } from './recent-attempts.ts';
import { emptyHistory, type RunHistory } from './run-history.ts';

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
  /** Durations and rows loaded of the latest successful runs: what `maxRuntime: auto` and volume drops learn from. */
  history: RunHistory;
  /**
   * Epoch ms from which `history` was read from Portable; null until it has been (before a flow's first check, and
   * in a state written before history existed): the check that finds it null reads back `learnFrom` to learn.
   */
  historySince: number | null;
  /** The latest attempt seen (by createdAt): where the next expected run is counted from. Null until one is seen. */
  lastRun: LastRun | null;
  /** Epoch ms (Portable's clock) of the first successful check: expected runs count from here before any run is seen. */
  watchingSince: number | null;
  /** An open missed-run incident, ended by the next attempt created. */
  missed: MissedIncident | null;
  /** Open data-quality incidents, each ended by the next SUCCEEDED attempt that does not repeat it. */
  partial: QualityIncident | null;
  volume: QualityIncident | null;
  /**
   * FAILED attempts in a row, oldest first, up to the latest one seen; a SUCCEEDED attempt sets it back to 0. A
   * failure alerts only once this reaches `alertAfter`.
   */
  failuresInARow: number;
  /** Reminders (`repeatEvery`) of each open incident, by the alert key that opened it. */
  reminders: Record<string, ReminderRecord>;
  /** The last finished attempts, oldest first (recent-attempts.ts): the status page's strip. */
  recent: RecentAttempt[];
}

export interface ReminderRecord {
  /** When detection first saw the incident open: the first reminder is due an interval later. */
  openedAt: number;
  /** Reminders sent so far; the next one is numbered sent + 1. */
  sent: number;
  /** When the incident was last announced (opened or reminded of). */
  lastAt: number;
}

export interface LastRun {
  attemptId: number;
  createdAt: number;
  /** Null while it runs (or when Portable gave no end). */
  completedAt: number | null;
}

export interface MissedIncident {
  /** When the first missing run was expected: with the flow id, the incident's identity. */
  expectedAt: number;
  /** The latest run's createdAt when the gap began; null when none had been seen. */
  lastRunAt: number | null;
  /** When it was detected. */
  since: number;
  /** What the missed alert said, so a reminder can say it again (absent in a state written by an older version). */
  facts?: MissedRuns;
}

export interface QualityIncident {
  attemptId: number;
  /** When the attempt that opened it ended. */
  since: number;
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
  /**
   * FAILED attempts since the incident opened, including the one that opened it: what a reminder counts. Absent for
   * a stalled incident until one of its attempts fails (and in a state written by an older version).
   */
  failures?: number;
  /** Facts of the attempt that opened it, kept for reminders: how it was started, its first error. */
  trigger?: RunTrigger;
  firstError?: string;
  /** For a stalled incident: the limit its run went past. */
  runtime?: RuntimeLimit;
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
    history: emptyHistory(),
    historySince: null,
    lastRun: null,
    watchingSince: null,
    missed: null,
    partial: null,
    volume: null,
    failuresInARow: 0,
    reminders: {},
    recent: [],
  };
}

/** FAILED attempts since a run incident opened; one written by an older version counted only the failure that opened it. */
export function incidentFailures(incident: RunIncident): number {
  return incident.failures ?? (incident.kind === 'failed' ? 1 : 0);
}
