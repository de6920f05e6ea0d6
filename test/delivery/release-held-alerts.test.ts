import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { deliverNotification, deliveredMarkerKey } from '../../src/delivery/deliver-notification.ts';
import { heldAlertsKey, openingKey, recordHeld } from '../../src/delivery/held-alerts.ts';
import { releaseHeldAlerts } from '../../src/delivery/release-held-alerts.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import type { MaintenanceWindow } from '../../src/maintenance/maintenance-types.ts';
import type { Notifier } from '../../src/notifiers/notifier.ts';
import type { Silence } from '../../src/silences/silence-types.ts';
import { captureLog } from '../support/capture-log.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/** What a silence or a maintenance window held is judged once at its end: sent if still news, else dropped. */

const NOW = Date.UTC(2026, 11, 1, 8, 0, 0);
const FLOW = { id: 689422, name: 'Events to Snowflake', labels: { team: 'data' } };

let redis: Redis;
let prefix: string;
let now: number;
beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('release');
  now = NOW;
});
afterEach(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

const silence: Silence = { id: 's-0000abcd', labels: { team: 'data' }, startsAt: NOW - 1_000, endsAt: NOW + 60_000, reason: 'migration', createdAt: NOW - 1_000 };

function failed(attemptId: number): Alert {
  return { key: `f${FLOW.id}-a${attemptId}-failed`, kind: 'failed', flow: FLOW, detectedAt: now, severity: 'critical' };
}
function recovered(attemptId: number, incidentAttemptId: number): Alert {
  return { key: `f${FLOW.id}-a${attemptId}-recovered`, kind: 'recovered', flow: FLOW, resolves: { kind: 'failed', attemptId: incidentAttemptId, since: NOW - 5_000 }, detectedAt: now };
}

function setup(state: Partial<FlowState>, windows: MaintenanceWindow[] = []) {
  const sent: Alert[] = [];
  const notifier: Notifier = {
    name: 'team',
    type: 'console',
    send: () => Promise.reject(new Error('a held alert must not be sent')),
    sendDigest: () => Promise.reject(new Error('no digest here')),
    close: () => Promise.resolve(),
  };
  let silences = [silence];
  const holds = { silences: () => Promise.resolve(silences.filter((each) => each.startsAt <= now && now < each.endsAt)), windows: () => windows };
  const deliver = (alert: Alert) => deliverNotification({ redis, prefix, now: () => now, log: captureLog().log, notifier: () => notifier, holds }, { alert, notifier: 'team' });
  const queued: Array<{ alert: Alert; notifiers: readonly string[]; jobSuffix?: string }> = [];
  const releaseLog = captureLog();
  const release = () =>
    releaseHeldAlerts({
      redis,
      prefix,
      ...holds,
      loadStates: (ids) => Promise.resolve(new Map(ids.map((id) => [id, { ...initialFlowState(), ...state }]))),
      sink: {
        enqueue: (items) => {
          queued.push(...items);
          return Promise.resolve();
        },
      },
      now: () => now,
      log: releaseLog.log,
    });
  const holdFor = (alert: Alert, notifierName: string) => recordHeld(redis, prefix, { alert, notifier: notifierName, heldAt: now, hold: { by: 'silence', silence, until: silence.endsAt } });
  return { deliver, release, queued, sent, endSilence: () => (silences = []), logLines: releaseLog.lines, holdFor };
}

describe('releasing held alerts', () => {
  it('keeps what a silence holds while it lasts, then sends the latest alert of an incident still open, once, saying what held it', async () => {
    const open = setup({ incident: { kind: 'failed', attemptId: 1, attemptCreatedAt: NOW - 9_000, since: NOW - 5_000 } });
    expect(await open.deliver(failed(1))).toBe('held');
    now += 1_000;
    expect(await open.deliver(failed(2))).toBe('held');
    // The later failure of the incident replaces the earlier one: one record, and one alert at the end.
    expect(await open.release()).toEqual({ sent: 0, dropped: 0, stillHeld: 1 });
    now = NOW + 60_000;
    expect(await open.release()).toEqual({ sent: 1, dropped: 0, stillHeld: 0 });
    expect(open.queued).toHaveLength(1);
    expect(open.queued[0]?.alert.key).toBe(failed(2).key);
    expect(open.queued[0]?.alert.heldBy).toEqual({ what: 'silence s-0000abcd ("migration")', heldAt: NOW + 1_000, releasedAt: NOW + 60_000 });
    expect(open.queued[0]?.jobSuffix).toBe(`released-${NOW + 1_000}`);
    expect(await redis.hlen(heldAlertsKey(prefix))).toBe(0);
    expect(await open.release()).toEqual({ sent: 0, dropped: 0, stillHeld: 0 });
  });

  it('drops a failure whose incident closed during the hold, its recovery, and reminders', async () => {
    const closed = setup({ incident: null });
    await closed.deliver(failed(1));
    // Its failure was held, never sent: the recovery is not even kept.
    expect(await closed.deliver(recovered(2, 1))).toBe('held');
    await closed.deliver({ ...failed(1), key: `${failed(1).key}-reminder-1`, reminder: { number: 1, since: NOW } });
    now = NOW + 60_000;
    expect(await closed.release()).toEqual({ sent: 0, dropped: 2, stillHeld: 0 });
    expect(closed.queued).toEqual([]);
  });

  it('sends a held recovery only when the failure it ends reached that notifier', async () => {
    const announced = setup({ incident: null });
    await redis.set(deliveredMarkerKey(prefix, failed(1).key, 'team'), String(NOW));
    await announced.deliver(recovered(2, 1));
    // Incident 3's failure never reached the notifier: its recovery is not even kept.
    expect(await announced.deliver(recovered(4, 3))).toBe('held');
    expect(await redis.hlen(heldAlertsKey(prefix))).toBe(1);
    now = NOW + 60_000;
    expect(await announced.release()).toEqual({ sent: 1, dropped: 0, stillHeld: 0 });
    expect(announced.queued[0]?.alert.key).toBe(recovered(2, 1).key);
  });

  it('sends every held recovery of an incident that was announced, one per incident', async () => {
    const announced = setup({ incident: null });
    await redis.set(deliveredMarkerKey(prefix, failed(1).key, 'team'), String(NOW));
    await redis.set(deliveredMarkerKey(prefix, failed(3).key, 'team'), String(NOW));
    await announced.deliver(recovered(2, 1));
    await announced.deliver(recovered(4, 3));
    now = NOW + 60_000;
    expect(await announced.release()).toEqual({ sent: 2, dropped: 0, stillHeld: 0 });
    expect(announced.queued.map((item) => item.alert.key).sort()).toEqual([recovered(2, 1).key, recovered(4, 3).key].sort());
  });

  it('holds alerts of a flow inside its maintenance window, and not those of other flows', async () => {
    const window: MaintenanceWindow = { name: 'warehouse upgrade', cron: '0 8 * * *', durationMs: 2 * 3_600_000, timezone: 'UTC', flows: { labels: { warehouse: 'snowflake' } } };
    const inWindow = setup({ incident: { kind: 'failed', attemptId: 1, attemptCreatedAt: NOW, since: NOW } }, [window]);
    inWindow.endSilence();
    now = NOW + 60_000;
    const snowflake = { ...failed(1), flow: { ...FLOW, labels: { warehouse: 'snowflake' } } };
    expect(await inWindow.deliver(snowflake)).toBe('held');
    await expect(inWindow.deliver(failed(2))).rejects.toThrow();
    now = NOW + 2 * 3_600_000;
    expect(await inWindow.release()).toEqual({ sent: 1, dropped: 0, stillHeld: 0 });
    expect(inWindow.queued[0]?.alert.heldBy?.what).toBe('maintenance window "warehouse upgrade"');
  });
});

describe('openingKey', () => {
  it.each<[string, Alert, string | undefined]>([
    ['a failed recovery', recovered(2, 1), `f${FLOW.id}-a1-failed`],
    ['a missed recovery', { ...recovered(2, 1), resolves: { kind: 'missed', since: NOW, expectedAt: 1234 } }, `f${FLOW.id}-missed-1234`],
    ['a partial recovery', { ...recovered(2, 1), resolves: { kind: 'partial', attemptId: 7, since: NOW } }, `f${FLOW.id}-a7-partial`],
    ['a monitor recovery', { key: 'f689422-m2-monitor-recovered', kind: 'monitor-recovered', flow: FLOW, detectedAt: NOW }, 'f689422-m2-monitor-error'],
    ['a failure', failed(1), undefined],
  ])('%s', (_name, alert, expected) => {
    expect(openingKey(alert)).toBe(expected);
  });
});

describe('releasing held alerts of every incident kind', () => {
  const monitorError = (incident: string): Alert => ({
    key: `f${FLOW.id}-${incident}-monitor-error`,
    kind: 'monitor-error',
    flow: FLOW,
    monitor: { problem: 'not-found', message: 'answered 404', since: NOW, scope: 'flow' },
    detectedAt: NOW,
  });
  const monitorState = (alerted: boolean, key: string): Partial<FlowState> => ({ monitor: { problem: 'not-found', message: 'answered 404', since: NOW, alerted, key } });
  const missed: Alert = { key: `f${FLOW.id}-missed-${NOW}`, kind: 'missed', flow: FLOW, detectedAt: NOW };
  const partial: Alert = { key: `f${FLOW.id}-a5-partial`, kind: 'partial', flow: FLOW, detectedAt: NOW };
  const volume: Alert = { key: `f${FLOW.id}-a5-volume`, kind: 'volume', flow: FLOW, detectedAt: NOW };
  const quality = { attemptId: 5, since: NOW };

  it.each<[string, Alert, Partial<FlowState>, number]>([
    ['a missed run still missing', missed, { missed: { expectedAt: NOW, lastRunAt: null, since: NOW } }, 1],
    ['a missed run that has run since', missed, { missed: null }, 0],
    ['a partial load not yet repaired', partial, { partial: quality }, 1],
    ['a partial load repaired since', partial, { partial: null }, 0],
    ['a volume drop not yet recovered', volume, { volume: quality }, 1],
    ['a volume drop recovered since', volume, { volume: null }, 0],
    ['a monitor error still open', monitorError('m2'), monitorState(true, `f${FLOW.id}-m2`), 1],
    ['a monitor error whose incident ended and another opened', monitorError('m2'), monitorState(true, `f${FLOW.id}-m3`), 0],
    ['a monitor error not yet alerted', monitorError('m2'), monitorState(false, `f${FLOW.id}-m2`), 0],
    ['a monitor error whose flow checks again', monitorError('m2'), { monitor: null }, 0],
    ['a one-off unknown outcome', { ...failed(1), key: `f${FLOW.id}-a1-unknown-outcome`, kind: 'unknown-outcome' }, { incident: { kind: 'failed', attemptId: 1, attemptCreatedAt: NOW, since: NOW } }, 0],
  ])('%s: %i sent', async (_name, alert, state, sent) => {
    const flow = setup(state);
    expect(await flow.deliver(alert)).toBe('held');
    now = NOW + 60_000;
    expect(await flow.release()).toEqual({ sent, dropped: 1 - sent, stillHeld: 0 });
    expect(flow.queued.map((item) => [item.alert.key, item.notifiers])).toEqual(sent === 1 ? [[alert.key, ['team']]] : []);
  });

  it('sends the failure, not a reminder of it held later, while the incident is open', async () => {
    const open = setup({ incident: { kind: 'failed', attemptId: 1, attemptCreatedAt: NOW - 9_000, since: NOW - 5_000 } });
    await open.deliver(failed(1));
    now += 1_000;
    await open.deliver({ ...failed(1), key: `${failed(1).key}-reminder-1`, reminder: { number: 1, since: NOW } });
    now = NOW + 60_000;
    expect(await open.release()).toEqual({ sent: 1, dropped: 1, stillHeld: 0 });
    expect(open.queued.map((item) => item.alert.key)).toEqual([failed(1).key]);
  });

  it('sends one alert per incident and notifier: each notifier its own, each recovered incident its own', async () => {
    const flow = setup({ incident: { kind: 'failed', attemptId: 1, attemptCreatedAt: NOW, since: NOW } });
    const partialRecovery: Alert = { ...recovered(6, 5), key: `f${FLOW.id}-a6-recovered-partial`, resolves: { kind: 'partial', attemptId: 5, since: NOW } };
    await redis.set(deliveredMarkerKey(prefix, `f${FLOW.id}-a5-partial`, 'team'), String(NOW));
    await redis.set(deliveredMarkerKey(prefix, `f${FLOW.id}-a3-failed`, 'team'), String(NOW));
    for (const notifierName of ['team', 'oncall']) await flow.holdFor(failed(1), notifierName);
    await flow.holdFor(partialRecovery, 'team');
    await flow.holdFor(recovered(4, 3), 'team');
    now = NOW + 60_000;
    expect(await flow.release()).toEqual({ sent: 4, dropped: 0, stillHeld: 0 });
    expect(flow.queued.map((item) => `${item.alert.key} → ${item.notifiers.join()}`).sort()).toEqual(
      [`${failed(1).key} → team`, `${failed(1).key} → oncall`, `${partialRecovery.key} → team`, `${recovered(4, 3).key} → team`].sort(),
    );
  });

  it('logs what it judged', async () => {
    const flow = setup({ incident: null });
    await flow.deliver(failed(1));
    now = NOW + 60_000;
    await flow.release();
    expect(flow.logLines).toEqual([expect.objectContaining({ level: 30, msg: 'held alerts judged at the end of their hold', sent: 0, dropped: 1, stillHeld: 0 })]);
  });
});
