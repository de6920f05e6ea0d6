import type { Alert, MonitorProblem } from '../alerts/alert.ts';
import type { MonitorIncident } from './flow-state.ts';
import type { FlowIdentity } from './detect-run-events.ts';

/**
 * Monitor errors: the worker cannot check a flow (or, for a rejected token, the whole account). Pure, like
 * run detection. Problems that a person must fix alert at once; transient ones only once they persist, since a
 * Portable blip that the next check survives is not worth waking anyone for.
 */

/** The part of a flow's (or the account's) state that monitor detection reads and writes. */
export interface MonitorTracker {
  monitor: MonitorIncident | null;
  monitorIncidents: number;
  failingSince: number | null;
}

export type CheckResult = { ok: true } | { ok: false; problem: MonitorProblem; message: string };

export interface MonitorSubject {
  scope: 'flow' | 'account';
  /** Prefix of alert keys: `f689422` for a flow, `account` for the account. */
  keyPrefix: string;
  flow: FlowIdentity;
}

/** Transient errors (5xx, 429, timeouts, malformed answers) alert only after persisting this long. */
export const TRANSIENT_GRACE_MS = 5 * 60_000;

const PERSISTENT: ReadonlySet<MonitorProblem> = new Set(['unauthorized', 'forbidden', 'not-found', 'bad-request']);

export function detectMonitorEvents<T extends MonitorTracker>(input: {
  subject: MonitorSubject;
  tracker: T;
  result: CheckResult;
  now: number;
  graceMs?: number;
}): { alerts: Alert[]; tracker: T } {
  const { subject, tracker, result, now } = input;
  if (result.ok) return recover(subject, tracker, now);

  const failingSince = tracker.failingSince ?? now;
  const due = PERSISTENT.has(result.problem) || now - failingSince >= (input.graceMs ?? TRANSIENT_GRACE_MS);
  const open = tracker.monitor;
  if (open?.alerted === true) return { alerts: [], tracker: { ...tracker, failingSince } };

  const incidents = open === null ? tracker.monitorIncidents + 1 : tracker.monitorIncidents;
  const incident: MonitorIncident = {
    problem: result.problem,
    message: result.message,
    since: open?.since ?? failingSince,
    alerted: due,
    key: open?.key ?? `${subject.keyPrefix}-m${incidents}`,
  };
  const alerts = due ? [monitorAlert('monitor-error', subject, incident, now)] : [];
  return { alerts, tracker: { ...tracker, monitor: incident, monitorIncidents: incidents, failingSince } };
}

function recover<T extends MonitorTracker>(subject: MonitorSubject, tracker: T, now: number): { alerts: Alert[]; tracker: T } {
  const alerts = tracker.monitor?.alerted === true ? [monitorAlert('monitor-recovered', subject, tracker.monitor, now)] : [];
  return { alerts, tracker: { ...tracker, monitor: null, failingSince: null } };
}

function monitorAlert(
  kind: 'monitor-error' | 'monitor-recovered',
  subject: MonitorSubject,
  incident: MonitorIncident,
  now: number,
): Alert {
  return {
    key: `${incident.key}-${kind}`,
    kind,
    incident: `${incident.key}-monitor-error`,
    flow: subject.flow,
    monitor: { problem: incident.problem, message: incident.message, since: incident.since, scope: subject.scope },
    detectedAt: now,
  };
}
