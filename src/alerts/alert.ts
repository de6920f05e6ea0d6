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
  /** A scheduled run did not happen: no attempt was created within an expected run's time plus `missedAfter`. */
  | 'missed'
  /** A SUCCEEDED attempt with errors, or with a resource that loaded fewer rows than it extracted. */
  | 'partial'
  /** A SUCCEEDED attempt that loaded far fewer rows into a resource than that resource usually does. */
  | 'volume'
  /** Sent by `portable-watch test-alert`; clearly labelled, changes no state. */
  | 'test';

/** What detection looks for; `detect:` in the config chooses among them (default: all). */
export type DetectKind = 'failed' | 'stalled' | 'missed' | 'partial' | 'volume' | 'unknown-outcome';
export const DETECT_KINDS: readonly DetectKind[] = ['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome'];

/** The incidents a `recovered` alert can end. */
export type IncidentKind = 'failed' | 'stalled' | 'missed' | 'partial' | 'volume';

/** How a stalled alert's limit was found. */
export interface RuntimeLimit {
  limitMs: number;
  /** fixed: `maxRuntime` is a duration; learned: `auto` from the flow's durations; fallback: `auto` with too few of them. */
  source: 'fixed' | 'learned' | 'fallback';
  /** How many successful durations `auto` had (learned and fallback). */
  samples?: number;
  /** Fallback only: how many it needs before it learns. */
  samplesNeeded?: number;
  /** Learned only: the usual range (10th to 90th percentile), the 95th percentile and the median, in ms. */
  usualLowMs?: number;
  usualHighMs?: number;
  p95Ms?: number;
  medianMs?: number;
}

/** For a missed alert: the gap, from the latest run to now. */
export interface MissedRuns {
  /** createdAt of the latest attempt before the gap; null when none was seen (then the gap starts when watching began). */
  lastRunAt: number | null;
  /** When the gap starts counting from: the latest run (its end, when it ended later) or when watching began. */
  since: number;
  /** When the first missing run was expected. */
  expectedAt: number;
  /** Expected runs missing so far (at least 1); `slotsCapped` when counting stopped there. */
  slots: number;
  slotsCapped?: boolean;
  /** The grace after each expected time (`missedAfter`). */
  graceMs: number;
  /** The expectation, for people: `cron "0 6 * * *" (UTC), from Portable`, `every 1h, from the config`. */
  schedule: string;
}

/** A resource of a partial load. */
export interface PartialResource {
  name: string;
  extracted: number | null;
  loaded: number | null;
  errors: string[];
}

/** A resource that loaded far fewer rows than usual. */
export interface VolumeDrop {
  name: string;
  loaded: number;
  /** Over its last `samples` successful loads: the median and the usual range (10th to 90th percentile). */
  medianLoaded: number;
  usualLow: number;
  usualHigh: number;
  samples: number;
}

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
  /** For stalled alerts: how that limit was found (learned by `maxRuntime: auto`, or fixed). */
  runtime?: RuntimeLimit;
  /** For missed alerts. */
  missed?: MissedRuns;
  /** For partial alerts: each resource with errors or fewer rows loaded than extracted; the attempt's own errors are on `attempt`. */
  partial?: { resources: PartialResource[]; toleranceRatio: number };
  /** For volume alerts. */
  volume?: { resources: VolumeDrop[] };
  /**
   * For recovered alerts: what it recovers from. `attemptId` is the attempt that opened the incident (none for a
   * missed run); `expectedAt` the missed run's expected time.
   */
  resolves?: { kind: IncidentKind; attemptId?: number; since: number; expectedAt?: number };
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
  missed: 'MISSED RUN',
  partial: 'PARTIAL LOAD',
  volume: 'VOLUME DROP',
  'monitor-error': 'MONITOR ERROR',
  'monitor-recovered': 'MONITOR RECOVERED',
  test: 'TEST',
};
