import { DETECT_KINDS, type Alert, type DetectKind } from '../alerts/alert.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import { pausedMs } from '../maintenance/maintenance-windows.ts';
import { isFinished, type RunAttempt } from '../portable/run-attempt.ts';
import { detectMissedRuns } from './detect-missed-runs.ts';
import { judgeSuccess, type QualityIncidents } from './detect-quality.ts';
import { incidentFailures, type FlowState, type KnownAttempt, type LastFailure, type LastRun } from './flow-state.ts';
import { runtimeLimit } from './learned-runtime.ts';
import { recordRecentAttempt } from './recent-attempts.ts';
import { alertAttempt, lostTrackAlert, openIncident, recoveredAlert, runAlert, runIncidentKey } from './run-alerts.ts';
import { recordSuccess } from './run-history.ts';
import type { Schedule } from './schedule.ts';

/**
 * Detection is pure: (settings, attempts, previous state, now) → alerts and the next state. No clock, no I/O,
 * so every rule can be tested as a row in a table.
 */

export interface DetectionSettings {
  /** RUNNING or PENDING longer than this (from createdAt) is stalled; `auto` learns it from the flow's own runs. */
  maxRuntime: number | 'auto';
  /** What `auto` uses until it has enough successful durations. Default 2h. */
  autoFallback?: number;
  /** How far back the first check looks; older attempts are never alerted. */
  backfill: number;
  /** How far back the first check reads history to learn from (auto, volume). Default 30 days. */
  learnFrom?: number;
  sendOnResolved: boolean;
  /** The rules that raise alerts. Default all. */
  detect?: readonly DetectKind[];
  /** Rows extracted and not loaded, as a share of those extracted, that still count as a full load. Default 0. */
  partialTolerance?: number;
  /** Grace after an expected run's time; default 10% of the period, at least 2m, at most 1h. */
  missedAfter?: number;
  /** A failure alerts only once this many attempts in a row have failed (for flaky flows). Default 1. */
  alertAfter?: number;
  /** The maintenance windows of this flow (already chosen for it): time inside them runs no stalled or missed clock. */
  maintenance?: readonly MaintenanceWindow[];
}

export interface FlowIdentity {
  id: number;
  name: string;
  url?: string;
  /** The flow's labels from the config, carried into its alerts for routes, silences and windows to match. */
  labels?: Record<string, string>;
}

export const DEFAULT_AUTO_FALLBACK_MS = 2 * 3_600_000;
export const DEFAULT_LEARN_FROM_MS = 30 * 24 * 3_600_000;

/** Re-read this much before the checkpoint, so an attempt stamped slightly in the past by Portable's clock is not missed. */
export const CHECKPOINT_OVERLAP_MS = 5 * 60_000;

/**
 * How long an unfinished attempt is followed. One still unfinished after this (or no longer reported by Portable
 * for this long) is let go with a `monitor-error` alert saying so; the first check of a flow looks back this far
 * for runs still unfinished, whatever `backfill` says.
 */
export const MAX_TRACKED_AGE_MS = 7 * 24 * 3_600_000;

/**
 * Requests reach back this far before the oldest unfinished attempt, so a Portable that treats `startTime` as
 * exclusive (or stamps it a moment differently) still returns it.
 */
export const UNFINISHED_MARGIN_MS = 60_000;

/** Finished attempts created before this and not already known are history: read, never alerted. */
export function freshWindowStart(state: FlowState, settings: DetectionSettings, now: number): number {
  return state.checkpoint === null ? now - settings.backfill : state.checkpoint - CHECKPOINT_OVERLAP_MS;
}

/**
 * What the next check must ask Portable for: the fresh window, widened to a margin before the oldest attempt still
 * unfinished. A first check also reaches back for runs that were already unfinished when watching began.
 */
