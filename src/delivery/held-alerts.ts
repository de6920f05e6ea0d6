import type { Alert } from '../alerts/alert.ts';
import { activeWindow, windowsForFlow } from '../maintenance/maintenance-windows.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
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

/** A hash of every held alert, by `<alert key>.<notifier>` (JSON HeldAlert). */
export function heldAlertsKey(prefix: string): string {
  return `${prefix}:held`;
}

export function heldField(alertKey: string, notifier: string): string {
  return `${alertKey}.${notifier}`;
}

export async function recordHeld(redis: RedisConnection, prefix: string, held: HeldAlert): Promise<void> {
  await redis.hset(heldAlertsKey(prefix), heldField(held.alert.key, held.notifier), JSON.stringify(held));
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
