import { countOpenIncidents, totalUnsentAlerts, type FlowStatus, type MonitorStatus, type QualityStatus, type StatusReport } from './flow-status.ts';

/** A point in time for scripts: epoch ms to compute with, ISO 8601 (UTC) to read or hand to `date -d`. */
export interface JsonTime {
  ms: number;
  iso: string;
}

/**
 * The `--json` form of `portable-watch status`: the same facts as the table, absolute times instead of relative
 * ones, null where the table shows "never", "—" or "not scheduled". Field names are a contract with scripts:
 * add fields, do not rename them.
 */
export function renderStatusJson(report: StatusReport): string {
  const json = {
    generatedAt: jsonTime(report.now),
    openIncidents: countOpenIncidents(report),
    unsentAlertTotals: totalUnsentAlerts(report),
    account: monitor(report.account),
    flows: report.flows.map((flow) => ({
      id: flow.id,
      account: flow.account ?? 'default',
      name: flow.name,
      lastCheck: flow.lastCheck === null ? null : { at: jsonTime(flow.lastCheck.at), outcome: flow.lastCheck.outcome },
      checkpoint: nullableJsonTime(flow.checkpoint),
      scheduled: flow.nextCheck !== null,
      nextCheck: nullableJsonTime(flow.nextCheck),
      incident: runIncident(flow.runIncident),
      lastFailure: flow.lastFailure === null ? null : { attemptId: flow.lastFailure.attemptId, at: jsonTime(flow.lastFailure.at) },
      monitor: monitor(flow.monitor),
      missed: missed(flow.missed),
      partial: quality('partial', flow.partial),
      volume: quality('volume', flow.volume),
      lastRun: lastRun(flow.lastRun),
      lastAlert:
        flow.lastAlert === null
          ? null
          : { kind: flow.lastAlert.kind, notifier: flow.lastAlert.notifier, at: jsonTime(flow.lastAlert.at), key: flow.lastAlert.key },
      unsentAlerts: flow.unsentAlerts.map(({ notifier, waiting, retrying, givenUp }) => ({ notifier, waiting, retrying, givenUp })),
      held: flow.held.map((held) => ({ kind: held.kind, key: held.key, notifier: held.notifier, heldBy: held.heldBy, heldAt: jsonTime(held.heldAt), until: jsonTime(held.until) })),
      inDigest: flow.inDigest.map(({ notifier, alerts }) => ({ notifier, alerts })),
      recentAttempts: flow.recentAttempts.map(({ attemptId, outcome, createdAt, durationMs }) => ({ attemptId, outcome, createdAt: jsonTime(createdAt), durationMs })),
    })),
    otherUnsentAlerts: report.otherUnsentAlerts.map(({ scope, flow, notifier, waiting, retrying, givenUp }) => ({ scope, flow, notifier, waiting, retrying, givenUp })),
  };
  return JSON.stringify(json, null, 2);
}

function runIncident(incident: FlowStatus['runIncident']) {
  return incident === null ? null : { kind: incident.kind, since: jsonTime(incident.since), attemptId: incident.attemptId };
}

function missed(incident: FlowStatus['missed']) {
  if (incident === null) return null;
  return { kind: 'missed' as const, expectedAt: jsonTime(incident.expectedAt), lastRunAt: nullableJsonTime(incident.lastRunAt), since: jsonTime(incident.since) };
}

function quality(kind: 'partial' | 'volume', incident: QualityStatus | null) {
  return incident === null ? null : { kind, attemptId: incident.attemptId, since: jsonTime(incident.since) };
}

function lastRun(run: FlowStatus['lastRun']) {
  return run === null ? null : { attemptId: run.attemptId, createdAt: jsonTime(run.createdAt), completedAt: nullableJsonTime(run.completedAt) };
}

function monitor(status: MonitorStatus | null) {
  if (status === null) return null;
  return { kind: 'monitor-error' as const, problem: status.problem, message: status.message, since: jsonTime(status.since), alerted: status.alerted };
}

/** Shared with `alerts --json`, so every time a script reads from portable-watch has one shape. */
export function jsonTime(ms: number): JsonTime {
  return { ms, iso: new Date(ms).toISOString() };
}

export function nullableJsonTime(ms: number | null): JsonTime | null {
  return ms === null ? null : jsonTime(ms);
}