export function fetchWindowStart(state: FlowState, settings: DetectionSettings, now: number): number {
  let start = state.checkpoint === null ? now - Math.max(settings.backfill, MAX_TRACKED_AGE_MS) : freshWindowStart(state, settings, now);
  if (state.historySince === null) start = Math.min(start, now - learningWindow(settings));
  for (const known of Object.values(state.known)) {
    if (!isFinished(known)) start = Math.min(start, known.createdAt - UNFINISHED_MARGIN_MS);
  }
  return start;
}

/** How far back a first check reads to learn a flow's run times and volumes: only when a rule learns from them. */
export function learningWindow(settings: DetectionSettings): number {
  const detect = settings.detect ?? DETECT_KINDS;
  const learns = (settings.maxRuntime === 'auto' && detect.includes('stalled')) || detect.includes('volume');
  return learns ? (settings.learnFrom ?? DEFAULT_LEARN_FROM_MS) : 0;
}

export interface DetectionResult {
  alerts: Alert[];
  state: FlowState;
}

/**
 * `now` and `checkpoint` are on Portable's clock (the worker's, corrected by the skew its answers show):
 * `checkpoint` is when the check began, before its first request, so whatever Portable created while the check
 * ran is inside the next check's window however long this one took.
 */
export function detectRunEvents(input: {
  flow: FlowIdentity;
  settings: DetectionSettings;
  attempts: readonly RunAttempt[];
  state: FlowState;
  now: number;
  checkpoint: number;
  /** When the flow is expected to run; undefined when it is not (or not known yet). */
  schedule?: Schedule | undefined;
}): DetectionResult {
  const { flow, settings, state, now } = input;
  const detect = new Set(settings.detect ?? DETECT_KINDS);
  const firstCheck = state.checkpoint === null;
  // The check that reads the flow's history from Portable learns from every success in its answer.
  const learning = state.historySince === null;
  const freshStart = freshWindowStart(state, settings, now);
  const nextFreshStart = input.checkpoint - CHECKPOINT_OVERLAP_MS;
  const alerts: Alert[] = [];
  const known: Record<string, KnownAttempt> = {};
  const answered = new Set<string>();
  let incident = state.incident;
  let lastFailure = state.lastFailure;
  let history = state.history;
  let recent = state.recent;
  let quality: QualityIncidents = { partial: state.partial, volume: state.volume };
  let lastRun = state.lastRun;
  let failuresInARow = state.failuresInARow;
  const alertAfter = settings.alertAfter ?? 1;
  const windows = settings.maintenance ?? [];
  const qualityRules = {
    partial: detect.has('partial'),
    volume: detect.has('volume'),
    partialTolerance: settings.partialTolerance ?? 0,
    sendOnResolved: settings.sendOnResolved,
  };

  // Oldest first, so a failure followed by a success in one batch reads as failed, then recovered (after the first
  // check: on the first, what came right before watching began is settled history, not news).
  const attempts = [...input.attempts].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  const settled = firstCheck ? settledBeforeWatching(attempts) : new Set<number>();
  // A first check judges the quality of the latest success only: the data as it stands now.
  const latestSuccess = firstCheck ? attempts.findLast((attempt) => attempt.state === 'succeeded')?.id : undefined;
  const judgedAttempts = new Map<number, RunAttempt>();
  for (const attempt of attempts) {
    const id = String(attempt.id);
    answered.add(id);
    const previous = state.known[id];
    // An unreadable createdAt was stamped with this answer's arrival; the first sighting is the better guess.
    const createdAt = attempt.createdAtUnreadable && previous !== undefined ? previous.createdAt : attempt.createdAt;
    const finished = isFinished(attempt);
    // `backfill` bounds finished history only: a run unfinished when watching begins is followed whatever its age.
    // History still inside the next check's window is remembered as handled, or that check would alert it.
    const pastHistory = previous === undefined && finished && createdAt < freshStart;
    const alreadyFinished = pastHistory || settled.has(attempt.id) || (previous !== undefined && isFinished(previous));
    // Seen finished for the first time: what the flow's history learns from (on a first check, all of it).
    const newlyFinished = finished && (learning || (previous === undefined ? createdAt >= freshStart : !isFinished(previous)));
    if (attempt.state === 'failed' && !pastHistory) lastFailure = laterFailure(lastFailure, attempt);
    let stalledAlerted = previous?.stalledAlerted ?? false;
    const judged = { ...attempt, createdAt };
    lastRun = laterRun(lastRun, judged);
    // Each attempt counts once, when first seen finished; a first check counts the whole history it read, so a flow
    // already failing in a row when watching begins has those failures counted.
    if (finished && (firstCheck || (previous === undefined ? !pastHistory : !isFinished(previous)))) {
      if (attempt.state === 'succeeded') failuresInARow = 0;
      if (attempt.state === 'failed') {
        failuresInARow += 1;
        if (incident !== null) incident = { ...incident, failures: incidentFailures(incident) + 1 };
      }
    }

    if (!alreadyFinished && attempt.state === 'failed') {
      // Below alertAfter a failure is quiet (still recorded as lastFailure); once an alerted failure has opened the
      // incident, every further failure alerts, even one a late success of an older run left alone in a row.
      if (detect.has('failed') && (failuresInARow >= alertAfter || incident?.kind === 'failed')) {
        incident = openIncident(incident, 'failed', judged, now);
        alerts.push({ ...runAlert('failed', flow, judged, now), incident: runIncidentKey(flow, incident), ...(alertAfter > 1 ? { failuresInARow } : {}) });
      }
    } else if (!alreadyFinished && attempt.state === 'unrecognised') {
      if (detect.has('unknown-outcome')) alerts.push(runAlert('unknown-outcome', flow, judged, now));
    } else if (!alreadyFinished && attempt.state === 'succeeded' && incident !== null) {
      // A later run succeeding ends the incident (one created in the same millisecond counts as later: ids grow);
      // so does the stalled run itself finishing well.
      if (createdAt >= incident.attemptCreatedAt) {
        if (settings.sendOnResolved) alerts.push(recoveredAlert(flow, judged, incident, now));
        incident = null;
      }
    } else if (!finished && !stalledAlerted && detect.has('stalled')) {
      // Learned from the successes that came before it (on a first check, those of this very answer).
      const limit = runtimeLimit(settings.maxRuntime, history.durations, settings.autoFallback ?? DEFAULT_AUTO_FALLBACK_MS);
      // Unknown states count as unfinished: an attempt whose state we cannot read must still not hang unseen.
      // Windows only ever lengthen the limit, so a run within it costs no cron work.
      const paused = now - createdAt > limit.limitMs && windows.length > 0 ? pausedMs(windows, createdAt, now) : 0;
      if (now - createdAt - paused > limit.limitMs) {
        const runtime = paused > 0 ? { ...limit, pausedMs: paused } : limit;
        incident = openIncident(incident, 'stalled', judged, now, runtime);
        alerts.push({ ...runAlert('stalled', flow, judged, now), incident: runIncidentKey(flow, incident), maxRuntimeMs: limit.limitMs, runtime });
        stalledAlerted = true;
      }
    }

    if (newlyFinished) recent = recordRecentAttempt(recent, judged);
    if (newlyFinished && attempt.state === 'succeeded') {
      if (!alreadyFinished || (attempt.id === latestSuccess && !pastHistory)) {
        const judgedQuality = judgeSuccess({ flow, attempt: judged, alertAttempt: alertAttempt(judged, now), history, incidents: quality, rules: qualityRules, now });
        alerts.push(...judgedQuality.alerts);
        quality = judgedQuality.incidents;
      }
      history = recordSuccess(history, judged);
    }
    judgedAttempts.set(attempt.id, judged);

    const tracked: KnownAttempt = { createdAt, state: attempt.state, stalledAlerted };
    if (finished) {
      // Kept while a later check may read it again; one with a guessed time as long as Portable keeps sending it.
      if (createdAt >= nextFreshStart || (attempt.createdAtUnreadable && now - createdAt <= MAX_TRACKED_AGE_MS)) known[id] = tracked;
    } else if (now - createdAt <= MAX_TRACKED_AGE_MS) {
      known[id] = tracked;
    } else if (previous !== undefined) {
      alerts.push(lostTrackAlert(flow, attempt.id, tracked, now, 'still unfinished'));
    }
  }

  // An unfinished attempt this answer left out (a page cap, an exclusive startTime, a lagging replica) stays
  // followed: the next answer may hold it again, finished.
  for (const [id, previous] of Object.entries(state.known)) {
    if (answered.has(id) || isFinished(previous)) continue;
    if (now - previous.createdAt <= MAX_TRACKED_AGE_MS) known[id] = previous;
    else alerts.push(lostTrackAlert(flow, Number(id), previous, now, 'no longer reported by Portable'));
  }

  const watchingSince = state.watchingSince ?? input.checkpoint;
  const missed = detectMissedRuns({
    flow,
    schedule: detect.has('missed') ? input.schedule : undefined,
    missedAfter: settings.missedAfter,
    maintenance: windows,
    sendOnResolved: settings.sendOnResolved,
    state: { missed: state.missed, watchingSince },
    lastRun,
    firstRunAfterGap: (lastRunAt) => {
      const next = attempts.find((attempt) => lastRunAt === null || attempt.createdAt > lastRunAt);
      const judged = next === undefined ? undefined : judgedAttempts.get(next.id);
      return judged === undefined ? undefined : alertAttempt(judged, now);
    },
    running: Object.values(known).some((attempt) => !isFinished(attempt)),
    now,
  });
  // The run that ends a gap is announced before whatever that run itself did.
  alerts.unshift(...missed.alerts.filter((alert) => alert.kind === 'recovered'));
  alerts.push(...missed.alerts.filter((alert) => alert.kind !== 'recovered'));

  return {
    alerts,
    state: {
      ...state,
      checkpoint: input.checkpoint,
      known,
      incident,
      lastFailure,
      history,
      recent,
      historySince: state.historySince ?? input.checkpoint - learningWindow(settings),
      lastRun,
      watchingSince,
      missed: missed.missed,
      partial: quality.partial,
      volume: quality.volume,
      failuresInARow,
    },
  };
}

