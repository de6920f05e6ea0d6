import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { checkFlow, type AlertSink, type CheckClient, type CheckTarget } from '../../src/checks/check-flow.ts';
import { createAlertSink, NOTIFICATION_QUEUE, type NotificationJobData } from '../../src/delivery/notification-queue.ts';
import { MAX_PAGE_SIZE } from '../../src/portable/list-run-attempts.ts';
import { createPortableClient } from '../../src/portable/portable-client.ts';
import { PortableApiError } from '../../src/portable/portable-error.ts';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { createFlowStateStore, installationMarkerKey, type FlowStateStore } from '../../src/state/flow-state-store.ts';
import { captureLog } from '../support/capture-log.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/**
 * One check of one flow on real parts (Redis, the simulator over HTTP, the real client) with one clock for the
 * worker and for Portable that the test moves by hand, so a check can "take" ten minutes.
 */

const TOKEN = 'pw-check-token-3a1f';
const MIN = 60_000;
const FLOW = 501;

let redis: Redis;
let prefix: string;
let store: FlowStateStore;
let simulator: PortableSimulator;
let clock: number;
let queued: Alert[];
/** Each alert queued, with the notifiers it was queued for; and how many times the sink was called at all. */
let routed: Array<{ kind: string; notifiers: readonly string[] }>;
let enqueueCalls: number;

const sink: AlertSink = {
  enqueue(items) {
    enqueueCalls += 1;
    queued.push(...items.map((item) => item.alert));
    routed.push(...items.map((item) => ({ kind: item.alert.kind, notifiers: item.notifiers })));
    return Promise.resolve();
  },
};

const target: CheckTarget = { id: FLOW, account: 'default', name: 'Events', notify: ['oncall'], accountNotifiers: ['oncall'], maxRuntime: 2 * 60 * MIN, backfill: 60 * MIN, sendOnResolved: true };

beforeEach(async () => {
  redis = connectRedis();
  prefix = uniquePrefix('check');
  store = createFlowStateStore(redis, prefix);
  clock = Date.UTC(2026, 10, 30, 12, 0, 0);
  queued = [];
  routed = [];
  enqueueCalls = 0;
  simulator = createPortableSimulator({ token: TOKEN, now: () => clock });
  await simulator.listen();
  simulator.addFlow({ id: FLOW, displayName: 'events' });
});

