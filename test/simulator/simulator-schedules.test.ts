import { describe, expect, it } from 'vitest';
import { normaliseFlow, normaliseFlowList } from '../../src/portable/normalise-flow.ts';
import { normaliseRunAttemptPage } from '../../src/portable/normalise-run-attempt.ts';
import { planRun, toRunAttempt, type RunPlan } from '../../src/simulator/plan-run.ts';
import type { Dialect } from '../../src/simulator/portable-simulator.ts';
import { MINUTE, NOW, useRunningSimulator } from './running-simulator.ts';

/** What issue 11 reads from the simulator: schedules on flows, resources with counts and their own errors. */
describe('Portable simulator: schedules and resources', () => {
  const running = useRunningSimulator();
  const get = (path: string) => running.get(path);
  const SOURCE = { source: 'Simulated source', destination: 'Simulated destination' };

  describe('flows carry their schedule, and only when they have one', () => {
    it.each([
      ['a frequency', { frequency: '1h' }],
      ['manual', { frequency: 'manual' }],
      ['a cron', { cron: '0 6 * * *' }],
      ['a cron beside a frequency (the cron wins in Portable; both are served)', { frequency: '24h', cron: '*/15 * * * *' }],
      ['no schedule at all, as in older answers', {}],
    ])('%s', async (_name, schedule) => {
      running.simulator.addFlow({ id: 41, displayName: 'Orders', ...schedule });
      const listed = (await get('/v2/flows')).json();
      const one = (await get('/v2/flows/41')).json();
      expect(listed).toEqual({ data: [{ id: 41, displayName: 'Orders', ...SOURCE, ...schedule }] });
      expect(one).toEqual({ data: { id: 41, displayName: 'Orders', ...SOURCE, ...schedule } });
    });

    it('serves every flow of the account with its own schedule, as the client reads them', async () => {
      running.simulator.addFlow({ id: 1, frequency: '15m' });
      running.simulator.addFlow({ id: 2, cron: '* * * * *' });
      running.simulator.addFlow({ id: 3 });
      expect(normaliseFlowList((await get('/v2/flows')).json(), '/v2/flows')).toEqual([
        { id: 1, displayName: 'Flow 1', frequency: '15m' },
        { id: 2, displayName: 'Flow 2', cron: '* * * * *' },
        { id: 3, displayName: 'Flow 3' },
      ]);
      expect(normaliseFlow((await get('/v2/flows/2')).json(), 2, '/v2/flows/2')).toEqual({ id: 2, displayName: 'Flow 2', cron: '* * * * *' });
    });

    it('changes a schedule when the flow is redefined, keeping its attempts', async () => {
      running.simulator.addFlow({ id: 7, frequency: '1h' });
      running.simulator.addAttempt(7, { state: 'succeeded', createdAt: NOW - MINUTE });
      running.simulator.addFlow({ id: 7, cron: '0 * * * *' });
      expect((await get('/v2/flows/7')).json()).toMatchObject({ data: { cron: '0 * * * *' } });
      expect(((await get('/v2/flows/7')).json() as { data: Record<string, unknown> }).data).not.toHaveProperty('frequency');
      expect(await running.runIds('/v2/flows/7/run')).toHaveLength(1);
    });
  });

  describe('resources with counts and their own errors', () => {
    const partial = {
      state: 'succeeded' as const,
      createdAt: NOW - 10 * MINUTE,
      completedAt: NOW - 5 * MINUTE,
      resources: [
        { name: 'orders', extracted: 2_400, analyzed: 2_400, loaded: 2_208, errors: ['192 rows rejected: bad NUMERIC'] },
        { name: 'refunds', extracted: 160, analyzed: 160, loaded: 160 },
      ],
    };

    it('example dialect: resources[] with extracted, analyzed, loaded, and errors only on the resource that has some', async () => {
      running.simulator.addFlow({ id: 5, dialect: 'example' });
      running.simulator.addAttempt(5, { id: 20, ...partial });
      const [attempt] = ((await get('/v2/flows/5/run')).json() as { data: Record<string, unknown>[] }).data;
      expect(attempt).toMatchObject({ disposition: 'succeeded', lifecycle: 'not_running' });
      expect(attempt).not.toHaveProperty('errors');
      expect(attempt?.resources).toEqual([
        { name: 'orders', extracted: 2_400, analyzed: 2_400, loaded: 2_208, errors: ['192 rows rejected: bad NUMERIC'] },
        { name: 'refunds', extracted: 160, analyzed: 160, loaded: 160 },
      ]);
    });

    it('schema dialect: a details map keyed by resource, each with its counts and its own errors', async () => {
      running.simulator.addFlow({ id: 6, dialect: 'schema' });
      running.simulator.addAttempt(6, { id: 21, ...partial });
      const [attempt] = ((await get('/v2/flows/6/run')).json() as { data: Record<string, unknown>[] }).data;
      expect(attempt).toMatchObject({ status: 'SUCCEEDED' });
      expect(attempt?.details).toEqual({
        orders: { extracted: 2_400, analyzed: 2_400, loaded: 2_208, errors: ['192 rows rejected: bad NUMERIC'] },
        refunds: { extracted: 160, analyzed: 160, loaded: 160 },
      });
    });

    it('serves an empty errors list on a resource as it was given', async () => {
      running.simulator.addFlow({ id: 8, dialect: 'schema' });
      running.simulator.addAttempt(8, { id: 22, state: 'succeeded', resources: [{ name: 'a', extracted: 1, analyzed: 1, loaded: 1, errors: [] }] });
      const [attempt] = ((await get('/v2/flows/8/run')).json() as { data: Record<string, unknown>[] }).data;
      expect(attempt?.details).toEqual({ a: { extracted: 1, analyzed: 1, loaded: 1, errors: [] } });
    });

    it('status: each resource of the latest attempt with its own errors, [] when it has none', async () => {
      running.simulator.addFlow({ id: 9, dialect: 'schema' });
      running.simulator.addAttempt(9, partial);
      expect((await get('/v2/flows/9/status')).json()).toMatchObject({
        disposition: 'SUCCEEDED',
        resources: [
          { name: 'orders', loaded: 2_208, errors: ['192 rows rejected: bad NUMERIC'] },
          { name: 'refunds', loaded: 160, errors: [] },
        ],
      });
    });
  });

  describe('scripted runs read back through the client', () => {
    const plan: RunPlan = {
      schedule: { everyMs: 10 * MINUTE, anchor: NOW - 60 * MINUTE },
      start: NOW - 60 * MINUTE,
      durationMs: 2 * MINUTE,
      resources: [
        { name: 'orders', rows: 2_400 },
        { name: 'refunds', rows: 160 },
      ],
      faults: [
        { kind: 'partial', error: '7 rows rejected', runs: [1] },
        { kind: 'volume-drop', resource: 'refunds', runs: [2] },
        { kind: 'fail', error: 'Source unreachable', runs: [3] },
      ],
    };

    it.each<Dialect>(['example', 'schema'])('%s dialect: the client reads exactly the runs that were planned', async (dialect) => {
      running.simulator.addFlow({ id: 30, dialect });
      const planned = [0, 1, 2, 3].map((index) => planRun(plan, { index, at: NOW - 60 * MINUTE + index * 10 * MINUTE })!);
      const ids = planned.map((run) => running.simulator.addAttempt(30, { state: run.state, createdAt: run.createdAt, completedAt: run.completedAt, resources: run.resources, ...(run.errors ? { errors: run.errors } : {}) }).id);
      const page = normaliseRunAttemptPage((await get('/v2/flows/30/run?sort=asc')).json(), 30, '/v2/flows/30/run', NOW);
      expect(page.anomalies).toEqual([]);
      expect(page.attempts).toEqual(planned.map((run, index) => toRunAttempt(run, 30, ids[index])));
      // What the partial and volume rules will look at, spelled out.
      expect(page.attempts[1]?.resources[0]).toMatchObject({ name: 'orders', errors: ['7 rows rejected'] });
      expect(page.attempts[1]!.resources[0]!.loaded!).toBeLessThan(page.attempts[1]!.resources[0]!.extracted!);
      expect(page.attempts[2]?.resources[1]).toEqual({ name: 'refunds', extracted: 0, analyzed: 0, loaded: 0 });
      expect(page.attempts[3]).toMatchObject({ state: 'failed', resources: [], errors: ['Source unreachable'] });
    });
  });
});