/** The latest attempt by creation (ids break ties); a later sighting of the same one refreshes its end. */
function laterRun(current: LastRun | null, attempt: RunAttempt): LastRun {
  const candidate = { attemptId: attempt.id, createdAt: attempt.createdAt, completedAt: attempt.completedAt };
  if (current === null || attempt.id === current.attemptId) return candidate;
  if (attempt.createdAt > current.createdAt || (attempt.createdAt === current.createdAt && attempt.id > current.attemptId)) return candidate;
  return current;
}

/**
 * A first check reports what is wrong now, not what had already come right before watching began: every finished
 * attempt up to the latest success is read as handled, and of the failures after it only the latest is alerted.
 * Unfinished attempts are judged as always (a run hung past maxRuntime is wrong now, whatever succeeded since), and
 * so is an unknown outcome after the latest success. `attempts` are sorted oldest first.
 */
function settledBeforeWatching(attempts: readonly RunAttempt[]): Set<number> {
  const lastSuccess = attempts.findLastIndex((attempt) => attempt.state === 'succeeded');
  const lastFailure = attempts.findLastIndex((attempt) => attempt.state === 'failed');
  const settled = new Set<number>();
  attempts.forEach((attempt, index) => {
    if (!isFinished(attempt)) return;
    if (index <= lastSuccess || (attempt.state === 'failed' && index !== lastFailure)) settled.add(attempt.id);
  });
  return settled;
}

/** The later of two failures, by when each ended (or began, when Portable gave no end). */
function laterFailure(current: LastFailure | null, attempt: RunAttempt): LastFailure {
  const candidate = { attemptId: attempt.id, at: attempt.completedAt ?? attempt.createdAt };
  if (current === null || candidate.at > current.at || (candidate.at === current.at && candidate.attemptId > current.attemptId)) return candidate;
  return current;
}

export { alertAttempt } from './run-alerts.ts';