afterEach(async () => {
  await simulator.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function deps(client: CheckClient, alertSink: AlertSink = sink, log = pino({ level: 'silent' })) {
  return { client, store, sink: alertSink, now: () => clock, log, owner: 'worker-a' };
}

/** The real client, with what each check asked of it written down. */
function observed(client: CheckClient = portable()) {
  const listed: Array<{ since?: number; pageSize?: number; signal?: AbortSignal }> = [];
  const lookups: Array<{ signal?: AbortSignal } | undefined> = [];
  const wrapped: CheckClient = {
    listRunAttempts(flowId, options) {
      listed.push(options);
      return client.listRunAttempts(flowId, options);
    },
    getFlow(flowId, options) {
      lookups.push(options);
      return client.getFlow(flowId, options);
    },
  };
  return { client: wrapped, listed, lookups };
}

/** A Portable client that fails every listing with `error`. */
function failing(error: Error): CheckClient {
  return { listRunAttempts: () => Promise.reject(error), getFlow: () => Promise.reject(error) };
}

const lockKey = () => `${prefix}:flow:${FLOW}:lock`;

function portable(): CheckClient {
  return createPortableClient({ token: TOKEN, apiUrl: simulator.url ?? '', now: () => clock });
}

describe('checkFlow', () => {
  it('takes its checkpoint before its first request: a run created while a long check ran is read by the next one', async () => {
    const client = createPortableClient({ token: TOKEN, apiUrl: simulator.url ?? '', now: () => clock });
    // The first check's answer arrives, then Portable creates a failed run, and the check only ends ten minutes
    // later (pages, retries, a slow Redis): longer than the 5-minute overlap the next window starts with.
    const slowClient: CheckClient = {
      async listRunAttempts(flowId, options) {
        const answer = await client.listRunAttempts(flowId, options);
        simulator.addAttempt(FLOW, { state: 'failed', errors: ['Created mid-check'], createdAt: clock + MIN });
        clock += 10 * MIN;
        return answer;
      },
      getFlow: (flowId, options) => client.getFlow(flowId, options),
    };
    expect(await checkFlow(deps(slowClient), target)).toMatchObject({ outcome: 'ok', committed: true });
    clock += MIN;
    const second = await checkFlow(deps(client), target);
    expect(second).toMatchObject({ outcome: 'alerted', committed: true });
    expect(queued.map((alert) => alert.kind)).toEqual(['failed']);
  });

  it('moves no checkpoint when its alerts cannot be queued: the next check alerts the failure, once', async () => {
    simulator.addAttempt(FLOW, { state: 'failed', errors: ['Warehouse refused the load'], createdAt: clock - MIN });
    const broken: AlertSink = { enqueue: () => Promise.reject(new Error('Redis refused the write')) };
    await expect(checkFlow(deps(portable(), broken), target)).rejects.toThrow('Redis refused the write');
    // Nothing committed: the state is the one before the check, and the lease is free again.
    expect(await store.load(String(FLOW))).toMatchObject({ version: 0, checkpoint: null, known: {} });
    expect(await redis.exists(`${prefix}:flow:${FLOW}:lock`)).toBe(0);

    clock += MIN;
    expect(await checkFlow(deps(portable()), target)).toMatchObject({ outcome: 'alerted', committed: true });
    clock += MIN;
    expect(await checkFlow(deps(portable()), target)).toMatchObject({ outcome: 'ok' });
    expect(queued.map((alert) => alert.kind)).toEqual(['failed']);
  });

  it('queues one notification job per alert and notifier however often the same alert is raised', async () => {
    const queue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
    try {
      const real = createAlertSink(() => queue);
      simulator.addAttempt(FLOW, { state: 'failed', errors: ['Schema drift'], createdAt: clock - MIN });
      const twoNotifiers = { ...target, notify: ['oncall', 'data-team'] };
      expect(await checkFlow(deps(portable(), real), twoNotifiers)).toMatchObject({ outcome: 'alerted' });
      // A repeated check that raises the same alert again (its state lost, or a second replica that read the
      // state before the first committed) queues nothing new.
      await redis.del(`${prefix}:flow:${FLOW}:state`);
      clock += 1_000;
      expect(await checkFlow(deps(portable(), real), twoNotifiers)).toMatchObject({ outcome: 'alerted' });
      const jobs = await queue.getJobs(['wait', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
      expect(jobs.map((job) => job.id).sort()).toEqual([
        expect.stringMatching(/\.data-team$/) as string,
        expect.stringMatching(/\.oncall$/) as string,
      ]);
    } finally {
      await queue.close();
    }
  });
});


describe('checkFlow, what a check writes down', () => {
  it('a quiet check records an ok check and its success, queues nothing and gives the lease back', async () => {
    simulator.addAttempt(FLOW, { state: 'succeeded', createdAt: clock - MIN });
    const { log, lines } = captureLog();
    expect(await checkFlow(deps(portable(), sink, log), target)).toEqual({ outcome: 'ok', alerts: [], requests: 1, anomalies: [], newAnomalies: [], committed: true });
    expect(await store.load(String(FLOW))).toMatchObject({ version: 1, checkpoint: clock, lastCheck: { at: clock, outcome: 'ok' }, lastSuccessAt: clock, monitor: null });
    expect(enqueueCalls).toBe(0);
    expect(await redis.exists(lockKey())).toBe(0);
    // With no account incident, the account's state is not even written.
    expect(await store.loadAccount('default')).toMatchObject({ version: 0 });
    expect(lines).toEqual([]);
  });

  it('an alerting check records an alerted check, and its alerts carry the configured name and link', async () => {
    simulator.addAttempt(FLOW, { state: 'failed', errors: ['Quota exceeded'], createdAt: clock - MIN });
    const linked = { ...target, url: 'https://app.portable.io/flows/501' };
    const { client, lookups } = observed();
    const report = await checkFlow(deps(client), linked);
    expect(lookups).toEqual([]); // the configured name is enough
    expect(report).toMatchObject({ outcome: 'alerted', committed: true });
    expect(queued).toEqual([expect.objectContaining({ kind: 'failed', flow: { id: FLOW, name: 'Events', url: 'https://app.portable.io/flows/501' } })]);
    expect(routed).toEqual([{ kind: 'failed', notifiers: ['oncall'] }]);
    expect(await store.load(String(FLOW))).toMatchObject({ lastCheck: { at: clock, outcome: 'alerted' }, lastSuccessAt: clock });
  });

  it('names an unnamed flow after Portable once, remembers the name, and falls back to the id when the lookup fails', async () => {
    const unnamed = { ...target, name: undefined };
    const first = observed();
    await checkFlow(deps(first.client), unnamed);
    expect(first.lookups).toEqual([]); // nothing to alert, no name needed
    simulator.addAttempt(FLOW, { state: 'failed', errors: ['One'], createdAt: clock - 1_000 });
    clock += MIN;
    const signal = new AbortController().signal;
    await checkFlow(deps(first.client), unnamed, { signal });
    expect(first.lookups).toEqual([{ signal }]);
    expect(queued.map((alert) => alert.flow)).toEqual([{ id: FLOW, name: 'events' }]);
    expect(await store.load(String(FLOW))).toMatchObject({ displayName: 'events' });

    simulator.addAttempt(FLOW, { state: 'succeeded', createdAt: clock - 1_000 });
    clock += MIN;
    await checkFlow(deps(first.client), unnamed);
    expect(first.lookups).toHaveLength(1); // remembered, not asked again
    expect(queued.map((alert) => `${alert.kind} ${alert.flow.name}`)).toEqual(['failed events', 'recovered events']);

    // A flow whose name lookup fails still alerts, under its id, and says why in the log.
    const other = 502;
    simulator.addFlow({ id: other, displayName: 'orders' });
    simulator.addAttempt(other, { state: 'failed', errors: ['Two'], createdAt: clock - 1_000 });
    const client = portable();
    const noName: CheckClient = { listRunAttempts: (id, options) => client.listRunAttempts(id, options), getFlow: () => Promise.reject(new Error('lookup refused')) };
    const { log, lines } = captureLog();
    await checkFlow(deps(noName, sink, log), { ...unnamed, id: other });
    expect(queued.at(-1)?.flow).toEqual({ id: other, name: '502' });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'flow name lookup failed', flowId: other, err: 'lookup refused' }));
  });

  it('asks for the widest pages on a first check only, and passes its abort signal on', async () => {
    const { client, listed } = observed();
    const signal = new AbortController().signal;
    const firstAt = clock;
    await checkFlow(deps(client), target, { signal });
    clock += MIN;
    await checkFlow(deps(client), target);
    expect(listed[0]).toEqual({ since: expect.any(Number) as number, pageSize: MAX_PAGE_SIZE, signal });
    // Later checks read from their checkpoint, less the overlap, in the client's default pages.
    expect(listed[1]).toEqual({ since: firstAt - 5 * MIN });
  });

  it("logs an attempt's anomaly when it first meets the attempt, and a page's every time", async () => {
    const running = simulator.addAttempt(FLOW, { state: 'running', createdAt: clock - MIN });
    const client = portable();
    const odd: CheckClient = {
      async listRunAttempts(flowId, options) {
        const answer = await client.listRunAttempts(flowId, options);
        const anomalies = [
          { kind: 'unknown-value' as const, message: `attempt ${running.id}: unknown trigger "webhook"`, attemptId: running.id },
          { kind: 'paging' as const, message: 'stopped at the page cap' },
        ];
        return { ...answer, anomalies };
      },
      getFlow: (flowId, options) => client.getFlow(flowId, options),
    };
    const { log, lines } = captureLog();
    const first = await checkFlow(deps(odd, sink, log), target);
    expect(first).toMatchObject({ anomalies: [{ kind: 'unknown-value' }, { kind: 'paging' }], newAnomalies: [{ kind: 'unknown-value' }, { kind: 'paging' }] });
    clock += MIN;
    const second = await checkFlow(deps(odd, sink, log), target);
    expect(second).toMatchObject({ anomalies: [{ kind: 'unknown-value' }, { kind: 'paging' }], newAnomalies: [{ kind: 'paging' }] });
    const warned = lines.filter((line) => line.msg === "Portable's answer had something unexpected");
    expect(warned.map((line) => [line.flowId, line.kind])).toEqual([
      [FLOW, 'unknown-value'],
      [FLOW, 'paging'],
      [FLOW, 'paging'],
    ]);
  });

  it('a check that lost the race to another commits nothing and says so; its lease is still given back', async () => {
    simulator.addAttempt(FLOW, { state: 'failed', errors: ['Raced'], createdAt: clock - MIN });
    const client = portable();
    const racing: CheckClient = {
      async listRunAttempts(flowId, options) {
        // Another check (a replica whose lease this one took over) commits while this one reads Portable.
        await store.commit(String(FLOW), 0, { ...(await store.load(String(FLOW))), checkpoint: clock });
        return client.listRunAttempts(flowId, options);
      },
      getFlow: (flowId, options) => client.getFlow(flowId, options),
    };
    const { log, lines } = captureLog();
    expect(await checkFlow(deps(racing, sink, log), target)).toMatchObject({ outcome: 'alerted', committed: false });
    expect(await store.load(String(FLOW))).toMatchObject({ version: 1, lastCheck: null });
    expect(await redis.exists(lockKey())).toBe(0);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'another check committed first; its result stands', flowId: FLOW }));
  });
});

