import { flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import type { Logger } from 'pino';
import { isProblem, routeKindOf, type Alert, type RouteKind } from '../alerts/alert.ts';
import type { AlertSink } from '../checks/check-flow.ts';
import type { FlowState } from '../detection/flow-state.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import type { Silence } from '../silences/silence-types.ts';
import { describeHold, findHold, heldAlertsKey, openingDelivered, readHeld, type HeldAlert } from './held-alerts.ts';

/**
 * When a silence or a maintenance window ends, what it held is judged once, as Alertmanager does: an incident still
 * open is announced by one alert (the latest held for it, per notifier), saying what held it; an incident that closed
 * meanwhile, a reminder, or a one-off event is dropped. A held recovery is sent only when the failure it ends was
 * announced to that notifier (a recovery of something nobody heard of is noise). Every replica may run this: the
 * released jobs' ids are fixed by the record, so two releases of one record queue one job.
 */

export interface ReleaseDependencies {
  redis: RedisConnection;
  prefix: string;
  silences(now: number): Promise<readonly Silence[]>;
  windows(): readonly MaintenanceWindow[];
  loadStates(flows: readonly FlowKey[]): Promise<Map<FlowKey, FlowState>>;
  sink: AlertSink;
  now: () => number;
  log: Logger;
}

export interface ReleaseReport {
  sent: number;
  dropped: number;
  stillHeld: number;
}

export async function releaseHeldAlerts(deps: ReleaseDependencies): Promise<ReleaseReport> {
  const held = await readHeld(deps.redis, deps.prefix);
  if (held.length === 0) return { sent: 0, dropped: 0, stillHeld: 0 };
  const now = deps.now();
  const silences = await deps.silences(now);
  const ended = held.filter((record) => findHold(record.alert, silences, deps.windows(), now) === undefined);
  if (ended.length === 0) return { sent: 0, dropped: 0, stillHeld: held.length };

  const states = await deps.loadStates([...new Set(ended.map((record) => flowKeyOf(record.alert.flow)))]);
  const chosen = new Map<string, (typeof ended)[number]>();
  for (const record of ended) {
    if (!(await stillNews(deps, record, states.get(flowKeyOf(record.alert.flow))))) continue;
    // One alert per incident and notifier: the latest held (records are oldest first); every recovery kept is news.
    const group = `${flowKeyOf(record.alert.flow)}/${routeKindOf(record.alert) ?? ''}/${record.alert.kind}/${record.notifier}`;
    chosen.set(isProblem(record.alert) ? group : `${group}/${record.alert.key}`, record);
  }
  const releases = [...chosen.values()];
  await deps.sink.enqueue(
    releases.map((record) => ({
      alert: { ...record.alert, heldBy: { what: describeHold(record.hold), heldAt: record.heldAt, releasedAt: now } },
      notifiers: [record.notifier],
      jobSuffix: `released-${record.heldAt}`,
    })),
  );
  await deps.redis.hdel(heldAlertsKey(deps.prefix), ...ended.map((record) => record.field));
  const report = { sent: releases.length, dropped: ended.length - releases.length, stillHeld: held.length - ended.length };
  deps.log.info(report, 'held alerts judged at the end of their hold');
  return report;
}

async function stillNews(deps: ReleaseDependencies, record: HeldAlert, state: FlowState | undefined): Promise<boolean> {
  const { alert } = record;
  if (alert.reminder !== undefined) return false;
  if (isProblem(alert)) return state !== undefined && incidentOpen(alert, state);
  return openingDelivered(deps.redis, deps.prefix, alert, record.notifier);
}

/** Whether the flow still has the incident of this kind open (a one-off event has none). */
function incidentOpen(alert: Alert, state: FlowState): boolean {
  const kind: RouteKind | undefined = routeKindOf(alert);
  switch (kind) {
    case 'failed':
    case 'stalled':
      return state.incident !== null;
    case 'missed':
      return state.missed !== null;
    case 'partial':
      return state.partial !== null;
    case 'volume':
      return state.volume !== null;
    case 'monitor-error':
      return state.monitor?.alerted === true && alert.key === `${state.monitor.key}-monitor-error`;
    default:
      return false;
  }
}
