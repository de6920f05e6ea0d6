import { beforeEach, describe, expect, it } from 'vitest';
import type { SimulatedAccount } from '../../src/simulator/portable-simulator.ts';
import { MINUTE, NOW, TOKEN, useRunningSimulator } from './running-simulator.ts';

const SECOND_TOKEN = 'second-account-token';

interface FlowListing {
  data: { id: number; displayName: string }[];
}

describe('Portable simulator with several accounts', () => {
  const running = useRunningSimulator();
  const get = (path: string, token?: string | null) => running.get(path, token);
  const listing = async (token: string) => ((await get('/v2/flows', token)).json() as FlowListing).data;
  const runIds = async (path: string, token: string) => ((await get(path, token)).json() as { data: { id: number }[] }).data.map((attempt) => attempt.id);
  let second: SimulatedAccount;

  beforeEach(() => {
    running.simulator.addFlow({ id: 42, displayName: 'Stripe to Postgres' });
    running.simulator.addAttempt(42, { id: 1, state: 'succeeded', createdAt: NOW - 10 * MINUTE });
    second = running.simulator.addAccount(SECOND_TOKEN, 'eu');
    second.addFlow({ id: 42, displayName: 'HubSpot to BigQuery', dialect: 'schema' });
    second.addAttempt(42, { id: 2, state: 'failed', createdAt: NOW - 5 * MINUTE, errors: ['boom'] });
    second.addAttempt(42, { id: 3, state: 'running', createdAt: NOW - MINUTE });
  });

  describe('the same flow id in two accounts', () => {
    it('lists only the flows of the account whose token asks', async () => {
      expect((await listing(TOKEN)).map((flow) => [flow.id, flow.displayName])).toEqual([[42, 'Stripe to Postgres']]);
      expect((await listing(SECOND_TOKEN)).map((flow) => [flow.id, flow.displayName])).toEqual([[42, 'HubSpot to BigQuery']]);
    });

    it('answers /v2/flows/42, its runs and its status from the asking account', async () => {
      expect((await get('/v2/flows/42', TOKEN)).json()).toMatchObject({ data: { id: 42, displayName: 'Stripe to Postgres' } });
      expect((await get('/v2/flows/42', SECOND_TOKEN)).json()).toMatchObject({ data: { id: 42, displayName: 'HubSpot to BigQuery' } });
      expect(await runIds('/v2/flows/42/run', TOKEN)).toEqual([1]);
      expect(await runIds('/v2/flows/42/run', SECOND_TOKEN)).toEqual([3, 2]);
      expect((await get('/v2/flows/42/status', TOKEN)).json()).toMatchObject({ lifecycle: 'NOT_RUNNING', disposition: 'SUCCEEDED' });
      expect((await get('/v2/flows/42/status', SECOND_TOKEN)).json()).toMatchObject({ lifecycle: 'RUNNING', disposition: 'NONE' });
    });

    it('keeps each account in its own dialect and its attempts apart in the scoped methods', async () => {
      const [first] = ((await get('/v2/flows/42/run', SECOND_TOKEN)).json() as { data: Record<string, unknown>[] }).data;
      expect(first).toMatchObject({ id: 3, status: 'NONE' });
      expect(first).not.toHaveProperty('lifecycle');
      expect(running.simulator.getAttempt(42, 2)).toBeUndefined();
      expect(second.getAttempt(42, 1)).toBeUndefined();
      expect(running.simulator.account(TOKEN).getFlow(42)?.displayName).toBe('Stripe to Postgres');
      expect(running.simulator.account(SECOND_TOKEN).listFlows().map((flow) => flow.displayName)).toEqual(['HubSpot to BigQuery']);
    });

    it('hands out attempt ids that are unique across accounts', () => {
      const ids = [running.simulator.addAttempt(42).id, second.addAttempt(42).id, running.simulator.addAttempt(42).id];
      expect(new Set(ids).size).toBe(3);
    });
  });

  describe('tokens', () => {
    it('answers 401 to an unknown token, and to a removed account', async () => {
      expect((await get('/v2/flows', 'nobody')).status).toBe(401);
      expect((await get('/v2/flows/42', 'nobody')).status).toBe(401);
      expect(running.simulator.removeAccount(SECOND_TOKEN)).toBe(true);
      expect((await get('/v2/flows/42/run', SECOND_TOKEN)).status).toBe(401);
      expect((await get('/v2/flows/42/run', TOKEN)).status).toBe(200);
      expect(running.simulator.removeAccount(SECOND_TOKEN)).toBe(false);
    });

    it('rotates one account token without touching the other', async () => {
      second.setToken('rotated');
      expect((await get('/v2/flows', SECOND_TOKEN)).status).toBe(401);
      expect((await listing('rotated')).map((flow) => flow.displayName)).toEqual(['HubSpot to BigQuery']);
      expect((await listing(TOKEN)).map((flow) => flow.displayName)).toEqual(['Stripe to Postgres']);
      expect(running.simulator.account('rotated').label).toBe('eu');
    });

    it('refuses a token another account holds, and never names a token in its errors', () => {
      expect(() => running.simulator.addAccount(TOKEN)).toThrow('another account already has that token');
      expect(() => second.setToken(TOKEN)).toThrow('another account already has that token');
      expect(() => running.simulator.account('no-such-token')).toThrow(/^simulator: no account has that token$/);
      expect(() => running.simulator.removeAccount(TOKEN)).toThrow('the first account cannot be removed');
    });
  });

  describe('flows added and removed at runtime', () => {
    it('shows a flow added to one account in its next listing only', async () => {
      second.addFlow({ id: 43, displayName: 'Shopify to Snowflake' });
      expect((await listing(SECOND_TOKEN)).map((flow) => flow.id)).toEqual([42, 43]);
      expect((await listing(TOKEN)).map((flow) => flow.id)).toEqual([42]);
      expect((await get('/v2/flows/43/run', TOKEN)).status).toBe(404);
    });

    it('forgets a removed flow in that account only: gone from the listing, its runs 404', async () => {
      expect(second.removeFlow(42)).toBe(true);
      expect(await listing(SECOND_TOKEN)).toEqual([]);
      expect((await get('/v2/flows/42', SECOND_TOKEN)).status).toBe(404);
      expect((await get('/v2/flows/42/run', SECOND_TOKEN)).status).toBe(404);
      expect((await get('/v2/flows/42/status', SECOND_TOKEN)).status).toBe(404);
      expect(await runIds('/v2/flows/42/run', TOKEN)).toEqual([1]);
    });

    it('forgets a flow removed from the first account through the simulator methods', async () => {
      running.simulator.removeFlow(42);
      expect(await listing(TOKEN)).toEqual([]);
      expect((await get('/v2/flows/42/run', TOKEN)).status).toBe(404);
      expect(await runIds('/v2/flows/42/run', SECOND_TOKEN)).toEqual([3, 2]);
    });
  });

  describe('faults', () => {
    it('fires a fault injected on one account for that account only', async () => {
      second.injectFault({ kind: 'status', status: 503 }, { flowId: 42 });
      expect((await get('/v2/flows/42/run', SECOND_TOKEN)).status).toBe(503);
      expect((await get('/v2/flows/42/run', TOKEN)).status).toBe(200);
      running.simulator.injectFault({ kind: 'forbidden' }, { account: 'account-1', endpoint: 'flows' });
      expect((await get('/v2/flows', TOKEN)).status).toBe(403);
      expect((await get('/v2/flows', SECOND_TOKEN)).status).toBe(200);
    });

    it('fires an unscoped fault for every account, as an outage of the server', async () => {
      const id = running.simulator.injectFault({ kind: 'status', status: 502 });
      expect((await get('/v2/flows/42', TOKEN)).status).toBe(502);
      expect((await get('/v2/flows/42', SECOND_TOKEN)).status).toBe(502);
      running.simulator.removeFault(id);
      expect((await get('/v2/flows/42', SECOND_TOKEN)).status).toBe(200);
    });
  });

  describe('counters', () => {
    it('counts and logs requests per account, by label and never by token', async () => {
      await get('/v2/flows', TOKEN);
      await get('/v2/flows/42/run', TOKEN);
      await get('/v2/flows', SECOND_TOKEN);
      await get('/v2/flows/42/run', SECOND_TOKEN);
      await get('/v2/flows/42/run?limit=1', SECOND_TOKEN);
      await get('/v2/flows', 'nobody');
      expect(running.simulator.requestCount()).toBe(6);
      expect(running.simulator.requestCount({ account: 'account-1' })).toBe(2);
      expect(running.simulator.requestCount({ account: 'eu' })).toBe(3);
      expect(second.requestCount({ path: '/v2/flows/42/run' })).toBe(2);
      expect(running.simulator.account(TOKEN).requestCount({ flowId: 42 })).toBe(1);
      expect(running.simulator.requestLog().map((request) => request.account)).toEqual(['account-1', 'account-1', 'eu', 'eu', 'eu', undefined]);
      expect(second.requestLog().map((request) => request.url)).toEqual(['/v2/flows', '/v2/flows/42/run', '/v2/flows/42/run?limit=1']);
      const printed = JSON.stringify(running.simulator.requestLog());
      expect(printed).not.toContain(TOKEN);
      expect(printed).not.toContain(SECOND_TOKEN);
    });
  });

  it('lists 5,000 flows of one account in one request', async () => {
    for (let id = 1; id <= 5_000; id += 1) second.addFlow({ id: 100_000 + id, displayName: `Flow ${id}`, frequency: '1h' });
    running.simulator.resetCounters();
    const flows = await listing(SECOND_TOKEN);
    expect(flows).toHaveLength(5_001);
    expect(new Set(flows.map((flow) => flow.id)).size).toBe(5_001);
    expect(flows.at(-1)).toMatchObject({ id: 105_000, displayName: 'Flow 5000', frequency: '1h' });
    expect(running.simulator.requestCount()).toBe(1);
    expect(second.requestCount({ path: '/v2/flows' })).toBe(1);
  });
});