describe('checkFlow, dry runs', () => {
  it('reports what it would alert but queues nothing, moves nothing and needs no lease', async () => {
    simulator.addAttempt(FLOW, { state: 'failed', errors: ['Dry'], createdAt: clock - MIN });
    await redis.set(lockKey(), 'worker-b', 'PX', 10_000);
    const report = await checkFlow(deps(portable()), target, { dryRun: true });
    expect(report).toMatchObject({ outcome: 'alerted', committed: false, alerts: [{ kind: 'failed', flow: { name: 'Events' } }] });
    expect(enqueueCalls).toBe(0);
    expect(await store.load(String(FLOW))).toMatchObject({ version: 0, checkpoint: null });
    expect(await redis.get(lockKey())).toBe('worker-b');
  });

  it('a dry run of a failing check commits nothing either, and leaves an open account incident alone', async () => {
    simulator.setToken('rotated-token');
    await checkFlow(deps(portable()), target);
    expect(queued.map((alert) => alert.kind)).toEqual(['monitor-error']);
    const account = await store.loadAccount('default');

    const failed = await checkFlow(deps(portable()), target, { dryRun: true });
    expect(failed).toMatchObject({ outcome: 'error', problem: 'unauthorized', committed: false, alerts: [] });
    simulator.setToken(TOKEN);
    const good = await checkFlow(deps(portable()), target, { dryRun: true });
    expect(good).toMatchObject({ outcome: 'ok', committed: false });
    expect(queued).toHaveLength(1);
    expect(await store.loadAccount('default')).toEqual(account);
  });
});

