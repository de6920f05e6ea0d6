import { flowKeyOf } from '../accounts/flow-ref.ts';
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
  | 'test'
  /** `discover:` started or stopped watching flows (to `discoverNotify`); about no flow, nothing to recover. */
  | 'discovery';

/** What detection looks for; `detect:` in the config chooses among them (default: all). */
export type DetectKind = 'failed' | 'stalled' | 'missed' | 'partial' | 'volume' | 'unknown-outcome';
export const DETECT_KINDS: readonly DetectKind[] = ['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome'];

/** What routes, silences and maintenance windows tell apart: the detection rules, and monitor errors. */
export type RouteKind = DetectKind | 'monitor-error';
export const ROUTE_KINDS: readonly RouteKind[] = [...DETECT_KINDS, 'monitor-error'];

/** How urgent an alert is: by kind (DEFAULT_SEVERITY), or as a route says (`severity:`). */
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export const DEFAULT_SEVERITY: Record<RouteKind, Severity> = {
  failed: 'critical',
  stalled: 'critical',
  missed: 'critical',
  partial: 'warning',
  volume: 'warning',
  'unknown-outcome': 'warning',
  'monitor-error': 'warning',
};

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
  /** Time the run spent inside maintenance windows, not counted against the limit; absent when none. */
  pausedMs?: number;
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

/** A reminder that an incident is still open (`repeatEvery`); the alert keeps the incident's kind. */
export interface Reminder {
  /** 1 for the first reminder of the incident, then 2, … */
  number: number;
  /** When the incident opened. */
  since: number;
  /** For a failed incident: attempts that failed since it opened (including the first). */
  failedAttempts?: number;
}

/** Why an alert reaches a notifier only now: a silence or a maintenance window held it, and the incident is still open. */
export interface HeldBy {
  /** `silence s-1a2b3c4d` or `maintenance window "warehouse upgrade"`. */
  what: string;
  /** When it was held, and when the hold ended. */
  heldAt: number;
  releasedAt: number;
}

export interface Alert {
  /** Deterministic identity: the same (flow, attempt, kind) always yields the same key, so retries dedupe. */
  key: string;
  /**
   * The incident the alert belongs to: the key of the alert that opened it, shared by the failures that follow, its
   * reminders and its recovery (PagerDuty's dedup_key, the webhook's `incident`). Absent when it is the alert's own key
   * (an opening alert, a one-off notice); read it with `incidentOf`.
   */
  incident?: string;
  kind: AlertKind;
  /**
   * `labels`: the flow's labels from the config (routes, silences and maintenance windows match on them). `account`:
   * the Portable account, present for a flow of another account than the default one and whenever several are watched.
   */
  flow: { id: number; name: string; account?: string; url?: string; labels?: Record<string, string> };
  /** Set for each notifier by routing (default: DEFAULT_SEVERITY of the alert's incident kind). */
  severity?: Severity;
  /** For a failed alert with `alertAfter` above 1: how many attempts in a row failed. */
  failuresInARow?: number;
  /** For a reminder (`repeatEvery`). */
  reminder?: Reminder;
  /** For an alert a silence or a maintenance window held until now. */
  heldBy?: HeldBy;
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
  /** For discovery notices: how many flows were added and dropped, and the messages that name them. */
  discovery?: { added: number; removed: number; messages: string[] };
  /** Epoch ms at which the condition was detected. */
  detectedAt: number;
}

/**
 * Whether the alert is about one flow. Account- and installation-wide alerts carry a flow only because every alert
 * does (the one whose check noticed, or a stand-in with id 0), and a test alert is about no flow: nothing a person
 * reads about them names a flow, its id or its link.
 */
export function isAboutFlow(alert: Alert): boolean {
  return alert.kind !== 'test' && alert.kind !== 'discovery' && (alert.monitor?.scope ?? 'flow') === 'flow';
}

/** What `portable-watch test-alert` sends: about no flow (the id is a stand-in no medium shows), changing nothing. */
export function testMessage(now: number): Alert {
  return { key: `test-${now}`, kind: 'test', flow: { id: 0, name: 'portable-watch test message' }, detectedAt: now };
}

/**
 * How every alert key of a flow begins: `f42` for a flow of the default account (as before accounts existed, so an
 * upgrade keeps its incidents), `fprod~42` for another account's.
 */
export function alertKeyPrefix(flow: Pick<Alert['flow'], 'id' | 'account'>): string {
  return `f${flowKeyOf(flow)}`;
}

/** The incident an alert belongs to (see `Alert.incident`): one-off notices and test alerts are their own. */
export function incidentOf(alert: Pick<Alert, 'key' | 'incident'>): string {
  return alert.incident ?? alert.key;
}

/**
 * The kind routes, silences and maintenance windows treat an alert as: its own, or for a recovery the kind of the
 * incident it ends (a recovery goes where the failure went). A test alert is none of them (undefined).
 */
export function routeKindOf(alert: Pick<Alert, 'kind' | 'resolves'>): RouteKind | undefined {
  switch (alert.kind) {
    case 'test':
    case 'discovery':
      return undefined;
    case 'recovered':
      return alert.resolves?.kind ?? 'failed';
    case 'monitor-recovered':
      return 'monitor-error';
    default:
      return alert.kind;
  }
}

/** Whether the alert opens an incident or reminds of one (not a recovery, not a test). */
export function isProblem(alert: Pick<Alert, 'kind'>): boolean {
  return alert.kind !== 'recovered' && alert.kind !== 'monitor-recovered' && alert.kind !== 'test' && alert.kind !== 'discovery';
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
  discovery: 'DISCOVERY',
};
