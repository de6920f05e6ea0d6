import { countByState, type UnsentAlert } from '../delivery/read-unsent-alerts.ts';
import { jsonTime, nullableJsonTime } from './render-status-json.ts';

/** What `portable-watch alerts` shows: the unsent alerts as read at `now`. */
export interface AlertsReport {
  now: number;
  alerts: UnsentAlert[];
}

/**
 * The `--json` form of `portable-watch alerts`: one entry per (alert, notifier) not delivered, given up first, then
 * oldest first. Field names are a contract with scripts: add fields, do not rename them.
 */
export function renderAlertsJson(report: AlertsReport): string {
  const json = {
    generatedAt: jsonTime(report.now),
    counts: countByState(report.alerts),
    alerts: report.alerts.map((alert) => ({
      state: alert.state,
      kind: alert.kind,
      scope: alert.scope,
      flow: alert.flow,
      notifier: alert.notifier,
      key: alert.key,
      jobId: alert.jobId,
      queuedAt: jsonTime(alert.queuedAt),
      ageMs: Math.max(0, report.now - alert.queuedAt),
      attempts: alert.attempts,
      maxAttempts: alert.maxAttempts,
      lastError: alert.lastError,
      lastTriedAt: nullableJsonTime(alert.lastTriedAt),
    })),
  };
  return JSON.stringify(json, null, 2);
}
