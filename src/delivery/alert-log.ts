import { flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import { isAboutFlow, type Alert, type AlertKind } from '../alerts/alert.ts';
import { alertHeadline, alertSentence } from '../notifiers/alert-facts.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';

/*
 * Each flow's latest alerts, as raised, for its page on the status page: what was said, with the full error text,
 * and to whom. A list per flow, newest first, capped; written beside the notification jobs, read by people only.
 * Delivery state is not kept here: the delivered markers and the queue hold it (see read-alert-log.ts).
 */

/** Alerts kept per flow. */
export const ALERT_LOG_LENGTH = 10;
/** An entry's errors, all together, are cut here: a flow's log stays under ~100 KB whatever Portable says. */
const MAX_ERROR_CHARACTERS = 8_000;
const MAX_ERRORS = 10;
/** As long as the delivered markers the page reads beside it: a flow quiet for a month has an empty log. */
const ALERT_LOG_TTL_S = 30 * 24 * 3600;

export interface LoggedAlert {
  key: string;
  kind: AlertKind;
  /** `FAILED: Orders`. */
  headline: string;
  sentence: string;
  detectedAt: number;
  attemptId: number | null;
  /** The attempt's errors (or the monitor's message), at most 10 and 8,000 characters in all. */
  errors: string[];
  notifiers: string[];
}

export function alertLogKey(prefix: string, flow: FlowKey): string {
  return `${prefix}:flow:${flow}:alerts`;
}

/**
 * Adds the alerts about flows to their logs. A release of a held alert (`jobSuffix`) is the same alert raised once
 * before, so it is not logged twice; a check repeated after a crash may log one twice, and readers drop repeats.
 */
export async function logAlerts(
  redis: RedisConnection,
  prefix: string,
  items: ReadonlyArray<{ alert: Alert; notifiers: readonly string[]; jobSuffix?: string | undefined }>,
): Promise<void> {
  const pipeline = redis.pipeline();
  let queued = 0;
  for (const { alert, notifiers, jobSuffix } of items) {
    if (jobSuffix !== undefined || !isAboutFlow(alert)) continue;
    const key = alertLogKey(prefix, flowKeyOf(alert.flow));
    pipeline.lpush(key, JSON.stringify(loggedAlert(alert, notifiers))).ltrim(key, 0, ALERT_LOG_LENGTH - 1).expire(key, ALERT_LOG_TTL_S);
    queued += 1;
  }
  if (queued > 0) await pipeline.exec();
}

function loggedAlert(alert: Alert, notifiers: readonly string[]): LoggedAlert {
  const errors = alert.attempt?.errors ?? (alert.monitor === undefined ? [] : [alert.monitor.message]);
  return {
    key: alert.key,
    kind: alert.kind,
    headline: alertHeadline(alert),
    sentence: alertSentence(alert),
    detectedAt: alert.detectedAt,
    attemptId: alert.attempt?.id ?? null,
    errors: cutErrors(errors),
    notifiers: [...notifiers],
  };
}

function cutErrors(errors: readonly string[]): string[] {
  const kept: string[] = [];
  let left = MAX_ERROR_CHARACTERS;
  for (const error of errors.slice(0, MAX_ERRORS)) {
    if (left <= 0) break;
    kept.push(error.length > left ? `${error.slice(0, left)}… (cut)` : error);
    left -= error.length;
  }
  return kept;
}

/** The flow's logged alerts, newest first, each once; an entry this version cannot read is skipped. */
export async function readAlertLog(redis: RedisConnection, prefix: string, flow: FlowKey): Promise<LoggedAlert[]> {
  const seen = new Set<string>();
  const alerts: LoggedAlert[] = [];
  for (const json of await redis.lrange(alertLogKey(prefix, flow), 0, ALERT_LOG_LENGTH - 1)) {
    const alert = parseLoggedAlert(json);
    if (alert === undefined || seen.has(alert.key)) continue;
    seen.add(alert.key);
    alerts.push(alert);
  }
  return alerts;
}

function parseLoggedAlert(json: string): LoggedAlert | undefined {
  try {
    const value = JSON.parse(json) as Partial<LoggedAlert>;
    if (typeof value.key !== 'string' || typeof value.kind !== 'string' || typeof value.detectedAt !== 'number') return undefined;
    return {
      key: value.key,
      kind: value.kind,
      headline: typeof value.headline === 'string' ? value.headline : value.kind,
      sentence: typeof value.sentence === 'string' ? value.sentence : '',
      detectedAt: value.detectedAt,
      attemptId: typeof value.attemptId === 'number' ? value.attemptId : null,
      errors: Array.isArray(value.errors) ? value.errors.filter((error): error is string => typeof error === 'string') : [],
      notifiers: Array.isArray(value.notifiers) ? value.notifiers.filter((name): name is string => typeof name === 'string') : [],
    };
  } catch {
    return undefined;
  }
}
