import {
  DEFAULT_SEVERITY,
  incidentOf,
  isAboutFlow,
  routeKindOf,
  type Alert,
  type AlertAttempt,
  type AlertKind,
  type IncidentKind,
  type MonitorProblem,
  type Severity,
} from '../../alerts/alert.ts';
import type { ResourceCounts, RunState, RunTrigger } from '../../portable/run-attempt.ts';
import { alertHeadline, flowLink } from '../alert-facts.ts';
import { oneLine } from '../format-text.ts';
import { renderPlainText } from '../render-plain-text.ts';

/*
 * Version 1 of the webhook's JSON body, described field by field in schemas/webhook-v1.json. Receivers are programs,
 * so the shape never depends on the kind: every field is always present, null (or empty) when it does not apply.
 * Adding, renaming or removing a field is a new version; the schema forbids fields it does not know.
 *
 * The body holds no send time, so every retry of one alert posts the same bytes (only the signing headers change).
 */

/** What the alert is about: one flow, the whole Portable account, or portable-watch itself (and test messages). */
export type WebhookScope = 'flow' | 'account' | 'installation';

export interface WebhookFlow {
  id: number;
  name: string;
  url: string | null;
  labels: Record<string, string>;
}

export interface WebhookAttempt {
  id: number;
  trigger: RunTrigger;
  state: RunState;
  createdAt: string;
  completedAt: string | null;
  /** Seconds, fractions kept. */
  duration: number | null;
}

export interface WebhookResource {
  name: string;
  extracted: number | null;
  analyzed: number | null;
  loaded: number | null;
  errors: string[];
}

export interface WebhookAlertBody {
  version: 1;
  id: string;
  kind: AlertKind;
  severity: Severity;
  incident: string;
  title: string;
  scope: WebhookScope;
  flow: WebhookFlow | null;
  attempt: WebhookAttempt | null;
  errors: string[];
  resources: WebhookResource[];
  reminder: { number: number; since: string } | null;
  resolves: { kind: IncidentKind; since: string } | null;
  heldBy: { what: string; heldAt: string; releasedAt: string } | null;
  monitor: { problem: MonitorProblem; message: string; since: string } | null;
  detectedAt: string;
  text: string;
}

/**
 * Error lists are cut as in the plain-text rendering, so a run with thousands of errors cannot make a body some
 * receivers refuse (413 is permanent) or take long to read; `text` still says how many there were.
 */
export const MAX_WEBHOOK_ERRORS = 50;
export const MAX_WEBHOOK_ERROR_CHARS = 10_000;

export function renderWebhookBody(alert: Alert): WebhookAlertBody {
  return {
    version: 1,
    id: alert.key,
    kind: alert.kind,
    severity: severityOf(alert),
    incident: incidentOf(alert),
    title: oneLine(alertHeadline(alert)),
    scope: scopeOf(alert),
    flow: isAboutFlow(alert) ? flowOf(alert) : null,
    attempt: alert.attempt ? attemptOf(alert.attempt) : null,
    errors: errorsOf(alert),
    resources: (alert.attempt?.resources ?? []).map(resourceOf),
    reminder: alert.reminder ? { number: alert.reminder.number, since: iso(alert.reminder.since) } : null,
    resolves: alert.resolves ? { kind: alert.resolves.kind, since: iso(alert.resolves.since) } : null,
    heldBy: alert.heldBy ? { what: alert.heldBy.what, heldAt: iso(alert.heldBy.heldAt), releasedAt: iso(alert.heldBy.releasedAt) } : null,
    monitor: alert.monitor
      ? { problem: alert.monitor.problem, message: cut(alert.monitor.message), since: iso(alert.monitor.since) }
      : null,
    detectedAt: iso(alert.detectedAt),
    text: renderPlainText(alert),
  };
}

/** Routing sets a severity for each notifier; an alert that did not go through routing gets its kind's default. */
function severityOf(alert: Alert): Severity {
  if (alert.severity !== undefined) return alert.severity;
  const routeKind = routeKindOf(alert);
  return routeKind === undefined ? 'info' : DEFAULT_SEVERITY[routeKind];
}

function scopeOf(alert: Alert): WebhookScope {
  if (alert.kind === 'test' || alert.kind === 'discovery') return 'installation';
  return alert.monitor?.scope ?? 'flow';
}

function flowOf(alert: Alert): WebhookFlow {
  const { id, name, labels } = alert.flow;
  // flowLink keeps only http(s) links: a receiver may well render this one as a link.
  return { id, name, url: flowLink(alert) ?? null, labels: { ...labels } };
}

function attemptOf(attempt: AlertAttempt): WebhookAttempt {
  return {
    id: attempt.id,
    trigger: attempt.trigger,
    state: attempt.state,
    createdAt: iso(attempt.createdAt),
    completedAt: attempt.completedAt === null ? null : iso(attempt.completedAt),
    duration: attempt.durationMs !== null && attempt.durationMs >= 0 && Number.isFinite(attempt.durationMs) ? attempt.durationMs / 1000 : null,
  };
}

/** The attempt's errors; for a monitor error its message (there is no attempt); none for anything else. */
function errorsOf(alert: Alert): string[] {
  if (alert.attempt) return cutErrors(alert.attempt.errors);
  if (alert.kind === 'monitor-error' && alert.monitor !== undefined && alert.monitor.message !== '') return [cut(alert.monitor.message)];
  return [];
}

function resourceOf(resource: ResourceCounts): WebhookResource {
  return {
    name: resource.name,
    extracted: count(resource.extracted),
    analyzed: count(resource.analyzed),
    loaded: count(resource.loaded),
    errors: cutErrors(resource.errors ?? []),
  };
}

/** Portable's counts are read leniently; the schema promises receivers a whole number of rows, or null. */
function count(value: number | null): number | null {
  return value !== null && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function cutErrors(errors: readonly string[]): string[] {
  return errors.slice(0, MAX_WEBHOOK_ERRORS).map(cut);
}

/** Cut with a visible `…`, never between the two halves of a surrogate pair (that would not be valid UTF-8). */
function cut(text: string): string {
  if (text.length <= MAX_WEBHOOK_ERROR_CHARS) return text;
  return `${text.slice(0, MAX_WEBHOOK_ERROR_CHARS - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}

/** ISO 8601 in UTC with milliseconds: what JSON consumers parse without a format string. */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
