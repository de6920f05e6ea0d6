import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlowRef } from '../../src/accounts/flow-ref.ts';
import { createPortableClient } from '../../src/portable/portable-client.ts';
import { createScheduleRefresher, type ScheduleRefresher } from '../../src/scheduling/refresh-portable-schedules.ts';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { createFlowStateStore, portableSchedulesKey } from '../../src/state/flow-state-store.ts';
import { captureLog } from '../support/capture-log.ts';
import { connectRedis, dropPrefix, eventually, uniquePrefix } from '../support/redis.ts';

const TOKEN = 'pw-schedules-token-77c1';

let redis: Redis;
let prefix: string;
let simulator: PortableSimulator;
let apiUrl: string;
const refreshers: ScheduleRefresher[] = [];

beforeEach(async () => {
  redis = connectRedis();
  prefix = uniquePrefix('schedules');
  simulator = createPortableSimulator({ token: TOKEN });
  apiUrl = await simulator.listen();
});

afterEach(async () => {
  await Promise.all(refreshers.splice(0).map((refresher) => refresher.close()));
  await simulator.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** A refresher watching these flows of the default account. */
function refresher(flowIds: number[], options: { every?: number; tickMs?: number; log?: Logger } = {}) {
  const client = createPortableClient({ token: TOKEN, apiUrl, retry: { limit: 0 } });
  const flows: FlowRef[] = flowIds.map((id) => ({ account: 'default', id }));
  const created = createScheduleRefresher({
    redis: () => redis,
    prefix,
    client: () => client,
    flows: () => flows,
    every: () => options.every ?? 600_000,
    log: options.log ?? pino({ level: 'silent' }),
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
  });
  refreshers.push(created);
  return created;
}

const stored = async () => redis.hgetall(portableSchedulesKey(prefix));

describe('the schedule refresh', () => {
  it('reads every watched flow with one GET /v2/flows, cron over frequency, nothing for flows it does not watch', async () => {
    simulator.addFlow({ id: 1, frequency: '1h' });
    simulator.addFlow({ id: 2, frequency: '24h', cron: '0 6 * * *' });
    simulator.addFlow({ id: 3 });
    simulator.addFlow({ id: 4, frequency: '15m' });
    const report = await refresher([1, 2, 3]).refresh();
    expect(report).toMatchObject({ outcome: 'refreshed', flows: 3, requests: 1 });
    expect(simulator.requestCount()).toBe(1);
    expect(await stored()).toEqual({ 1: '{"frequency":"1h"}', 2: '{"frequency":"24h","cron":"0 6 * * *"}', 3: '{}' });
    // The check reads it in the round trip that begins it.
    const begun = await createFlowStateStore(redis, prefix).begin('2', 'default', 'owner', 5_000, Date.now());
    expect(begun).toMatchObject({ outcome: 'begun', portableSchedule: { cron: '0 6 * * *' } });
  });

  it('reads a flow the list leaves out, and every flow when the list is refused, one by one', async () => {
    simulator.addFlow({ id: 1, frequency: '1h' });
    simulator.addFlow({ id: 2, frequency: '6h' });
    simulator.injectFault({ kind: 'status', status: 404 }, { endpoint: 'flows' });
    const report = await refresher([1, 2]).refresh();
    expect(report).toMatchObject({ outcome: 'refreshed', flows: 2, requests: 3 });
    expect(await stored()).toEqual({ 1: '{"frequency":"1h"}', 2: '{"frequency":"6h"}' });
  });

  it('keeps the last known schedules when Portable fails, and says so', async () => {
    simulator.addFlow({ id: 1, frequency: '1h' });
    await refresher([1]).refresh();
    simulator.addFlow({ id: 1, frequency: '6h' });
    simulator.injectFault({ kind: 'status', status: 503 });
    const log = captureLog();
    const report = await refresher([1], { log: log.log }).refresh();
    expect(report.outcome).toBe('failed');
    expect(await stored()).toEqual({ 1: '{"frequency":"1h"}' });
    expect(log.lines.map((line) => line.msg)).toContain('could not read flow schedules from Portable; keeping the last known');
  });

  it('asks Portable nothing when no watched flow needs its schedule', async () => {
    simulator.addFlow({ id: 1, frequency: '1h' });
    await refresher([1]).refresh();
    simulator.resetCounters();
    expect(await refresher([]).refresh()).toMatchObject({ outcome: 'skipped', requests: 0 });
    expect(simulator.requestCount()).toBe(0);
    expect(await stored()).toEqual({});
  });

  it('lets a shutdown go within a second while a refresh hangs', async () => {
    const hanging = createScheduleRefresher({
      redis: () => redis,
      prefix,
      client: () => ({ listFlows: () => new Promise<never>(() => undefined), getFlow: () => new Promise<never>(() => undefined) }),
      flows: () => [{ account: 'default', id: 1 }],
      every: () => 600_000,
      log: pino({ level: 'silent' }),
    });
    hanging.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('drops the entries of flows no longer watched', async () => {
    simulator.addFlow({ id: 1, frequency: '1h' });
    simulator.addFlow({ id: 2, frequency: '1h' });
    await refresher([1, 2]).refresh();
    await refresher([2]).refresh();
    expect(Object.keys(await stored())).toEqual(['2']);
  });

  it('is done by one replica per interval, at start when never done', async () => {
    for (let id = 1; id <= 3; id += 1) simulator.addFlow({ id, frequency: '1h' });
    const replicas = [refresher([1, 2, 3], { tickMs: 50 }), refresher([1, 2, 3], { tickMs: 50 })];
    for (const replica of replicas) replica.start();
    await eventually(async () => (Object.keys(await stored()).length === 3 ? true : undefined), 'the first refresh');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(simulator.requestCount({ path: '/v2/flows' })).toBe(1);
  });

  it("reads each account's flows from that account's own listing, keyed by account", async () => {
    const PROD_TOKEN = 'pw-schedules-prod-token-3e9a';
    simulator.addFlow({ id: 42, frequency: '1h' });
    const prod = simulator.addAccount(PROD_TOKEN, 'prod');
    prod.addFlow({ id: 42, cron: '0 6 * * *' });
    // Flow 7 is only in prod's listing: the default account's flow 7 must not take prod's schedule.
    prod.addFlow({ id: 7, frequency: '15m' });
    const clients = new Map([
      ['default', createPortableClient({ token: TOKEN, apiUrl, retry: { limit: 0 } })],
      ['prod', createPortableClient({ token: PROD_TOKEN, apiUrl, retry: { limit: 0 } })],
    ]);
    const flows: FlowRef[] = [
      { account: 'default', id: 42 },
      { account: 'default', id: 7 },
      { account: 'prod', id: 42 },
    ];
    const created = createScheduleRefresher({
      redis: () => redis,
      prefix,
      client: (account) => {
        const client = clients.get(account);
        if (client === undefined) throw new Error(`no client for account ${account}`);
        return client;
      },
      flows: () => flows,
      every: () => 600_000,
      log: pino({ level: 'silent' }),
    });
    refreshers.push(created);
    // One listing per account, and the default account's flow 7 (absent from its listing) asked of that account alone.
    expect(await created.refresh()).toMatchObject({ outcome: 'refreshed', flows: 2, requests: 3 });
    expect(await stored()).toEqual({ 42: '{"frequency":"1h"}', 'prod~42': '{"cron":"0 6 * * *"}' });
    expect(simulator.requestCount({ account: 'account-1', path: '/v2/flows' })).toBe(1);
    expect(simulator.requestCount({ account: 'account-1', path: '/v2/flows/7' })).toBe(1);
    expect(prod.requestCount()).toBe(1);
    expect(prod.requestCount({ path: '/v2/flows' })).toBe(1);
    expect(simulator.requestCount()).toBe(3);
  });

  it('reads only the flows Redis does not hold yet, for flows just added', async () => {
    simulator.addFlow({ id: 1, frequency: '1h' });
    simulator.addFlow({ id: 2, cron: '*/5 * * * *' });
    const first = refresher([1]);
    await first.refresh();
    simulator.resetCounters();
    expect(await refresher([1, 2]).refreshMissing()).toBe(1);
    expect(simulator.requestLog().map((request) => request.url)).toEqual(['/v2/flows/2']);
    expect(await stored()).toEqual({ 1: '{"frequency":"1h"}', 2: '{"cron":"*/5 * * * *"}' });
  });
});
