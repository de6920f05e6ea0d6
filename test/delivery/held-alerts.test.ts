import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { deliverNotification, DeliveryError } from '../../src/delivery/deliver-notification.ts';
import { findHold, heldAlertsKey, heldField, openingKey, readHeld, recordHeld, type HeldAlert } from '../../src/delivery/held-alerts.ts';
import type { MaintenanceWindow } from '../../src/maintenance/maintenance-types.ts';
import type { Notifier } from '../../src/notifiers/notifier.ts';
import type { Silence } from '../../src/silences/silence-types.ts';
import { captureLog } from '../support/capture-log.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/** What holds an alert, how a held alert is filed, and how the records are read back. */

// 08:01 UTC: inside the window below, which opened at 08:00 and ends at 10:00.
const NOW = Date.UTC(2026, 11, 1, 8, 1, 0);
const WINDOW_END = Date.UTC(2026, 11, 1, 10, 0, 0);
const FLOW = { id: 689422, name: 'Events to Snowflake', labels: { team: 'data' } };
const everyFlow: MaintenanceWindow = { name: 'sunday upgrade', cron: '0 8 * * *', durationMs: 2 * 3_600_000, timezone: 'UTC' };

function silenceUntil(endsAt: number): Silence {
  return { id: 's-0000abcd', labels: { team: 'data' }, startsAt: NOW - 60_000, endsAt, reason: 'migration', createdAt: NOW - 60_000 };
}
const failed: Alert = { key: `f${FLOW.id}-a1-failed`, kind: 'failed', flow: FLOW, detectedAt: NOW };
const monitorError = (scope: 'flow' | 'account' | 'installation', flowId = FLOW.id): Alert => ({
  key: `f${flowId}-m1-monitor-error`,
  kind: 'monitor-error',
  flow: { ...FLOW, id: flowId },
  monitor: { problem: 'unauthorized', message: 'answered 401', since: NOW, scope },
  detectedAt: NOW,
});
const recovered = (resolves: NonNullable<Alert['resolves']>): Alert => ({ key: `f${FLOW.id}-a9-recovered`, kind: 'recovered', flow: FLOW, resolves, detectedAt: NOW });

describe('findHold', () => {
  it.each<[string, Alert, Silence[], MaintenanceWindow[], { by: string; until: number } | undefined]>([
    ['nothing holds a flow outside any silence or window', failed, [], [], undefined],
    ['a window holds a flow it covers', failed, [], [everyFlow], { by: 'maintenance', until: WINDOW_END }],
    ['a silence holds a flow it matches', failed, [silenceUntil(NOW + 60_000)], [], { by: 'silence', until: NOW + 60_000 }],
    ['the window, when it ends after the silence', failed, [silenceUntil(NOW + 60_000)], [everyFlow], { by: 'maintenance', until: WINDOW_END }],
    ['the silence, when it ends after the window', failed, [silenceUntil(WINDOW_END + 1)], [everyFlow], { by: 'silence', until: WINDOW_END + 1 }],
    ['the silence, when both end together', failed, [silenceUntil(WINDOW_END)], [everyFlow], { by: 'silence', until: WINDOW_END }],
    ['a window does not hold an account-wide alert', monitorError('account'), [], [everyFlow], undefined],
    ['a window does not hold an installation-wide alert', monitorError('installation'), [], [everyFlow], undefined],
    ['a window holds a flow’s own monitor error', monitorError('flow'), [], [everyFlow], { by: 'maintenance', until: WINDOW_END }],
    ['a window does not hold the stand-in flow 0', monitorError('flow', 0), [], [everyFlow], undefined],
    ['nothing holds a test alert, even one naming a flow', { ...failed, key: 'test-1', kind: 'test' }, [silenceUntil(NOW + 60_000)], [everyFlow], undefined],
  ])('%s', (_name, alert, silences, windows, expected) => {
    const hold = findHold(alert, silences, windows, NOW);
    expect(hold === undefined ? undefined : { by: hold.by, until: hold.until }).toEqual(expected);
  });
});

describe('heldField and openingKey', () => {
  it.each<[string, Alert, string]>([
    ['a failure: one record per flow, kind and notifier', failed, `f${FLOW.id}.failed.failed.team`],
    ['a reminder: a record of its own', { ...failed, key: `${failed.key}-reminder-1`, reminder: { number: 1, since: NOW } }, `f${FLOW.id}.failed.reminder.team`],
    ['a recovery: filed under the incident it ends, one per alert', recovered({ kind: 'missed', since: NOW, expectedAt: 5 }), `f${FLOW.id}.missed.recovered.team.f${FLOW.id}-a9-recovered`],
  ])('%s', (_name, alert, field) => {
    expect(heldField(alert, 'team')).toBe(field);
  });

  it.each<[string, Alert, string | undefined]>([
    ['a failed recovery', recovered({ kind: 'failed', attemptId: 3, since: NOW }), `f${FLOW.id}-a3-failed`],
    ['a volume recovery', recovered({ kind: 'volume', attemptId: 4, since: NOW }), `f${FLOW.id}-a4-volume`],
    ['a missed recovery', recovered({ kind: 'missed', since: NOW, expectedAt: 1234 }), `f${FLOW.id}-missed-1234`],
    ['a recovery naming no opening attempt', recovered({ kind: 'failed', since: NOW }), undefined],
    ['a recovery naming no incident', { ...recovered({ kind: 'failed', since: NOW }), resolves: undefined }, undefined],
    ['a failure', failed, undefined],
  ])('openingKey of %s', (_name, alert, expected) => {
    expect(openingKey(alert)).toBe(expected);
  });
});

