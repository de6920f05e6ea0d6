import { isAboutFlow, type Alert, type AlertAttempt } from '../../alerts/alert.ts';
import { describeResource } from '../alert-facts.ts';
import { cleanText, formatDuration, oneLine } from '../format-text.ts';
import { heldLine } from '../incident-facts.ts';
import { renderPlainText } from '../render-plain-text.ts';
import { resourceFindings } from '../resource-findings.ts';

/*
 * The custom_details of a trigger: what PagerDuty shows under "Details" and passes on to its own integrations. The
 * facts as JSON fields for rules to match on, and the whole alert as the plain text email and the console show.
 * No reminder note: a reminder sends no event at all.
 * PagerDuty refuses an event over 512 KB, so every list and text from Portable is cut: together these stay below
 * 100 KB whatever Portable sends.
 */

/** The first errors are what a person acts on; the rest are one click away in Portable. */
const MAX_ERRORS = 20;
const MAX_ERROR_CHARS = 2_000;
const MAX_RESOURCES = 100;
const MAX_RESOURCE_CHARS = 300;
const MAX_RESOURCE_ERRORS = 3;
const MAX_DESCRIPTION_CHARS = 10_000;
const MAX_NAME_CHARS = 1_000;
const MAX_LABEL_CHARS = 200;

export function pagerDutyDetails(alert: Alert): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  if (isAboutFlow(alert)) details.flow = { id: alert.flow.id, name: cutText(oneLine(alert.flow.name), MAX_NAME_CHARS) };
  details.kind = alert.kind;
  if (alert.attempt) details.attempt = attemptDetails(alert.attempt);
  const errors = alert.attempt?.errors ?? [];
  if (errors.length > 0) details.errors = cutList(errors.map((error) => cutText(cleanText(error), MAX_ERROR_CHARS)), MAX_ERRORS, 'errors');
  const resources = resourceLines(alert);
  if (resources.length > 0) details.resources = resources;
  const labels = alert.flow.labels;
  if (labels !== undefined && Object.keys(labels).length > 0 && isAboutFlow(alert)) details.labels = cleanLabels(labels);
  const held = heldLine(alert);
  if (held !== undefined) details.held = oneLine(held);
  details.description = cutText(renderPlainText(alert), MAX_DESCRIPTION_CHARS);
  return details;
}

function attemptDetails(attempt: AlertAttempt): Record<string, unknown> {
  return {
    id: attempt.id,
    trigger: attempt.trigger,
    state: attempt.state,
    createdAt: isoTime(attempt.createdAt) ?? null,
    completedAt: attempt.completedAt === null ? null : (isoTime(attempt.completedAt) ?? null),
    duration: formatDuration(attempt.durationMs),
    ...(attempt.unrecognised === undefined ? {} : { outcome: cutText(oneLine(attempt.unrecognised), MAX_RESOURCE_CHARS) }),
  };
}

/** The resources a partial load or volume drop is about (with their first errors); else every resource's row counts. */
function resourceLines(alert: Alert): string[] {
  const findings = resourceFindings(alert);
  const lines =
    findings === undefined
      ? (alert.attempt?.resources ?? []).map((resource) => describeResource(resource))
      : findings.items.map(({ line, errors }) => {
          const shown = errors.slice(0, MAX_RESOURCE_ERRORS).map((error) => oneLine(error));
          return shown.length === 0 ? line : `${line} — ${shown.join(' | ')}`;
        });
  return cutList(lines.map((line) => cutText(oneLine(line), MAX_RESOURCE_CHARS)), MAX_RESOURCES, 'resources');
}

function cleanLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).map(([key, value]) => [cutText(oneLine(key), MAX_LABEL_CHARS), cutText(oneLine(value), MAX_LABEL_CHARS)]),
  );
}

/** The first `max` items, and a count of the rest as the last one. */
function cutList(items: string[], max: number, what: string): string[] {
  return items.length <= max ? items : [...items.slice(0, max), `… and ${items.length - max} more ${what}`];
}

/** At most `max` characters, an ellipsis marking the cut, never half a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}

/** ISO 8601 in UTC, as PagerDuty's timestamp takes it; undefined for a time that is not one. */
export function isoTime(epochMs: number): string | undefined {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
