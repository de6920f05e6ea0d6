import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';

const TOKEN = 'simulator-test-token';
const NOW = Date.UTC(2023, 5, 12, 21, 30);
const MINUTE = 60_000;

describe('Portable simulator', () => {
  let simulator: PortableSimulator;
  let url: string;
  let clock: number;

  beforeEach(async () => {
    clock = NOW;
    simulator = createPortableSimulator({ token: TOKEN, now: () => clock });
    url = await simulator.listen();
  });

  afterEach(async () => {
    await simulator.close();
  });

  /** `token: null` sends no Authorization header. */
  async function get(path: string, token: string | null = TOKEN) {
    const response = await fetch(`${url}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: (): unknown => JSON.parse(text) };
  }

  async function runIds(path: string): Promise<number[]> {
    const { data } = (await get(path)).json() as { data: { id: number }[] };
    return data.map((attempt) => attempt.id);
  }

  describe('auth and addressing', () => {
    it.each([
      ['no token', null],
      ['a wrong token', 'nope'],
    ])('answers 401 Unauthorized to %s', async (_name, token) => {
      simulator.addFlow({ id: 1 });
      const answer = await get('/v2/flows/1/run', token);
      expect(answer.status).toBe(401);
      expect(answer.json()).toEqual({ message: 'Unauthorized' });
    });

    it('accepts a new token after setToken, and only that one', async () => {
      simulator.addFlow({ id: 1 });
      simulator.setToken('rotated');
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
      simulator.addFlow({ id: 3 });
      expect((await get('/v2/flows/3')).status).toBe(200);
      simulator.removeFlow(3);
      expect((await get('/v2/flows/3')).status).toBe(404);
    });
  });

  describe('dialects', () => {
    it('example dialect: lowercase, lifecycle + disposition, resources[], flow, U+2010 timestamps', async () => {
      simulator.addFlow({ id: 5, dialect: 'example' });
      simulator.addAttempt(5, {
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
      simulator.addFlow({ id: 6, dialect: 'schema' });
      simulator.addAttempt(6, { id: 10, state: 'succeeded', trigger: 'api', createdAt: NOW - 2 * MINUTE, resources: [{ name: 'events', extracted: 5, analyzed: 5, loaded: 5 }] });
      simulator.addAttempt(6, { id: 11, state: 'running', createdAt: NOW - MINUTE });
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
      simulator.addFlow({ id: 7, dialect: 'schema' });
      simulator.addAttempt(7, { state: 'succeeded', createdAt: NOW - 10 * MINUTE });
      simulator.addAttempt(7, { state: 'running', createdAt: NOW - MINUTE });
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
      simulator.addFlow({ id: 8, displayName: 'Eventbrite', frequency: '15m' });
      expect((await get('/v2/flows')).json()).toEqual({
        data: [{ id: 8, displayName: 'Eventbrite', source: 'Simulated source', destination: 'Simulated destination', frequency: '15m' }],
      });
      expect((await get('/v2/flows/8')).json()).toMatchObject({ data: { id: 8, displayName: 'Eventbrite' } });
    });
  });

  describe('run attempt queries', () => {
    beforeEach(() => {
      simulator.addFlow({ id: 1 });
      // Ids 1..5, created 5..1 minutes ago, added out of order to prove the store sorts them.
      for (const minutesAgo of [3, 5, 1, 4, 2]) simulator.addAttempt(1, { id: 6 - minutesAgo, createdAt: NOW - minutesAgo * MINUTE });
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
      simulator.setQuirks({ ignoreStartTime: true });
      expect(await runIds(`/v2/flows/1/run?startTime=${start}`)).toHaveLength(5);
      simulator.setQuirks({ ignoreStartTime: false, ignorePaging: true });
      expect(await runIds('/v2/flows/1/run?limit=2&offset=2')).toEqual([5, 4, 3, 2, 1]);
    });

    it('moves an attempt from running to failed, stamping completedAt from its clock', async () => {
      clock = NOW + 7 * MINUTE;
      simulator.updateAttempt(1, 5, { state: 'failed', errors: ['boom'] });
      const [latest] = ((await get('/v2/flows/1/run?limit=1')).json() as { data: Record<string, unknown>[] }).data;
      expect(latest).toMatchObject({ id: 5, disposition: 'failed', errors: ['boom'], completedAt: '2023\u201006\u201012T21:37:00Z' });
    });

    it('re-sorts an attempt whose createdAt changes', async () => {
      simulator.updateAttempt(1, 1, { createdAt: NOW });
      expect(await runIds('/v2/flows/1/run')).toEqual([1, 5, 4, 3, 2]);
    });
  });

  describe('faults', () => {
    beforeEach(() => {
      simulator.addFlow({ id: 1 });
      simulator.addFlow({ id: 2 });
    });

    it('fires a fault only for its flow and only as many times as asked', async () => {
      simulator.injectFault({ kind: 'status', status: 503 }, { flowId: 1, times: 2 });
      expect((await get('/v2/flows/2/run')).status).toBe(200);
      expect((await get('/v2/flows/1/run')).status).toBe(503);
      expect((await get('/v2/flows/1/status')).status).toBe(503);
      expect((await get('/v2/flows/1/run')).status).toBe(200);
    });

    it('scopes a fault to an endpoint', async () => {
      simulator.injectFault({ kind: 'forbidden' }, { endpoint: 'status' });
      expect((await get('/v2/flows/1/run')).status).toBe(200);
      const answer = await get('/v2/flows/2/status');
      expect(answer.status).toBe(403);
      expect(answer.json()).toEqual({ message: 'Your current plan does not support this feature' });
    });

    it('sends 429 with Retry-After in seconds or as an HTTP-date', async () => {
      simulator.injectFault({ kind: 'rate-limit', retryAfter: 30 }, { times: 1 });
      simulator.injectFault({ kind: 'rate-limit', retryAfter: new Date(NOW + 60_000) }, { times: 1 });
      const first = await get('/v2/flows/1/run');
      const second = await get('/v2/flows/1/run');
      expect([first.status, first.headers.get('retry-after')]).toEqual([429, '30']);
      expect([second.status, second.headers.get('retry-after')]).toEqual([429, 'Mon, 12 Jun 2023 21:31:00 GMT']);
    });

    it('serves malformed bodies and raw answers', async () => {
      simulator.injectFault({ kind: 'malformed' }, { times: 1 });
      simulator.injectFault({ kind: 'respond', status: 200, body: '[]' }, { times: 1 });
      const broken = await get('/v2/flows/1/run');
      expect(broken.status).toBe(200);
      expect(() => broken.json()).toThrow(SyntaxError);
      expect((await get('/v2/flows/1/run')).text).toBe('[]');
    });

    it('delays answers, then answers normally', async () => {
      simulator.injectFault({ kind: 'delay', ms: 150 }, { times: 1 });
      const started = performance.now();
      expect((await get('/v2/flows/1')).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('clears and removes faults', async () => {
      const id = simulator.injectFault({ kind: 'status', status: 500 });
      expect((await get('/v2/flows/1')).status).toBe(500);
      expect(simulator.removeFault(id)).toBe(true);
      expect((await get('/v2/flows/1')).status).toBe(200);
      simulator.injectFault({ kind: 'status', status: 500 });
      simulator.clearFaults();
      expect((await get('/v2/flows/1')).status).toBe(200);
    });

    it('closes promptly with a delayed answer pending', async () => {
      simulator.injectFault({ kind: 'delay', ms: 10_000 });
      const pending = fetch(`${url}/v2/flows/1`, { headers: { authorization: `Bearer ${TOKEN}` } }).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      await simulator.close();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(Error);
    });
  });

  describe('counters', () => {
    it('counts requests in total, per flow and per path, including refused ones', async () => {
      simulator.addFlow({ id: 1 });
      await get('/v2/flows/1/run');
      await get('/v2/flows/1/status');
      await get('/v2/flows/1/run', 'wrong');
      await get('/v2/flows');
      expect(simulator.requestCount()).toBe(4);
      expect(simulator.requestCount({ flowId: 1 })).toBe(3);
      expect(simulator.requestCount({ path: '/v2/flows/1/run' })).toBe(2);
      expect(simulator.requestLog().map((request) => request.status)).toEqual([200, 200, 401, 200]);
      simulator.resetCounters();
      expect(simulator.requestCount()).toBe(0);
      expect(simulator.requestLog()).toEqual([]);
    });

    it('keeps only the most recent requests in the log', async () => {
      const small = createPortableSimulator({ token: TOKEN, logSize: 2 });
      const smallUrl = await small.listen();
      for (const path of ['/a', '/b', '/c']) await fetch(`${smallUrl}${path}`);
      expect(small.requestLog().map((request) => request.url)).toEqual(['/b', '/c']);
      expect(small.requestCount()).toBe(3);
      await small.close();
    });
  });
});
