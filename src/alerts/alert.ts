import type { ResourceCounts, RunState, RunTrigger } from '../portable/run-attempt.ts';

/**
 * What a notifier is asked to announce. Built by detection, carried as BullMQ job data (so plain JSON:
 * timestamps are epoch ms), rendered by each notifier. Text from Portable (names, error messages) is raw here;
 * each notifier escapes it for its own medium.
 */
export type AlertKind =
  /** A run attempt finished with FAILED. */
  | 'failed'
  /** A run attempt has been RUNNING or PENDING longer than maxRuntime. */
  | 'stalled'
  /** The first SUCCEEDED attempt after a failed or stalled alert. */
  | 'recovered'
  /** A run attempt finished with an outcome this worker does not know (e.g. `disposition "cancelled"`). */
  | 'unknown-outcome'
  /** The worker cannot check a flow (or the account): 404, 401, 403, or transient errors that persist. */
  | 'monitor-error'
  /** Checks succeed again after a monitor error. */
  | 'monitor-recovered'
  /** Sent by `portable-watch test-alert`; clearly labelled, changes no state. */
  | 'test';

export interface AlertAttempt {
  id: number;
  trigger: RunTrigger;
  state: RunState;
  createdAt: number;
  completedAt: number | null;
  /** How long it ran (until completedAt, or until detection for a stalled run); null when unknown. */
  durationMs: number | null;
  resources: ResourceCounts[];
  errors: string[];
  /** For an unknown outcome: the value Portable sent, quoted (`disposition "cancelled"`). */
  unrecognised?: string;
}

export type MonitorProblem =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'transient'
  | 'malformed'
  | 'bad-request'
  /** An unfinished attempt followed for 7 days was let go (a one-off notice, no recovery). */
  | 'lost-track'
  /** Redis lost the installation's state; the worker rebuilt it (a one-off notice, no recovery). */
  | 'state-lost';

export interface Alert {
  /** Deterministic identity: the same (flow, attempt, kind) always yields the same key, so retries dedupe. */
  key: string;
  kind: AlertKind;
  flow: { id: number; name: string; url?: string };
  attempt?: AlertAttempt;
  /** For stalled alerts: the maxRuntime that was exceeded (ms). */
  maxRuntimeMs?: number;
  /** For recovered alerts: what it recovers from. */
  resolves?: { kind: 'failed' | 'stalled'; attemptId: number; since: number };
  /** For monitor-error / monitor-recovered alerts. */
  monitor?: { problem: MonitorProblem; message: string; since: number; scope: 'flow' | 'account' | 'installation' };
  /** Epoch ms at which the condition was detected. */
  detectedAt: number;
}

/**
 * Whether the alert is about one flow. Account- and installation-wide alerts carry a flow only because every alert
 * does (the one whose check noticed, or a stand-in with id 0), and a test alert is about no flow: nothing a person
 * reads about them names a flow, its id or its link.
 */
export function isAboutFlow(alert: Alert): boolean {
  return alert.kind !== 'test' && (alert.monitor?.scope ?? 'flow') === 'flow';
}

/** What `portable-watch test-alert` sends: about no flow (the id is a stand-in no medium shows), changing nothing. */
export function testMessage(now: number): Alert {
  return { key: `test-${now}`, kind: 'test', flow: { id: 0, name: 'portable-watch test message' }, detectedAt: now };
}

export const ALERT_TITLES: Record<AlertKind, string> = {
  failed: 'FAILED',
  stalled: 'STALLED',
  recovered: 'RECOVERED',
  'unknown-outcome': 'UNKNOWN OUTCOME',
  'monitor-error': 'MONITOR ERROR',
  'monitor-recovered': 'MONITOR RECOVERED',
  test: 'TEST',
};
