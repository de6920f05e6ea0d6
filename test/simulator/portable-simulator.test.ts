import { beforeEach, describe, expect, it } from 'vitest';
import { MINUTE, NOW, useRunningSimulator } from './running-simulator.ts';

describe('Portable simulator', () => {
  const running = useRunningSimulator();
  const get = (path: string, token?: string | null) => running.get(path, token);
  const runIds = (path: string) => running.runIds(path);

  describe('auth and addressing', () => {
    it.each([
      ['no token', null],
      ['a wrong token', 'nope'],
    ])('answers 401 Unauthorized to %s', async (_name, token) => {
      running.simulator.addFlow({ id: 1 });
      const answer = await get('/v2/flows/1/run', token);
      expect(answer.status).toBe(401);
      expect(answer.json()).toEqual({ message: 'Unauthorized' });
    });

    it('accepts a new token after setToken, and only that one', async () => {
      running.simulator.addFlow({ id: 1 });
      running.simulator.setToken('rotated');
      expect((await get('/v2/flows/1')).status).toBe(401);
      expect((await get('/v2/flows/1', 'rotated')).status).toBe(200);
    });

    it('answers 400 for a non-numeric id, 404 for an unknown flow or path', async () => {
      expect((await get('/v2/flows/abc/run')).status).toBe(400);
      expect((await get('/v2/flows/12/run')).status).toBe(404);
      expect((await get('/v2/flows/12/run')).json()).toEqual({ message: 'Not Found' });
      expect((await get('/v2/nothing')).status).toBe(404);
      expect((await get('/v2/flows/12/cancelled')).status).toBe(404);
    });

    it('forgets a removed flow', async () => {
      running.simulator.addFlow({ id: 3 });
      expect((await get('/v2/flows/3')).status).toBe(200);
      running.simulator.removeFlow(3);
      expect((await get('/v2/flows/3')).status).toBe(404);
    });
  });

  describe('dialects', () => {
    it('example dialect: lowercase, lifecycle + disposition, resources[], flow, U+2010 timestamps', async () => {
      running.simulator.addFlow({ id: 5, dialect: 'example' });
      running.simulator.addAttempt(5, {
        id: 9,
        state: 'failed',
        createdAt: Date.UTC(2023, 5, 10, 20, 3),
        completedAt: null,
        errors: ['Failed to connect to the source'],
        resources: [{ name: 'events', extracted: 1, analyzed: 1, loaded: 0 }],
      });
      expect((await get('/v2/flows/5/run')).json()).toEqual({
        data: [
          {
            id: 9,
            flow: 5,
            trigger: 'scheduled',
            lifecycle: 'not_running',
            disposition: 'failed',
            resources: [{ name: 'events', extracted: 1, analyzed: 1, loaded: 0 }],
            errors: ['Failed to connect to the source'],
            completedAt: null,
            createdAt: '2023\u201006\u201010T20:03:00Z',
          },
        ],
      });
    });

    it('schema dialect: UPPERCASE status, details{}, no flow or lifecycle, errors null or []', async () => {
      running.simulator.addFlow({ id: 6, dialect: 'schema' });
      running.simulator.addAttempt(6, { id: 10, state: 'succeeded', trigger: 'api', createdAt: NOW - 2 * MINUTE, resources: [{ name: 'events', extracted: 5, analyzed: 5, loaded: 5 }] });
      running.simulator.addAttempt(6, { id: 11, state: 'running', createdAt: NOW - MINUTE });
      expect((await get('/v2/flows/6/run')).json()).toEqual({
        data: [
          { id: 11, trigger: 'SCHEDULED', status: 'NONE', details: {}, errors: null, createdAt: '2023-06-12T21:29:00Z', completedAt: null },
          {
            id: 10,
            trigger: 'API',
            status: 'SUCCEEDED',
            details: { events: { extracted: 5, analyzed: 5, loaded: 5 } },
            errors: [],
            createdAt: '2023-06-12T21:28:00Z',
            completedAt: '2023-06-12T21:30:00Z',
          },
        ],
      });
    });

    it('status: the latest attempt, as a bare UPPERCASE object', async () => {
      running.simulator.addFlow({ id: 7, dialect: 'schema' });
      running.simulator.addAttempt(7, { state: 'succeeded', createdAt: NOW - 10 * MINUTE });
      running.simulator.addAttempt(7, { state: 'running', createdAt: NOW - MINUTE });
      expect((await get('/v2/flows/7/status')).json()).toEqual({
        id: 7,
        lifecycle: 'RUNNING',
        disposition: 'NONE',
        resources: [],
        errors: [],
        completedAt: null,
      });
    });

    it('flows: in a data envelope', async () => {
      running.simulator.addFlow({ id: 8, displayName: 'Eventbrite', frequency: '15m' });
      expect((await get('/v2/flows')).json()).toEqual({
        data: [{ id: 8, displayName: 'Eventbrite', source: 'Simulated source', destination: 'Simulated destination', frequency: '15m' }],
      });
      expect((await get('/v2/flows/8')).json()).toMatchObject({ data: { id: 8, displayName: 'Eventbrite' } });
    });
  });

  describe('run attempt queries', () => {
    beforeEach(() => {
      running.simulator.addFlow({ id: 1 });
      // Ids 1..5, created 5..1 minutes ago, added out of order to prove the store sorts them.
      for (const minutesAgo of [3, 5, 1, 4, 2]) running.simulator.addAttempt(1, { id: 6 - minutesAgo, createdAt: NOW - minutesAgo * MINUTE });
    });

    it('sorts on createdAt, newest first by default, in either case of `sort`', async () => {
      expect(await runIds('/v2/flows/1/run')).toEqual([5, 4, 3, 2, 1]);
      expect(await runIds('/v2/flows/1/run?sort=ASC')).toEqual([1, 2, 3, 4, 5]);
      expect(await runIds('/v2/flows/1/run?sort=Desc')).toEqual([5, 4, 3, 2, 1]);
      expect((await get('/v2/flows/1/run?sort=sideways')).status).toBe(400);
    });

    it('pages with limit and offset, refusing a limit above 1,000', async () => {
      expect(await runIds('/v2/flows/1/run?limit=2&offset=1')).toEqual([4, 3]);
      expect(await runIds('/v2/flows/1/run?limit=2&offset=4')).toEqual([1]);
      expect(await runIds('/v2/flows/1/run?limit=2&offset=1&sort=asc')).toEqual([2, 3]);
      expect(await runIds('/v2/flows/1/run?limit=1000')).toHaveLength(5);
      expect((await get('/v2/flows/1/run?limit=1001')).status).toBe(400);
      expect((await get('/v2/flows/1/run?limit=0')).status).toBe(400);
      expect((await get('/v2/flows/1/run?offset=-1')).status).toBe(400);
    });

    it('filters on startTime (inclusive) and endTime (exclusive)', async () => {
      const start = new Date(NOW - 4 * MINUTE).toISOString();
      const end = new Date(NOW - 2 * MINUTE).toISOString();
      expect(await runIds(`/v2/flows/1/run?startTime=${start}`)).toEqual([5, 4, 3, 2]);
      expect(await runIds(`/v2/flows/1/run?startTime=${start}&endTime=${end}`)).toEqual([3, 2]);
      expect(await runIds(`/v2/flows/1/run?startTime=${start}&limit=1&offset=1&sort=asc`)).toEqual([3]);
      expect((await get('/v2/flows/1/run?startTime=yesterday')).status).toBe(400);
    });

    it('can be told to ignore startTime, or paging altogether', async () => {
      const start = new Date(NOW - 2 * MINUTE).toISOString();
      running.simulator.setQuirks({ ignoreStartTime: true });
      expect(await runIds(`/v2/flows/1/run?startTime=${start}`)).toHaveLength(5);
      running.simulator.setQuirks({ ignoreStartTime: false, ignorePaging: true });
      expect(await runIds('/v2/flows/1/run?limit=2&offset=2')).toEqual([5, 4, 3, 2, 1]);
    });

    it('moves an attempt from running to failed, stamping completedAt from its clock', async () => {
      running.clock = NOW + 7 * MINUTE;
      running.simulator.updateAttempt(1, 5, { state: 'failed', errors: ['boom'] });
      const [latest] = ((await get('/v2/flows/1/run?limit=1')).json() as { data: Record<string, unknown>[] }).data;
      expect(latest).toMatchObject({ id: 5, disposition: 'failed', errors: ['boom'], completedAt: '2023\u201006\u201012T21:37:00Z' });
    });

    it('re-sorts an attempt whose createdAt changes', async () => {
      running.simulator.updateAttempt(1, 1, { createdAt: NOW });
      expect(await runIds('/v2/flows/1/run')).toEqual([1, 5, 4, 3, 2]);
    });
  });
});
