import { createHash } from 'node:crypto';
import { DEFAULT_SEVERITY, incidentOf, routeKindOf, type Alert, type AlertKind, type Severity } from '../../alerts/alert.ts';
import { alertSubject, alertSummary, flowLink } from '../alert-facts.ts';
import { digestLine } from '../digest-facts.ts';
import { oneLine } from '../format-text.ts';
import { cutText, isoTime, pagerDutyDetails } from './pagerduty-details.ts';

/*
 * What PagerDuty's Events API v2 is sent for an alert. A problem triggers an incident named by its dedup_key, the
 * recovery resolves that same key, and a reminder sends nothing: PagerDuty keeps paging by its own escalation rules.
 */

/** `error` is PagerDuty's fourth severity; alerts have no such level, so it is never sent. */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp?: string;
  component: string;
  group: string;
  class: AlertKind;
  custom_details: Record<string, unknown>;
}

export interface PagerDutyTrigger {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: PagerDutyPayload;
  links: Array<{ href: string; text: string }>;
  client: string;
}

/** A resolve names only the incident; PagerDuty needs no payload for it. */
export interface PagerDutyResolve {
  routing_key: string;
  event_action: 'resolve';
  dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTrigger | PagerDutyResolve;

/** PagerDuty's documented limits: longer values make the whole event invalid (400). */
export const PAGERDUTY_LIMITS = { summaryChars: 1024, dedupKeyChars: 255 } as const;

export const PAGERDUTY_CLIENT = 'portable-watch';
/** Before every dedup_key, so an incident opened by portable-watch is recognisable among a service's others. */
const DEDUP_PREFIX = 'portable-watch:';
/** Alerts group by the Portable account they come from: its name when the alert names one, else this. */
export const PAGERDUTY_GROUP = 'Portable';

const SEVERITIES: Record<Severity, PagerDutySeverity> = { critical: 'critical', warning: 'warning', info: 'info' };

/**
 * The events one alert becomes, in the order they must be sent: nothing for a reminder, a resolve for a recovery, a
 * trigger and at once its resolve for a test alert (it must page no one for long nor stay open), else a trigger.
 * An alert a silence held until now is news when released, so it triggers like any other.
 */
export function renderPagerDutyEvents(alert: Alert, routingKey: string): PagerDutyEvent[] {
  // A reminder (PagerDuty pages again by itself) and a discovery notice (nothing to act on) page no one.
  if (alert.reminder !== undefined || alert.kind === 'discovery') return [];
  const resolve: PagerDutyResolve = { routing_key: routingKey, event_action: 'resolve', dedup_key: pagerDutyDedupKey(alert) };
  if (alert.kind === 'recovered' || alert.kind === 'monitor-recovered') return [resolve];
  const trigger = renderPagerDutyTrigger(alert, routingKey);
  return alert.kind === 'test' ? [trigger, resolve] : [trigger];
}

export function renderPagerDutyTrigger(alert: Alert, routingKey: string): PagerDutyTrigger {
  const link = flowLink(alert);
  const timestamp = isoTime(alert.detectedAt);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: pagerDutyDedupKey(alert),
    payload: {
      summary: pagerDutySummary(alert),
      source: pagerDutySource(alert),
      severity: pagerDutySeverity(alert),
      ...(timestamp === undefined ? {} : { timestamp }),
      component: cutText(oneLine(alertSubject(alert)), PAGERDUTY_LIMITS.summaryChars),
      group: alert.flow.account === undefined ? PAGERDUTY_GROUP : `Portable ${alert.flow.account}`,
      class: alert.kind,
      custom_details: pagerDutyDetails(alert),
    },
    links: link === undefined ? [] : [{ href: link, text: 'Flow in Portable' }],
    client: PAGERDUTY_CLIENT,
  };
}

/**
 * The incident's name: every alert of one incident (the failures after the first, the recovery) carries the opening
 * alert's key, so the resolve meets its trigger. A key too long for PagerDuty keeps its start and ends in a hash of the
 * whole, so two long keys never share a dedup_key and one key always makes the same.
 */
export function pagerDutyDedupKey(alert: Pick<Alert, 'key' | 'incident'>): string {
  const key = `${DEDUP_PREFIX}${incidentOf(alert)}`;
  if (key.length <= PAGERDUTY_LIMITS.dedupKeyChars) return key;
  const hash = createHash('sha256').update(key).digest('hex');
  return `${key.slice(0, PAGERDUTY_LIMITS.dedupKeyChars - hash.length - 1)}~${hash}`;
}

/** As routing set it; otherwise the default of the alert's kind, and `info` for a test, which nothing is wrong about. */
export function pagerDutySeverity(alert: Pick<Alert, 'kind' | 'severity' | 'resolves'>): PagerDutySeverity {
  if (alert.kind === 'test') return 'info';
  if (alert.severity !== undefined) return SEVERITIES[alert.severity];
  const kind = routeKindOf(alert);
  return kind === undefined ? 'info' : SEVERITIES[DEFAULT_SEVERITY[kind]];
}

/**
 * What the page says: the headline with the flow and attempt, then what happened in a few words (the first line of the
 * first error, how long it has run, when a run was expected), so the person paged knows before opening anything.
 */
export function pagerDutySummary(alert: Alert): string {
  const headline = oneLine(alertSummary(alert));
  const detail = alert.kind === 'test' ? '' : oneLine(digestLine(alert).detail);
  const summary = detail === '' ? headline : `${headline} — ${detail}`;
  return cutText(summary, PAGERDUTY_LIMITS.summaryChars);
}

/** The Portable host the flow lives on; portable-watch itself for alerts about no flow (or a flow without a link). */
function pagerDutySource(alert: Alert): string {
  const link = flowLink(alert);
  return link === undefined ? PAGERDUTY_CLIENT : new URL(link).host;
}