describe('checkFlow, when Portable cannot be read', () => {
  it("a rejected token is one alert for the account, to every account notifier, not the flow's; its end is announced once", async () => {
    const team = { ...target, notify: ['oncall'], accountNotifiers: ['oncall', 'data-team'] };
    simulator.setToken('rotated-token');
    const report = await checkFlow(deps(portable()), team);
    expect(report).toMatchObject({ outcome: 'error', problem: 'unauthorized', committed: true, alerts: [{ kind: 'monitor-error', key: expect.stringMatching(/^account/) as string }] });
    expect(routed).toEqual([{ kind: 'monitor-error', notifiers: ['oncall', 'data-team'] }]);
    // The flow itself holds no incident, only an error check; the account holds it.
    expect(await store.load(String(FLOW))).toMatchObject({ monitor: null, lastCheck: { at: clock, outcome: 'error' }, lastSuccessAt: null });
    expect(await store.loadAccount('default')).toMatchObject({ monitor: { problem: 'unauthorized', alerted: true } });

    clock += MIN;
    expect(await checkFlow(deps(portable()), team)).toMatchObject({ outcome: 'error', alerts: [] });
    expect(enqueueCalls).toBe(1); // nothing new to queue, and the queue is not even called
    simulator.setToken(TOKEN);
    clock += MIN;
    const back = await checkFlow(deps(portable()), team);
    expect(back).toMatchObject({ outcome: 'ok', alerts: [] });
    clock += MIN;
    await checkFlow(deps(portable()), team);
    expect(routed).toEqual([
      { kind: 'monitor-error', notifiers: ['oncall', 'data-team'] },
      { kind: 'monitor-recovered', notifiers: ['oncall', 'data-team'] },
    ]);
    expect(await store.loadAccount('default')).toMatchObject({ monitor: null, failingSince: null });
    expect(queued.at(-1)?.flow).toStrictEqual({ id: FLOW, name: 'Events' });
  });

  it('a rejected token still rejected after repeatEvery is reminded of once per interval, to every account notifier, and no more after its end', async () => {
    const team = { ...target, repeatEvery: 4 * 60 * MIN, accountNotifiers: ['oncall', 'data-team'] };
    simulator.setToken('rotated-token');
    await checkFlow(deps(portable()), team);
    for (const step of [MIN, 4 * 60 * MIN - 2 * MIN, 2 * MIN, MIN, 4 * 60 * MIN]) {
      clock += step;
      await checkFlow(deps(portable()), team);
    }
    const reminders = queued.filter((alert) => alert.reminder !== undefined);
    expect(reminders.map((alert) => [alert.key, alert.reminder?.number, alert.monitor?.scope])).toEqual([
      ['account-m1-monitor-error-reminder-1', 1, 'account'],
      ['account-m1-monitor-error-reminder-2', 2, 'account'],
    ]);
    expect(routed.filter((each) => each.kind === 'monitor-error')).toHaveLength(3);
    expect(routed.every((each) => each.notifiers.join() === 'oncall,data-team')).toBe(true);
    simulator.setToken(TOKEN);
    clock += 5 * 60 * MIN;
    await checkFlow(deps(portable()), team);
    clock += 5 * 60 * MIN;
    await checkFlow(deps(portable()), team);
    expect(queued.filter((alert) => alert.reminder !== undefined)).toHaveLength(2);
    expect(await store.loadAccount('default')).toMatchObject({ monitor: null, reminder: null });
  });

  it('a flow Portable does not know is a monitor error of that flow, under its id, with its link', async () => {
    const unknown = { ...target, id: 9_999, name: undefined, url: 'https://app.portable.io/flows/9999' };
    const { log, lines } = captureLog();
    const report = await checkFlow(deps(portable(), sink, log), unknown);
    expect(report).toMatchObject({ outcome: 'error', problem: 'not-found', committed: true });
    expect(report.outcome === 'error' && report.message).toMatch(/not found/i);
    expect(queued).toEqual([expect.objectContaining({ kind: 'monitor-error', key: 'f9999-m1-monitor-error', flow: { id: 9_999, name: '9999', url: 'https://app.portable.io/flows/9999' } })]);
    expect(routed[0]?.notifiers).toEqual(['oncall']);
    expect(await store.load('9999')).toMatchObject({ version: 1, monitor: { problem: 'not-found' }, lastCheck: { at: clock, outcome: 'error' } });
    expect(await redis.exists(`${prefix}:flow:9999:lock`)).toBe(0);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'check failed', flowId: 9_999, problem: 'not-found' }));
  });

  it('a transient error is a failed check that waits before alerting; the name it would carry is the configured one', async () => {
    const outage = new PortableApiError('Portable answered 503', { kind: 'transient', path: `/v2/flows/${FLOW}/run`, status: 503 });
    const report = await checkFlow(deps(failing(outage)), target);
    expect(report).toEqual({ outcome: 'error', alerts: [], problem: 'transient', message: 'Portable answered 503', committed: true });
    clock += 6 * MIN;
    const later = await checkFlow(deps(failing(outage)), target);
    expect(later).toMatchObject({ outcome: 'error', alerts: [{ kind: 'monitor-error' }] });
    expect(queued.map((alert) => alert.flow)).toStrictEqual([{ id: FLOW, name: 'Events' }]);
  });

  it('an aborted check and an error that is not Portable’s are thrown, commit nothing and give the lease back', async () => {
    const aborted = new PortableApiError('aborted', { kind: 'aborted', path: `/v2/flows/${FLOW}/run` });
    await expect(checkFlow(deps(failing(aborted)), target)).rejects.toBe(aborted);
    const bug = new TypeError('cannot read properties of undefined');
    await expect(checkFlow(deps(failing(bug)), target)).rejects.toBe(bug);
    expect(await store.load(String(FLOW))).toMatchObject({ version: 0, lastCheck: null });
    expect(await redis.exists(lockKey())).toBe(0);
    expect(enqueueCalls).toBe(0);
  });
});

