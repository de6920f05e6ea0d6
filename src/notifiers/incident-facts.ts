import { ALERT_TITLES, isProblem, type Alert, type AlertKind, type Severity } from '../alerts/alert.ts';
import type { AlertFact } from './alert-facts.ts';
import { formatCount, formatTime } from './format-text.ts';

/**
 * What noise control adds to an alert, in words every medium shares: how urgent it is, that it reminds of an incident
 * still open, that it waited for several failures in a row, and that a silence or a maintenance window held it.
 */

/**
 * A reminder's title says the incident is still open, so a channel scanning headers can tell it from a new one.
 * Kinds without an incident of their own (recoveries, tests) are never reminded of; they keep their own title.
 */
const REMINDER_TITLES: Partial<Record<AlertKind, string>> = {
  failed: 'STILL FAILING',
  stalled: 'STILL STALLED',
  missed: 'STILL MISSING RUNS',
  partial: 'STILL LOADING PARTIALLY',
  volume: 'VOLUME STILL LOW',
  'unknown-outcome': 'OUTCOME STILL UNKNOWN',
  'monitor-error': 'MONITOR ERROR STILL OPEN',
};

/** What is still true, in the words of `still failing since …`. */
const STILL: Partial<Record<AlertKind, string>> = {
  failed: 'still failing',
  stalled: 'still stalled',
  missed: 'still missing runs',
  partial: 'still loading partially',
  volume: 'still loading less than usual',
  'unknown-outcome': 'still without a known outcome',
  'monitor-error': 'still not checkable',
};

/** `FAILED`, or for a reminder `STILL FAILING`. */
export function alertTitle(alert: Pick<Alert, 'kind' | 'reminder'>): string {
  if (alert.reminder !== undefined) return REMINDER_TITLES[alert.kind] ?? ALERT_TITLES[alert.kind];
  return ALERT_TITLES[alert.kind];
}

/**
 * The severity a person is shown: only for an alert that opens or reminds of an incident. Routing sets a severity on
 * recoveries too (they go where the failure went), but "critical: RECOVERED" would read as an alarm.
 */
export function shownSeverity(alert: Pick<Alert, 'kind' | 'severity'>): Severity | undefined {
  return isProblem(alert) ? alert.severity : undefined;
}

/**
 * `still failing since 2026-11-29 07:47:48 UTC, 4 attempts failed since (reminder 2)`; undefined for an alert that is
 * not a reminder.
 */
export function reminderLine(alert: Pick<Alert, 'kind' | 'reminder'>): string | undefined {
  const reminder = alert.reminder;
  if (reminder === undefined) return undefined;
  const still = STILL[alert.kind] ?? 'still open';
  const attempts = reminder.failedAttempts;
  const failed = attempts === undefined ? '' : `, ${formatCount(attempts)} ${attempts === 1 ? 'attempt' : 'attempts'} failed since`;
  return `${still} since ${formatTime(reminder.since)}${failed} (reminder ${reminder.number})`;
}

/** `held by silence s-1a2b3c4d from … to …; sent now that it ended and the incident is still open`. */
export function heldLine(alert: Pick<Alert, 'heldBy'>): string | undefined {
  const held = alert.heldBy;
  if (held === undefined) return undefined;
  const period = `from ${formatTime(held.heldAt)} to ${formatTime(held.releasedAt)}`;
  return `held by ${held.what} ${period}; sent now that it ended and the incident is still open`;
}

/**
 * Facts that explain why this alert arrives now: after several failures in a row (`alertAfter`), as a reminder, or
 * after a hold ended. Shown right after the flow, before what happened to the attempt.
 */
export function incidentFacts(alert: Alert): AlertFact[] {
  const facts: AlertFact[] = [];
  const severity = shownSeverity(alert);
  if (severity !== undefined) facts.push({ label: 'Severity', value: severity });
  const inARow = alert.failuresInARow;
  if (inARow !== undefined && inARow > 1) facts.push({ label: 'Alerted after', value: `failed ${formatCount(inARow)} times in a row` });
  const reminder = reminderLine(alert);
  if (reminder !== undefined) facts.push({ label: 'Reminder', value: reminder });
  const held = heldLine(alert);
  if (held !== undefined) facts.push({ label: 'Why now', value: held });
  return facts;
}
