import { alertKeyPrefix, isProblem, routeKindOf, type Alert } from '../alerts/alert.ts';
import { activeWindow, windowsForFlow } from '../maintenance/maintenance-windows.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { deliveredMarkerKey } from './notification-queue.ts';
import { firstMatchingSilence } from '../silences/match-silence.ts';
import type { Silence } from '../silences/silence-types.ts';

/**
 * Alerts a silence or a maintenance window holds. A held alert is recorded (what `status` shows, with what holds
 * it) rather than sent; when the hold ends, `release-held-alerts.ts` decides whether it is still news.
 */

export type Hold =
  | { by: 'silence'; silence: Silence; until: number }
  | { by: 'maintenance'; window: string; until: number };

export interface HeldAlert {
  alert: Alert;
  notifier: string;
  heldAt: number;
  hold: Hold;
}

/** What holds `alert` at `now`, if anything: the silence or window that ends last. Test alerts are never held. */
export function findHold(alert: Alert, silences: readonly Silence[], windows: readonly MaintenanceWindow[], now: number): Hold | undefined {
  if (alert.kind === 'test') return undefined;
  const silence = firstMatchingSilence(silences, alert, now);
  const flowWindows = alert.flow.id > 0 && (alert.monitor?.scope ?? 'flow') === 'flow' ? windowsForFlow(windows, { id: alert.flow.id, labels: alert.flow.labels ?? {} }) : [];
  const open = flowWindows.length === 0 ? undefined : activeWindow(flowWindows, now);
  const bySilence: Hold | undefined = silence === undefined ? undefined : { by: 'silence', silence, until: silence.endsAt };
  const byWindow: Hold | undefined = open === undefined ? undefined : { by: 'maintenance', window: open.window.name, until: open.endsAt };
  if (bySilence === undefined) return byWindow;
  if (byWindow === undefined) return bySilence;
  return byWindow.until > bySilence.until ? byWindow : bySilence;
}

/** For people: `silence s-1a2b3c4d ("warehouse migration")`, `maintenance window "sunday upgrade"`. */
export function describeHold(hold: Hold): string {
  return hold.by === 'silence' ? `silence ${hold.silence.id} (${JSON.stringify(hold.silence.reason)})` : `maintenance window ${JSON.stringify(hold.window)}`;
}

/** A hash of held alerts (JSON HeldAlert), one per flow, kind and notifier: see heldField. */
export function heldAlertsKey(prefix: string): string {
  return `${prefix}:held`;
}

/**
 * Only the latest held alert of a flow's kind matters for a notifier: at the hold's end one alert per incident is
 * sent, the latest. So a newer one replaces the one before, and a flow failing every hour through a week-long
 * silence keeps one record, not 168. Reminders and recoveries have records of their own.
 */
export function heldField(alert: Alert, notifier: string): string {
  const role = alert.reminder !== undefined ? 'reminder' : alert.kind;
  const field = `${alertKeyPrefix(alert.flow)}.${routeKindOf(alert) ?? alert.kind}.${role}.${notifier}`;
  // Each recovery of an announced incident must reach its notifier at the end: none replaces another.
  return isProblem(alert) ? field : `${field}.${alert.key}`;
}

/**
 * Records a held alert. A recovery is recorded only when the failure it ends reached this notifier: one whose
 * failure nobody heard of will never be sent, so it is not kept either. False when nothing was recorded.
 */
export async function recordHeld(redis: RedisConnection, prefix: string, held: HeldAlert): Promise<boolean> {
  if (!isProblem(held.alert) && !(await openingDelivered(redis, prefix, held.alert, held.notifier))) return false;
  await redis.hset(heldAlertsKey(prefix), heldField(held.alert, held.notifier), JSON.stringify(held));
  return true;
}

/** Whether the alert that opened the incident a recovery ends went out through `notifier`. */
export async function openingDelivered(redis: RedisConnection, prefix: string, recovery: Alert, notifier: string): Promise<boolean> {
  const opening = openingKey(recovery);
  return opening !== undefined && (await redis.exists(deliveredMarkerKey(prefix, opening, notifier))) === 1;
}

/** The key of the alert that opened the incident a recovery ends (see the detection rules that build them). */
export function openingKey(alert: Alert): string | undefined {
  if (alert.kind === 'monitor-recovered') return alert.key.replace(/-monitor-recovered$/, '-monitor-error');
  const resolves = alert.resolves;
  if (alert.kind !== 'recovered' || resolves === undefined) return undefined;
  if (resolves.kind === 'missed') return `${alertKeyPrefix(alert.flow)}-missed-${resolves.expectedAt}`;
  return resolves.attemptId === undefined ? undefined : `${alertKeyPrefix(alert.flow)}-a${resolves.attemptId}-${resolves.kind}`;
}

/** Every held alert; a record this version cannot read is skipped (and stays for a person to look at). */
export async function readHeld(redis: RedisConnection, prefix: string): Promise<Array<HeldAlert & { field: string }>> {
  const raw = await redis.hgetall(heldAlertsKey(prefix));
  const held: Array<HeldAlert & { field: string }> = [];
  for (const [field, json] of Object.entries(raw)) {
    try {
      const parsed = JSON.parse(json) as HeldAlert;
      if (typeof parsed.alert?.key === 'string' && typeof parsed.notifier === 'string') held.push({ ...parsed, field });
    } catch {
      // Not ours to delete: a newer version may have written it.
    }
  }
  return held.sort((first, second) => first.heldAt - second.heldAt || first.field.localeCompare(second.field));
}
