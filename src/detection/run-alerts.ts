import { alertKeyPrefix, type Alert, type AlertAttempt, type RuntimeLimit } from '../alerts/alert.ts';
import { isFinished, type RunAttempt } from '../portable/run-attempt.ts';
import type { FlowIdentity } from './detect-run-events.ts';
import type { KnownAttempt, RunIncident } from './flow-state.ts';

/* The alerts run detection raises, and the incident a failure or a stall opens: built here, decided there. */

/**
 * The first failure of an incident is what a recovery refers to; later ones do not move it. What reminders repeat
 * of the opening attempt is kept with it, the first error cut short: state is read and written at every check.
 */
export function openIncident(current: RunIncident | null, kind: RunIncident['kind'], attempt: RunAttempt, now: number, runtime?: RuntimeLimit): RunIncident {
  if (current !== null) return current;
  const firstError = attempt.errors[0]?.slice(0, FIRST_ERROR_MAX_LENGTH);
  return {
    kind,
    attemptId: attempt.id,
    attemptCreatedAt: attempt.createdAt,
    since: attempt.completedAt ?? now,
    ...(kind === 'failed' ? { failures: 1 } : {}),
    trigger: attempt.trigger,
    ...(firstError === undefined ? {} : { firstError }),
    ...(runtime === undefined ? {} : { runtime }),
  };
}

const FIRST_ERROR_MAX_LENGTH = 1000;

/** The incident id of a failed or stalled incident: the key of the alert its opening attempt raised. */
export function runIncidentKey(flow: Pick<Alert['flow'], 'id' | 'account'>, incident: Pick<RunIncident, 'attemptId' | 'kind'>): string {
  return `${alertKeyPrefix(flow)}-a${incident.attemptId}-${incident.kind}`;
}

export function runAlert(kind: 'failed' | 'stalled' | 'unknown-outcome', flow: FlowIdentity, attempt: RunAttempt, now: number): Alert {
  return { key: `${alertKeyPrefix(flow)}-a${attempt.id}-${kind}`, kind, flow, attempt: alertAttempt(attempt, now), detectedAt: now };
}

export function recoveredAlert(flow: FlowIdentity, attempt: RunAttempt, incident: RunIncident, now: number): Alert {
  return {
    key: `${alertKeyPrefix(flow)}-a${attempt.id}-recovered`,
    kind: 'recovered',
    incident: runIncidentKey(flow, incident),
    flow,
    attempt: alertAttempt(attempt, now),
    resolves: { kind: incident.kind, attemptId: incident.attemptId, since: incident.since },
    detectedAt: now,
  };
}

export function alertAttempt(attempt: RunAttempt, now: number): AlertAttempt {
  const end = attempt.completedAt ?? (isFinished(attempt) ? null : now);
  return {
    id: attempt.id,
    trigger: attempt.trigger,
    state: attempt.state,
    createdAt: attempt.createdAt,
    completedAt: attempt.completedAt,
    durationMs: end === null ? null : Math.max(0, end - attempt.createdAt),
    resources: attempt.resources,
    errors: attempt.errors,
    unrecognised: attempt.unrecognised,
  };
}

/**
 * An attempt followed for MAX_TRACKED_AGE_MS and still not seen finished is let go, loudly: whatever it does next
 * (fail, finally) would otherwise go unseen without anyone knowing the worker stopped looking.
 */
export function lostTrackAlert(flow: FlowIdentity, attemptId: number, known: KnownAttempt, now: number, why: string): Alert {
  const age = Math.round((now - known.createdAt) / 86_400_000);
  const message = `lost track of attempt ${attemptId}: ${why} ${age} days after it was created (last seen ${known.state}); portable-watch no longer follows it`;
  return {
    key: `${alertKeyPrefix(flow)}-a${attemptId}-lost-track`,
    kind: 'monitor-error',
    flow,
    monitor: { problem: 'lost-track', message, since: known.createdAt, scope: 'flow' },
    detectedAt: now,
  };
}
