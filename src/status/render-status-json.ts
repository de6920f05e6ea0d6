import { countOpenIncidents, type FlowStatus, type MonitorStatus, type StatusReport } from './flow-status.ts';

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
    generatedAt: time(report.now),
    openIncidents: countOpenIncidents(report),
    account: monitor(report.account),
    flows: report.flows.map((flow) => ({
      id: flow.id,
      name: flow.name,
      lastCheck: flow.lastCheck === null ? null : { at: time(flow.lastCheck.at), outcome: flow.lastCheck.outcome },
      checkpoint: nullableTime(flow.checkpoint),
      scheduled: flow.nextCheck !== null,
      nextCheck: nullableTime(flow.nextCheck),
      incident: runIncident(flow.runIncident),
      monitor: monitor(flow.monitor),
      lastAlert:
        flow.lastAlert === null
          ? null
          : { kind: flow.lastAlert.kind, notifier: flow.lastAlert.notifier, at: time(flow.lastAlert.at), key: flow.lastAlert.key },
    })),
  };
  return JSON.stringify(json, null, 2);
}

function runIncident(incident: FlowStatus['runIncident']) {
  return incident === null ? null : { kind: incident.kind, since: time(incident.since), attemptId: incident.attemptId };
}

function monitor(status: MonitorStatus | null) {
  if (status === null) return null;
  return { kind: 'monitor-error' as const, problem: status.problem, message: status.message, since: time(status.since), alerted: status.alerted };
}

function time(ms: number): JsonTime {
  return { ms, iso: new Date(ms).toISOString() };
}

function nullableTime(ms: number | null): JsonTime | null {
  return ms === null ? null : time(ms);
}
