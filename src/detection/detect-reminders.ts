import type { Alert, AlertAttempt } from '../alerts/alert.ts';
import { isFinished } from '../portable/run-attempt.ts';
import type { FlowIdentity } from './detect-run-events.ts';
import { missedKey } from './detect-missed-runs.ts';
import { runIncidentKey } from './run-alerts.ts';
import { incidentFailures, type FlowState, type ReminderRecord, type RunIncident } from './flow-state.ts';

/**
 * Reminders (`repeatEvery`): while an incident stays open, one alert per interval saying it still is. Pure, like
 * the rest of detection, and run after it on the state it left: an incident opened by this very check is entered
 * without a reminder, so its first one comes a whole interval after the alert that opened it.
 */

/** An incident a reminder can be about, with what its alert said that the state still knows. */
interface OpenIncident {
  /** The key of the alert that opened it; reminders are `${key}-reminder-${n}`. */
  key: string;
  since: number;
  failedAttempts?: number;
  facts: Pick<Alert, 'kind' | 'attempt' | 'maxRuntimeMs' | 'runtime' | 'missed' | 'monitor'>;
}

export function detectReminders(input: {
  flow: FlowIdentity;
  state: FlowState;
  /** The interval, in ms; null when reminders are off. */
  repeatEvery: number | null;
  now: number;
}): { alerts: Alert[]; reminders: FlowState['reminders'] } {
  const { flow, state, repeatEvery, now } = input;
  if (repeatEvery === null) return { alerts: [], reminders: {} };
  const alerts: Alert[] = [];
  // Built afresh from the incidents open now, so the record of one that closed is dropped with it.
  const reminders: Record<string, ReminderRecord> = {};
  for (const incident of openIncidents(flow, state, now)) {
    const record = state.reminders[incident.key];
    if (record === undefined) {
      reminders[incident.key] = { openedAt: now, sent: 0, lastAt: now };
      continue;
    }
    // One reminder at most per check: after a long pause (a stopped worker) the count goes on, not the backlog.
    if (now - record.lastAt < repeatEvery) {
      reminders[incident.key] = record;
      continue;
    }
    const number = record.sent + 1;
    reminders[incident.key] = { openedAt: record.openedAt, sent: number, lastAt: now };
    alerts.push({
      key: `${incident.key}-reminder-${number}`,
      incident: incident.key,
      ...incident.facts,
      flow,
      reminder: { number, since: incident.since, ...(incident.failedAttempts === undefined ? {} : { failedAttempts: incident.failedAttempts }) },
      detectedAt: now,
    });
  }
  return { alerts, reminders };
}

function openIncidents(flow: FlowIdentity, state: FlowState, now: number): OpenIncident[] {
  const open: OpenIncident[] = [];
  const run = state.incident;
  if (run !== null && stillOpen(run, state)) open.push(runIncident(flow, run, state, now));
  const missed = state.missed;
  if (missed !== null) {
    open.push({
      key: missedKey(flow, missed.expectedAt),
      since: missed.since,
      facts: { kind: 'missed', ...(missed.facts === undefined ? {} : { missed: missed.facts }) },
    });
  }
  // A transient problem not yet alerted is no incident anyone was told about.
  const monitor = state.monitor;
  if (monitor?.alerted === true) {
    open.push({
      key: `${monitor.key}-monitor-error`,
      since: monitor.since,
      facts: { kind: 'monitor-error', monitor: { problem: monitor.problem, message: monitor.message, since: monitor.since, scope: 'flow' } },
    });
  }
  return open;
}

/**
 * A failed incident stays open until a success. A stalled one is reminded of while its run is still unfinished,
 * or once an attempt has failed since (then the flow is failing); a stalled run that was cancelled, with nothing
 * failing since, is not worth repeating.
 */
function stillOpen(incident: RunIncident, state: FlowState): boolean {
  if (incident.kind === 'failed') return true;
  const known = state.known[String(incident.attemptId)];
  return (known !== undefined && !isFinished(known)) || incidentFailures(incident) > 0;
}

function runIncident(flow: FlowIdentity, incident: RunIncident, state: FlowState, now: number): OpenIncident {
  const failures = incidentFailures(incident);
  return {
    key: runIncidentKey(flow, incident),
    since: incident.since,
    ...(failures > 0 ? { failedAttempts: failures } : {}),
    facts: {
      kind: incident.kind,
      attempt: incidentAttempt(incident, state, now),
      ...(incident.runtime === undefined ? {} : { maxRuntimeMs: incident.runtime.limitMs, runtime: incident.runtime }),
    },
  };
}

/**
 * The opening attempt as far as the state knows it. A failed one ended when the incident began (`since` is its
 * completedAt, or when it was seen failed if Portable gave none); a stalled one is described as last seen, and
 * its duration runs to now while it is unfinished. Row counts are not kept: a reminder is about time, not rows.
 */
function incidentAttempt(incident: RunIncident, state: FlowState, now: number): AlertAttempt {
  const failed = incident.kind === 'failed';
  const seen = state.known[String(incident.attemptId)]?.state ?? 'unknown';
  const stateNow = failed ? 'failed' : seen;
  const running = !failed && !isFinished({ state: seen });
  const completedAt = failed ? incident.since : null;
  return {
    id: incident.attemptId,
    trigger: incident.trigger ?? 'unknown',
    state: stateNow,
    createdAt: incident.attemptCreatedAt,
    completedAt,
    durationMs: completedAt !== null ? Math.max(0, completedAt - incident.attemptCreatedAt) : running ? Math.max(0, now - incident.attemptCreatedAt) : null,
    resources: [],
    errors: incident.firstError === undefined ? [] : [incident.firstError],
  };
}
