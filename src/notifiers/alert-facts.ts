import { isAboutFlow, type Alert, type AlertAttempt, type IncidentKind, type MonitorProblem } from '../alerts/alert.ts';
import type { ResourceCounts } from '../portable/run-attempt.ts';
import { formatCount, formatDuration, formatTime } from './format-text.ts';
import { alertTitle, incidentFacts } from './incident-facts.ts';
import { missedFacts, missedSentence } from './missed-run-facts.ts';
import { partialFacts, partialSentence, volumeSentence } from './resource-findings.ts';
import { runtimeFacts, stalledSentence } from './runtime-facts.ts';

// Imported from here by callers older than format-text.ts, their home.
export { cleanText, formatDuration, formatTime, oneLine } from './format-text.ts';

/**
 * What every medium says about an alert, as plain unescaped text. Slack, email and the console differ only
 * in how they lay these out and escape them, so a new fact is added here once.
 */
export interface AlertFact {
  label: string;
  value: string;
}

const MONITOR_PROBLEMS: Record<MonitorProblem, string> = {
  unauthorized: 'Portable rejected the API token (401)',
  forbidden: 'the API token may not read this (403)',
  'not-found': 'Portable does not know this flow (404)',
  transient: 'Portable keeps failing to answer',
  malformed: 'Portable answered with data portable-watch cannot read',
  'bad-request': 'Portable rejected the request (400)',
  'lost-track': 'an unfinished attempt can no longer be followed',
  'state-lost': "Redis lost portable-watch's state",
};

/** Problems announced once, as a notice with its own words, rather than as an incident that later recovers. */
export const NOTICES: ReadonlySet<MonitorProblem> = new Set(['lost-track', 'state-lost']);

/**
 * What an account-wide alert (a rejected token) is titled. One Portable account per installation today; with
 * several, each would go by its configured name here.
 */
export const ACCOUNT_NAME = 'Portable account';

/** Whom the alert is about: the flow, the Portable account, or portable-watch itself. */
export function alertSubject(alert: Alert): string {
  // With several accounts, which one: `Portable account staging`.
  if (alert.monitor?.scope === 'account') return alert.flow.account === undefined ? ACCOUNT_NAME : `${ACCOUNT_NAME} ${alert.flow.account}`;
  if (alert.monitor?.scope === 'installation') return 'portable-watch';
  if (alert.kind === 'discovery') return discoverySubject(alert.discovery);
  return alert.flow.name;
}

/** `FAILED: Events to Snowflake`; `MONITOR ERROR: Portable account`; a reminder's `STILL FAILING: Events to Snowflake`. */
export function alertHeadline(alert: Alert): string {
  return `${alertTitle(alert)}: ${alertSubject(alert)}`;
}

/** ` (flow 689422)` after the headline of an alert about a flow; empty for any other. */
export function flowIdNote(alert: Alert): string {
  return isAboutFlow(alert) ? ` (flow ${alert.flow.id})` : '';
}

/** One line that stands on its own, for notification previews and the console's first line: `[critical] FAILED: …`. */
export function alertSummary(alert: Alert): string {
  const attempt = alert.attempt ? ` — attempt ${alert.attempt.id}` : '';
  const test = alert.kind === 'test' ? ' — a test alert, nothing is wrong' : '';
  return `${alertHeadline(alert)}${flowIdNote(alert)}${attempt}${test}`;
}

/** What happened, as a sentence a person reads first. */
export function alertSentence(alert: Alert): string {
  const { flow, attempt } = alert;
  const subject = attempt ? `Attempt ${attempt.id} of ${flow.name}` : flow.name;
  const checked = alert.monitor?.scope === 'account' ? `the ${ACCOUNT_NAME}` : flow.name;
  if (alert.monitor !== undefined && NOTICES.has(alert.monitor.problem)) return `${capitalise(alert.monitor.message)}.`;
  switch (alert.kind) {
    case 'failed':
      return `${subject} failed.`;
    case 'stalled':
      return stalledSentence(alert, subject);
    case 'recovered':
      return recoveredSentence(alert);
    case 'unknown-outcome':
      return `${subject} finished with an outcome portable-watch does not know: ${attempt?.unrecognised ?? 'unreadable'}. Look at the run in Portable.`;
    case 'monitor-error':
      return `portable-watch cannot check ${checked}: ${describeProblem(alert.monitor?.problem)}.`;
    case 'monitor-recovered':
      return `portable-watch can check ${checked} again.`;
    case 'missed':
      return missedSentence(alert);
    case 'partial':
      return partialSentence(alert, subject);
    case 'volume':
      return volumeSentence(subject);
    case 'test':
      return 'This is a test alert sent by portable-watch test-alert; nothing is wrong.';
    case 'discovery':
      // As discovery words them ("now watching 3 new flows: …"), one per line: people search their channel for these.
      return (alert.discovery?.messages ?? []).join('\n');
  }
}

/**
 * The monitor error's own text, shown as details; undefined when empty or already the sentence (a notice), and
 * for a recovery: the error's text says how to fix it (check the token, the flow id), advice that is done with.
 */
export function monitorDetails(alert: Alert): string | undefined {
  const monitor = alert.monitor;
  if (alert.kind === 'monitor-recovered') return undefined;
  if (monitor === undefined || monitor.message === '' || NOTICES.has(monitor.problem)) return undefined;
  return monitor.message;
}