describe('checkFlow and the lease', () => {
  /** The store, counting how often a check tried to take the lease and to renew it. */
  function counting() {
    const calls = { begin: 0, extend: 0 };
    const counted: FlowStateStore = {
      ...store,
      begin: (...args) => {
        calls.begin += 1;
        return store.begin(...args);
      },
      extendLock: (...args) => {
        calls.extend += 1;
        return store.extendLock(...args);
      },
    };
    return { counted, calls };
  }

  it('waits for a lease another check is about to give back, then checks', async () => {
    await redis.set(lockKey(), 'worker-b', 'PX', 250);
    const { counted, calls } = counting();
    expect(await checkFlow({ ...deps(portable()), store: counted }, target)).toMatchObject({ outcome: 'ok', committed: true });
    expect(calls.begin).toBeGreaterThan(1);
  });

  it('skips the check when the lease stays taken, after a bounded wait, and at once when aborted', async () => {
    await redis.set(lockKey(), 'worker-b', 'PX', 10_000);
    const { counted, calls } = counting();
    expect(await checkFlow({ ...deps(portable()), store: counted }, target)).toEqual({ outcome: 'skipped', reason: 'another check of this flow is in progress' });
    expect(calls.begin).toBe(16);
    const controller = new AbortController();
    controller.abort();
    calls.begin = 0;
    expect(await checkFlow({ ...deps(portable()), store: counted }, target, { signal: controller.signal })).toMatchObject({ outcome: 'skipped' });
    expect(calls.begin).toBe(1);
    expect(await redis.get(lockKey())).toBe('worker-b');
  });

  it('renews the lease while a long check runs, and stops renewing when it ends', async () => {
    const client = portable();
    let ttlMidway = 0;
    const slow: CheckClient = {
      async listRunAttempts(flowId, options) {
        await sleep(3_400);
        ttlMidway = await redis.pttl(lockKey());
        return client.listRunAttempts(flowId, options);
      },
      getFlow: (flowId, options) => client.getFlow(flowId, options),
    };
    const { counted, calls } = counting();
    expect(await checkFlow({ ...deps(slow), store: counted }, target)).toMatchObject({ outcome: 'ok', committed: true });
    // Without renewal the 10 s lease would have 6.6 s left.
    expect(ttlMidway).toBeGreaterThan(9_000);
    const renewals = calls.extend;
    expect(renewals).toBe(1);
    await sleep(3_200);
    expect(calls.extend).toBe(renewals);
  });

  it('a renewal that fails is logged, at debug when Redis is away (the connection tells that once), else as a warning', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const errors: Error[] = [refused, new Error('ERR unknown command')];
    const failingRenewal: FlowStateStore = { ...store, extendLock: () => Promise.reject(errors.shift() ?? new Error('no more renewals expected')) };
    const client = portable();
    // Only the renewal interval is faked: Redis, HTTP and pino keep their real timers.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const slow: CheckClient = {
        async listRunAttempts(flowId, options) {
          vi.advanceTimersByTime(3_000);
          vi.advanceTimersByTime(3_000);
          await sleep(20);
          return client.listRunAttempts(flowId, options);
        },
        getFlow: (flowId, options) => client.getFlow(flowId, options),
      };
      const { log, lines } = captureLog();
      expect(await checkFlow({ ...deps(slow, sink, log), store: failingRenewal }, target)).toMatchObject({ outcome: 'ok', committed: true });
      const renewals = lines.filter((line) => line.msg === 'could not renew the check lock');
      expect(renewals.map((line) => [line.level, (line.err as { message?: string } | undefined)?.message])).toEqual([
        [20, 'connect ECONNREFUSED 127.0.0.1:6379'],
        [40, 'ERR unknown command'],
      ]);
      expect(errors).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not check on a Redis that lost the installation, and asks for it to be restored; nor while it settles', async () => {
    store.setInstallation('install-a');
    await redis.hset(installationMarkerKey(prefix), 'id', 'install-b');
    let moved = 0;
    const report = await checkFlow({ ...deps(portable()), onStateMoved: () => (moved += 1) }, target);
    expect(report).toEqual({ outcome: 'skipped', reason: 'Redis lost its state since this worker last looked; restoring it first' });
    expect(moved).toBe(1);
    // Without anyone to tell, it still skips.
    expect(await checkFlow(deps(portable()), target)).toMatchObject({ outcome: 'skipped' });

    await redis.hset(installationMarkerKey(prefix), 'id', 'install-a', 'settledAt', String(clock + MIN));
    expect(await checkFlow({ ...deps(portable()), onStateMoved: () => (moved += 1) }, target)).toEqual({ outcome: 'skipped', reason: 'waiting for replicas to restore what Redis lost' });
    expect(moved).toBe(1);
    expect(await store.load(String(FLOW))).toMatchObject({ version: 0 });

    await redis.hset(installationMarkerKey(prefix), 'settledAt', String(clock - 1));
    expect(await checkFlow(deps(portable()), target)).toMatchObject({ outcome: 'ok', committed: true });
  });
});

describe('checkFlow, state and settings it must not take for granted', () => {
  it('asks for the widest pages again when a state written before history learning has a checkpoint but no history', async () => {
    const { client, listed } = observed();
    await checkFlow(deps(client), target);
    const key = `${prefix}:flow:${FLOW}:state`;
    const written = JSON.parse((await redis.hget(key, 'state')) ?? '{}') as Record<string, unknown>;
    expect(written.checkpoint).not.toBeNull();
    delete written.historySince;
    await redis.hset(key, 'state', JSON.stringify(written));
    clock += MIN;
    await checkFlow(deps(client), target);
    expect(listed[1]?.pageSize).toBe(MAX_PAGE_SIZE);
  });

  it('reads a configured cron without a time zone in UTC, and says so in the missed-run alert', async () => {
    const hourly: CheckTarget = { ...target, schedule: { kind: 'cron', expression: '0 * * * *' } };
    await checkFlow(deps(portable()), hourly);
    clock += 3 * 60 * MIN;
    await checkFlow(deps(portable()), hourly);
    const missed = queued.find((alert) => alert.kind === 'missed');
    expect(missed?.missed?.schedule).toContain('(UTC)');
  });
});
