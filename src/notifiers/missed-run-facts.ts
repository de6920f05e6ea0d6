import type { Alert, MissedRuns } from '../alerts/alert.ts';
import type { AlertFact } from './alert-facts.ts';
import { formatCount, formatDuration, formatTime } from './format-text.ts';

/**
 * What a missed-run alert says: since when nothing ran, when a run was expected, and how many expected runs the gap
 * holds (one alert per gap, so the count is what tells an hourly flow's ten silent hours from one).
 */

/** `No run of Orders since 2026-11-29 07:00:12 UTC; a run was expected at 2026-11-29 08:00:00 UTC (3 expected runs missed).` */
export function missedSentence(alert: Alert): string {
  const name = alert.flow.name;
  const missed = alert.missed;
  if (missed === undefined) return `${name} missed a scheduled run.`;
  const since = missed.lastRunAt === null ? `since watching began at ${formatTime(missed.since)}` : `since ${formatTime(missed.lastRunAt)}`;
  const count = missed.slots > 1 || missed.slotsCapped === true ? ` (${missedCount(missed)} expected runs missed)` : '';
  return `No run of ${name} ${since}; a run was expected at ${formatTime(missed.expectedAt)}${count}.`;
}

export function missedFacts(missed: MissedRuns | undefined): AlertFact[] {
  if (missed === undefined) return [];
  return [
    { label: 'Schedule', value: missed.schedule },
    { label: 'Last run', value: lastRun(missed) },
    { label: 'Expected', value: formatTime(missed.expectedAt) },
    { label: 'Missed runs', value: missedCount(missed) },
    { label: 'Grace', value: `${formatDuration(missed.graceMs)} (missedAfter)` },
  ];
}

/** `3`; `1,000+` when detection stopped counting. */
function missedCount(missed: MissedRuns): string {
  return `${formatCount(missed.slots)}${missed.slotsCapped === true ? '+' : ''}`;
}

/** A run that ended after its next expected time counted for that one, so its end is shown when it explains the gap. */
function lastRun(missed: MissedRuns): string {
  if (missed.lastRunAt === null) return `none seen since watching began at ${formatTime(missed.since)}`;
  const started = formatTime(missed.lastRunAt);
  return missed.since > missed.lastRunAt ? `${started} (ended ${formatTime(missed.since)})` : started;
}