/** The label/value pairs shown for an alert: only those that are known for it, most important first. */
export function alertFacts(alert: Alert): AlertFact[] {
  const facts: AlertFact[] = isAboutFlow(alert) ? [{ label: 'Flow', value: `${alert.flow.name} (${alert.flow.id})` }] : [];
  // Named when the installation watches several accounts (or one that is not the default): the same id may be in each.
  if (isAboutFlow(alert) && alert.flow.account !== undefined) facts.push({ label: 'Account', value: alert.flow.account });
  facts.push(...incidentFacts(alert));
  if (alert.attempt) facts.push(...attemptFacts(alert.attempt));
  facts.push(...runtimeFacts(alert), ...missedFacts(alert.missed), ...partialFacts(alert));
  if (alert.resolves) facts.push({ label: 'Resolves', value: describeResolved(alert.resolves) });
  if (alert.monitor) facts.push(...monitorFacts(alert));
  facts.push({ label: alert.kind === 'test' ? 'Sent' : 'Detected', value: formatTime(alert.detectedAt) });
  return facts;
}

/** What a recovery says came right: a run after a gap, a full load, the usual volume, or a success. */
export const RECOVERED_FROM: Record<IncidentKind, string> = {
  failed: 'succeeded again',
  stalled: 'succeeded again',
  missed: 'ran again',
  partial: 'loaded fully again',
  volume: 'loaded its usual volume again',
};

function recoveredSentence(alert: Alert): string {
  const attempt = alert.attempt ? ` (attempt ${alert.attempt.id})` : '';
  return `${alert.flow.name} ${RECOVERED_FROM[alert.resolves?.kind ?? 'failed']}${attempt}.`;
}

/** `failed alert for attempt 632458 (since …)`; a missed run has no attempt, but the time it was expected. */
function describeResolved({ kind, attemptId, since, expectedAt }: NonNullable<Alert['resolves']>): string {
  const sinceText = `(since ${formatTime(since)})`;
  if (kind === 'missed') return expectedAt === undefined ? `missed run ${sinceText}` : `missed run expected at ${formatTime(expectedAt)} ${sinceText}`;
  return attemptId === undefined ? `${kind} alert ${sinceText}` : `${kind} alert for attempt ${attemptId} ${sinceText}`;
}

function attemptFacts(attempt: AlertAttempt): AlertFact[] {
  const unfinished = attempt.state === 'running' || attempt.state === 'pending';
  let finished = unfinished ? `not yet (${attempt.state})` : 'unknown';
  if (attempt.completedAt !== null) finished = formatTime(attempt.completedAt);
  return [
    { label: 'Attempt', value: String(attempt.id) },
    { label: 'Trigger', value: attempt.trigger },
    { label: 'Started', value: formatTime(attempt.createdAt) },
    { label: 'Finished', value: finished },
    { label: unfinished ? 'Running for' : 'Ran for', value: formatDuration(attempt.durationMs) },
  ];
}

function monitorFacts(alert: Alert): AlertFact[] {
  if (!alert.monitor) return [];
  const { problem, since, scope } = alert.monitor;
  if (alert.kind === 'monitor-recovered') {
    return [{ label: 'Resolves', value: `monitor error since ${formatTime(since)}: ${describeProblem(problem)}` }];
  }
  return [
    { label: 'Problem', value: describeProblem(problem) },
    { label: 'Scope', value: SCOPES[scope] },
    { label: 'Since', value: formatTime(since) },
  ];
}

const SCOPES = { flow: 'this flow', account: 'the whole account', installation: 'every watched flow' } as const;

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `Portable does not know this flow (404)`. */
export function describeProblem(problem: MonitorProblem | undefined): string {
  return problem === undefined ? 'unknown problem' : MONITOR_PROBLEMS[problem];
}

/** The flow's page in Portable, only for an alert about it and an http(s) URL: anything else is not worth a click. */
export function flowLink(alert: Alert): string | undefined {
  if (alert.flow.url === undefined || !isAboutFlow(alert)) return undefined;
  try {
    const url = new URL(alert.flow.url);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** `orders: 1,200 extracted · 1,190 loaded`; counts Portable did not report are left out. */
export function describeResource(resource: ResourceCounts): string {
  const counts = (['extracted', 'analyzed', 'loaded'] as const)
    .filter((stage) => resource[stage] !== null)
    .map((stage) => `${formatCount(resource[stage] ?? 0)} ${stage}`);
  return `${resource.name}: ${counts.length > 0 ? counts.join(' · ') : 'no row counts'}`;
}

/** `now watching 3 new flows, stopped watching 1`: what a discovery notice is about, for its headline. */
function discoverySubject(discovery: Alert['discovery']): string {
  const added = discovery?.added ?? 0;
  const removed = discovery?.removed ?? 0;
  const parts = [
    ...(added > 0 ? [`now watching ${formatCount(added)} new ${added === 1 ? 'flow' : 'flows'}`] : []),
    ...(removed > 0 ? [`stopped watching ${formatCount(removed)} ${removed === 1 ? 'flow' : 'flows'}`] : []),
  ];
  return parts.length === 0 ? 'the flows watched' : parts.join(', ');
}
