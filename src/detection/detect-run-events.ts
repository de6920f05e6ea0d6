import type { Alert, AlertAttempt } from '../alerts/alert.ts';
import { isFinished, type RunAttempt } from '../portable/run-attempt.ts';
import type { FlowState, KnownAttempt, RunIncident } from './flow-state.ts';

/**
 * Detection is pure: (settings, attempts, previous state, now) → alerts and the next state. No clock, no I/O,
 * so every rule can be tested as a row in a table.
 */

export interface DetectionSettings {
  /** RUNNING or PENDING longer than this (from createdAt) is stalled. */
  maxRuntime: number;
  /** How far back the first check looks; older attempts are never alerted. */
  backfill: number;
  sendOnResolved: boolean;
}

export interface FlowIdentity {
  id: number;
  name: string;
  url?: string;
}

/** Re-read this much before the checkpoint, so an attempt stamped slightly in the past by Portable's clock is not missed. */
export const CHECKPOINT_OVERLAP_MS = 5 * 60_000;

/** An attempt still unfinished after this long is no longer re-read (it was alerted as stalled long ago). */
export const MAX_TRACKED_AGE_MS = 7 * 24 * 3_600_000;

/** Attempts created before this and not already known are history: read, never alerted. */
export function freshWindowStart(state: FlowState, settings: DetectionSettings, now: number): number {
  return state.checkpoint === null ? now - settings.backfill : state.checkpoint - CHECKPOINT_OVERLAP_MS;
}

/** What the next check must ask Portable for: the fresh window, widened to the oldest attempt still unfinished. */
export function fetchWindowStart(state: FlowState, settings: DetectionSettings, now: number): number {
  let start = freshWindowStart(state, settings, now);
  for (const known of Object.values(state.known)) {
    if (!isFinished(known) && known.createdAt < start && now - known.createdAt <= MAX_TRACKED_AGE_MS) {
      start = known.createdAt;
    }
  }
  return start;
}

export interface DetectionResult {
  alerts: Alert[];
  state: FlowState;
}

export function detectRunEvents(input: {
  flow: FlowIdentity;
  settings: DetectionSettings;
  attempts: readonly RunAttempt[];
  state: FlowState;
  now: number;
}): DetectionResult {
  const { flow, settings, state, now } = input;
  const freshStart = freshWindowStart(state, settings, now);
  const nextFreshStart = now - CHECKPOINT_OVERLAP_MS;
  const alerts: Alert[] = [];
  const known: Record<string, KnownAttempt> = {};
  let incident = state.incident;

  // Oldest first, so a failure followed by a success in one batch reads as failed, then recovered.
  const attempts = [...input.attempts].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  for (const attempt of attempts) {
    const previous = state.known[String(attempt.id)];
    if (previous === undefined && attempt.createdAt < freshStart) continue;
    const alreadyFinished = previous !== undefined && isFinished(previous);
    let stalledAlerted = previous?.stalledAlerted ?? false;

    if (!alreadyFinished && attempt.state === 'failed') {
      alerts.push(runAlert('failed', flow, attempt, now));
      incident = openIncident(incident, 'failed', attempt, now);
    } else if (!alreadyFinished && attempt.state === 'succeeded' && incident !== null) {
      // A later run succeeding ends the incident; so does the stalled run itself finishing well.
      if (attempt.createdAt > incident.attemptCreatedAt || attempt.id === incident.attemptId) {
        if (settings.sendOnResolved) alerts.push(recoveredAlert(flow, attempt, incident, now));
        incident = null;
      }
    } else if (isRunning(attempt) && !stalledAlerted && now - attempt.createdAt > settings.maxRuntime) {
      alerts.push({ ...runAlert('stalled', flow, attempt, now), maxRuntimeMs: settings.maxRuntime });
      incident = openIncident(incident, 'stalled', attempt, now);
      stalledAlerted = true;
    }

    const keep = isFinished(attempt)
      ? attempt.createdAt >= nextFreshStart
      : now - attempt.createdAt <= MAX_TRACKED_AGE_MS;
    if (keep) known[String(attempt.id)] = { createdAt: attempt.createdAt, state: attempt.state, stalledAlerted };
  }

  return { alerts, state: { ...state, checkpoint: now, known, incident } };
}

function isRunning(attempt: RunAttempt): boolean {
  return attempt.state === 'running' || attempt.state === 'pending';
}

/** The first failure of an incident is what a recovery refers to; later ones do not move it. */
function openIncident(current: RunIncident | null, kind: RunIncident['kind'], attempt: RunAttempt, now: number): RunIncident {
  if (current !== null) return current;
  return { kind, attemptId: attempt.id, attemptCreatedAt: attempt.createdAt, since: attempt.completedAt ?? now };
}

function runAlert(kind: 'failed' | 'stalled', flow: FlowIdentity, attempt: RunAttempt, now: number): Alert {
  return { key: `f${flow.id}-a${attempt.id}-${kind}`, kind, flow, attempt: alertAttempt(attempt, now), detectedAt: now };
}

function recoveredAlert(flow: FlowIdentity, attempt: RunAttempt, incident: RunIncident, now: number): Alert {
  return {
    key: `f${flow.id}-a${attempt.id}-recovered`,
    kind: 'recovered',
    flow,
    attempt: alertAttempt(attempt, now),
    resolves: { kind: incident.kind, attemptId: incident.attemptId, since: incident.since },
    detectedAt: now,
  };
}

export function alertAttempt(attempt: RunAttempt, now: number): AlertAttempt {
  const end = attempt.completedAt ?? (isRunning(attempt) ? now : null);
  return {
    id: attempt.id,
    trigger: attempt.trigger,
    state: attempt.state,
    createdAt: attempt.createdAt,
    completedAt: attempt.completedAt,
    durationMs: end === null ? null : Math.max(0, end - attempt.createdAt),
    resources: attempt.resources,
    errors: attempt.errors,
  };
}
