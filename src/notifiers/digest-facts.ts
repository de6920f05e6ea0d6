import type { Alert, AlertKind } from '../alerts/alert.ts';
import type { Digest } from '../digests/digest-types.ts';
import { alertSentence, alertSubject, describeProblem, flowIdNote, flowLink, NOTICES, RECOVERED_FROM } from './alert-facts.ts';
import { formatCount, formatDuration, formatTime, oneLine } from './format-text.ts';
import { alertTitle, reminderLine } from './incident-facts.ts';

/**
 * What every medium says about a storm's digest, as plain unescaped text: a count by kind, then one short line per
 * alert. Slack, email and the console differ only in how many lines they fit and how they escape them; each counts
 * the lines it leaves out, so every alert is named or counted.
 */

/** A name or an error beyond this is cut: a digest line is a pointer to the alert, not the alert. */
export const MAX_DIGEST_TEXT_CHARS = 150;

export interface DigestCount {
  /** `failed`, `missed runs`, `recovered`: reads after the number. */
  label: string;
  count: number;
}

export interface DigestLine {
  /** `FAILED`, a reminder's `STILL FAILING`. */
  title: string;
  /** The flow's name (or `Portable account`), on one line and cut. */
  subject: string;
  /** ` (flow 689422)`, empty for an alert about no flow. */
  flowIdNote: string;
  /** What happened, on one line and cut: the first line of the first error, or the kind's own short words. */
  detail: string;
  /** The flow's page in Portable, when it has an http(s) URL. */
  link?: string;
}

/** Recoveries of flows and of monitor errors are counted together. */
type CountKey = Exclude<AlertKind, 'monitor-recovered'> | 'reminder';

/** Singular and plural, in the order counts are listed when they are equal: worst first. */
const COUNT_LABELS: Record<CountKey, readonly [string, string]> = {
  failed: ['failed', 'failed'],
  stalled: ['stalled', 'stalled'],
  missed: ['missed run', 'missed runs'],
  'monitor-error': ['monitor error', 'monitor errors'],
  'unknown-outcome': ['unknown outcome', 'unknown outcomes'],
  partial: ['partial load', 'partial loads'],
  volume: ['volume drop', 'volume drops'],
  reminder: ['reminder', 'reminders'],
  recovered: ['recovered', 'recovered'],
  test: ['test', 'tests'],
  discovery: ['discovery notice', 'discovery notices'],
};
const COUNT_ORDER = Object.keys(COUNT_LABELS) as CountKey[];

/**
 * Reminders are counted apart from new incidents and recoveries apart from problems, so "290 failed" means 290 flows
 * that just failed. Largest first, so the storm's cause leads.
 */