let redis: Redis;
let prefix: string;
beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('held');
});
afterEach(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

const hold = { by: 'silence', silence: silenceUntil(NOW + 60_000), until: NOW + 60_000 } as const;

describe('recording and reading held alerts', () => {
  it('records a problem, and a recovery only when its failure reached the notifier', async () => {
    const recovery = recovered({ kind: 'failed', attemptId: 1, since: NOW });
    expect(await recordHeld(redis, prefix, { alert: failed, notifier: 'team', heldAt: NOW, hold })).toBe(true);
    expect(await recordHeld(redis, prefix, { alert: recovery, notifier: 'team', heldAt: NOW, hold })).toBe(false);
    expect(await redis.hkeys(heldAlertsKey(prefix))).toEqual([heldField(failed, 'team')]);
    await redis.set(`${prefix}:delivered:${failed.key}.team`, String(NOW));
    expect(await recordHeld(redis, prefix, { alert: recovery, notifier: 'team', heldAt: NOW, hold })).toBe(true);
    expect(await redis.hlen(heldAlertsKey(prefix))).toBe(2);
  });

  it('reads records oldest first (then by field), skipping those it cannot read and leaving them in place', async () => {
    const record = (heldAt: number): HeldAlert => ({ alert: failed, notifier: 'team', heldAt, hold });
    const noNotifier = { alert: failed, heldAt: 1, hold };
    await redis.hset(heldAlertsKey(prefix), 'c', JSON.stringify(record(3)), 'b', JSON.stringify(record(1)), 'a', JSON.stringify(record(1)), 'd', JSON.stringify(record(2)));
    await redis.hset(heldAlertsKey(prefix), 'x-not-json', '{', 'x-no-alert', JSON.stringify({ notifier: 'team', heldAt: 0 }), 'x-no-notifier', JSON.stringify(noNotifier));
    await redis.hset(heldAlertsKey(prefix), 'x-null', 'null', 'x-no-key', JSON.stringify({ ...record(0), alert: { kind: 'failed' } }));
    expect((await readHeld(redis, prefix)).map((held) => [held.field, held.heldAt])).toEqual([
      ['a', 1],
      ['b', 1],
      ['d', 2],
      ['c', 3],
    ]);
    expect(await redis.hlen(heldAlertsKey(prefix))).toBe(9);
  });
});

describe('delivering while a silence holds', () => {
  function deliver(alert: Alert, notifiers: Notifier[], log = captureLog().log) {
    const holds = { silences: () => Promise.resolve([silenceUntil(NOW + 60_000)]), windows: () => [] };
    return deliverNotification({ redis, prefix, now: () => NOW, log, notifier: (name) => notifiers.find((each) => each.name === name), holds }, { alert, notifier: 'team' });
  }
  const team: Notifier = {
    name: 'team',
    type: 'console',
    send: () => Promise.reject(new Error('a held alert must not be sent')),
    sendDigest: () => Promise.reject(new Error('no digest here')),
    close: () => Promise.resolve(),
  };

  it('says what holds an alert and until when, and that a recovery nobody heard of was dropped', async () => {
    const { log, lines } = captureLog();
    expect(await deliver(failed, [team], log)).toBe('held');
    expect(await deliver(recovered({ kind: 'failed', attemptId: 7, since: NOW }), [team], log)).toBe('held');
    const fields = { heldBy: 'silence s-0000abcd ("migration")', until: new Date(NOW + 60_000).toISOString() };
    expect(lines.map((line) => line.msg)).toEqual(['alert held, not sent', 'recovery of an incident this notifier never heard of held and dropped']);
    expect(lines[0]).toMatchObject({ ...fields, kind: 'failed', alert: failed.key, notifier: 'team' });
    expect(lines[1]).toMatchObject({ ...fields, kind: 'recovered' });
  });

  it('does not hold an alert for a notifier no longer in the config: it gives up, saying so', async () => {
    const error = await deliver(failed, []).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failure.action).toBe('give-up');
    expect(await redis.hlen(heldAlertsKey(prefix))).toBe(0);
  });
});
