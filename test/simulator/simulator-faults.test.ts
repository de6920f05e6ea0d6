import { beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { NOW, TOKEN, useRunningSimulator } from './running-simulator.ts';

describe('Portable simulator faults and counters', () => {
  const running = useRunningSimulator();
  const get = (path: string, token?: string | null) => running.get(path, token);

  describe('faults', () => {
    beforeEach(() => {
      running.simulator.addFlow({ id: 1 });
      running.simulator.addFlow({ id: 2 });
    });

    it('fires a fault only for its flow and only as many times as asked', async () => {
      running.simulator.injectFault({ kind: 'status', status: 503 }, { flowId: 1, times: 2 });
      expect((await get('/v2/flows/2/run')).status).toBe(200);
      expect((await get('/v2/flows/1/run')).status).toBe(503);
      expect((await get('/v2/flows/1/status')).status).toBe(503);
      expect((await get('/v2/flows/1/run')).status).toBe(200);
    });

    it('scopes a fault to an endpoint', async () => {
      running.simulator.injectFault({ kind: 'forbidden' }, { endpoint: 'status' });
      expect((await get('/v2/flows/1/run')).status).toBe(200);
      const answer = await get('/v2/flows/2/status');
      expect(answer.status).toBe(403);
      expect(answer.json()).toEqual({ message: 'Your current plan does not support this feature' });
    });

    it('sends 429 with Retry-After in seconds or as an HTTP-date', async () => {
      running.simulator.injectFault({ kind: 'rate-limit', retryAfter: 30 }, { times: 1 });
      running.simulator.injectFault({ kind: 'rate-limit', retryAfter: new Date(NOW + 60_000) }, { times: 1 });
      const first = await get('/v2/flows/1/run');
      const second = await get('/v2/flows/1/run');
      expect([first.status, first.headers.get('retry-after')]).toEqual([429, '30']);
      expect([second.status, second.headers.get('retry-after')]).toEqual([429, 'Mon, 12 Jun 2023 21:31:00 GMT']);
    });

    it('serves malformed bodies and raw answers', async () => {
      running.simulator.injectFault({ kind: 'malformed' }, { times: 1 });
      running.simulator.injectFault({ kind: 'respond', status: 200, body: '[]' }, { times: 1 });
      const broken = await get('/v2/flows/1/run');
      expect(broken.status).toBe(200);
      expect(() => broken.json()).toThrow(SyntaxError);
      expect((await get('/v2/flows/1/run')).text).toBe('[]');
    });

    it('delays answers, then answers normally', async () => {
      running.simulator.injectFault({ kind: 'delay', ms: 150 }, { times: 1 });
      const started = performance.now();
      expect((await get('/v2/flows/1')).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('clears and removes faults', async () => {
      const id = running.simulator.injectFault({ kind: 'status', status: 500 });
      expect((await get('/v2/flows/1')).status).toBe(500);
      expect(running.simulator.removeFault(id)).toBe(true);
      expect((await get('/v2/flows/1')).status).toBe(200);
      running.simulator.injectFault({ kind: 'status', status: 500 });
      running.simulator.clearFaults();
      expect((await get('/v2/flows/1')).status).toBe(200);
    });

    it('closes promptly with a delayed answer pending', async () => {
      running.simulator.injectFault({ kind: 'delay', ms: 10_000 });
      const pending = fetch(`${running.url}/v2/flows/1`, { headers: { authorization: `Bearer ${TOKEN}` } }).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      await running.simulator.close();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(Error);
    });
  });

  describe('counters', () => {
    it('counts requests in total, per flow and per path, including refused ones', async () => {
      running.simulator.addFlow({ id: 1 });
      await get('/v2/flows/1/run');
      await get('/v2/flows/1/status');
      await get('/v2/flows/1/run', 'wrong');
      await get('/v2/flows');
      expect(running.simulator.requestCount()).toBe(4);
      expect(running.simulator.requestCount({ flowId: 1 })).toBe(3);
      expect(running.simulator.requestCount({ path: '/v2/flows/1/run' })).toBe(2);
      expect(running.simulator.requestLog().map((request) => request.status)).toEqual([200, 200, 401, 200]);
      running.simulator.resetCounters();
      expect(running.simulator.requestCount()).toBe(0);
      expect(running.simulator.requestLog()).toEqual([]);
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