export function digestCounts(alerts: readonly Alert[]): DigestCount[] {
  const counts = new Map<CountKey, number>();
  for (const alert of alerts) {
    const key = countKey(alert);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return COUNT_ORDER.filter((key) => counts.has(key))
    .map((key) => {
      const count = counts.get(key) ?? 0;
      return { label: COUNT_LABELS[key][count === 1 ? 0 : 1], count };
    })
    .sort((a, b) => b.count - a.count);
}

function countKey(alert: Alert): CountKey {
  if (alert.reminder !== undefined) return 'reminder';
  return alert.kind === 'monitor-recovered' ? 'recovered' : alert.kind;
}

/** `295 alerts: 290 failed, 5 stalled`. */
export function digestHeadline(digest: Digest): string {
  const total = digest.alerts.length;
  const counts = digestCounts(digest.alerts).map(({ label, count }) => `${formatCount(count)} ${label}`);
  const alerts = `${formatCount(total)} ${total === 1 ? 'alert' : 'alerts'}`;
  return counts.length === 0 ? alerts : `${alerts}: ${counts.join(', ')}`;
}

/** Why this is one message, and the time it covers. */
export function digestIntro(digest: Digest): string {
  const period = `from ${formatTime(digest.since)} to ${formatTime(digest.sentAt)}`;
  return `Alerts ${period}, gathered into one message rather than sent one by one; oldest first.`;
}

/** `… and 212 more: run portable-watch status`, or where to see each in full when every alert is named. */
export function digestTrailer(digest: Digest, hidden: number): string {
  const seeAll = oneLine(digest.seeAll);
  return hidden > 0 ? `… and ${formatCount(hidden)} more: ${seeAll}` : `Each alert in full: ${seeAll}`;
}

/** Oldest first (the digest should already be; a stable sort keeps equal times in the order given). */
export function digestLines(digest: Digest): DigestLine[] {
  return [...digest.alerts].sort((a, b) => a.detectedAt - b.detectedAt).map(digestLine);
}

export function digestLine(alert: Alert): DigestLine {
  const link = flowLink(alert);
  return {
    title: alertTitle(alert),
    subject: cut(oneLine(alertSubject(alert))),
    flowIdNote: flowIdNote(alert),
    detail: cut(oneLine(lineDetail(alert))),
    ...(link === undefined ? {} : { link }),
  };
}

function lineDetail(alert: Alert): string {
  const reminder = reminderLine(alert);
  if (reminder !== undefined) return reminder;
  const error = firstLine(alert.attempt?.errors ?? []);
  if (error !== undefined && alert.kind !== 'recovered') return error;
  const monitor = alert.monitor;
  if (monitor !== undefined && NOTICES.has(monitor.problem)) return monitor.message;
  switch (alert.kind) {
    case 'failed':
      return alert.attempt ? `attempt ${alert.attempt.id} failed without an error message` : 'failed without an error message';
    case 'recovered':
      return `${RECOVERED_FROM[alert.resolves?.kind ?? 'failed']}${alert.attempt ? ` (attempt ${alert.attempt.id})` : ''}`;
    case 'monitor-error':
      return `cannot be checked: ${describeProblem(monitor?.problem)}`;
    case 'monitor-recovered':
      return 'can be checked again';
    case 'stalled':
      return stalledDetail(alert);
    case 'missed':
      return missedDetail(alert);
    case 'partial':
      return firstLine((alert.partial?.resources ?? []).flatMap((resource) => resource.errors)) ?? 'loaded only part of the data';
    case 'volume':
      return `fewer rows than usual: ${(alert.volume?.resources ?? []).map((resource) => resource.name).join(', ')}`;
    case 'unknown-outcome':
      return `finished with an outcome portable-watch does not know: ${alert.attempt?.unrecognised ?? 'unreadable'}`;
    default:
      return alertSentence(alert);
  }
}

function stalledDetail(alert: Alert): string {
  const state = alert.attempt?.state === 'pending' ? 'pending' : 'running';
  const limitMs = alert.maxRuntimeMs ?? alert.runtime?.limitMs;
  const limit = limitMs === undefined ? '' : `, limit ${formatDuration(limitMs)}`;
  return `${state} for ${formatDuration(alert.attempt?.durationMs ?? null)}${limit}`;
}

function missedDetail(alert: Alert): string {
  const missed = alert.missed;
  if (missed === undefined) return 'missed a scheduled run';
  return `no run since ${formatTime(missed.lastRunAt ?? missed.since)}; expected at ${formatTime(missed.expectedAt)}`;
}

/** The first line with text in it of the first error that has any. */
function firstLine(errors: readonly string[]): string | undefined {
  for (const error of errors) {
    const line = error.split(/\r\n?|\n|[\u2028\u2029]/).find((candidate) => candidate.trim() !== '');
    if (line !== undefined) return line.trim();
  }
  return undefined;
}

function cut(text: string): string {
  if (text.length <= MAX_DIGEST_TEXT_CHARS) return text;
  return `${text.slice(0, MAX_DIGEST_TEXT_CHARS - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}
