import { describe, expect, it } from 'vitest';
import { createPortableClient } from '../../src/portable/portable-client.ts';
import { closedPort, expectNoToken, failure, TEST_NOW, TEST_TOKEN, useSimulatedPortable } from './simulated-portable.ts';

const FLOW = 689422;
const RUN_PATH = `/v2/flows/${FLOW}/run`;

describe('Portable client retries: 429, 5xx, timeouts and network errors', () => {
  const portable = useSimulatedPortable();

  function flow(): void {
    portable.simulator.addFlow({ id: FLOW });
  }

  it.each([500, 502, 503])('%i: transient after the retries are spent, with backoff between them', async (status) => {
    flow();
    portable.simulator.injectFault({ kind: 'status', status });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'transient', status, retryable: true });
    expect(error.message).toContain('after 3 attempt(s)');
    expect(portable.simulator.requestCount()).toBe(3);
    // Full jitter with random() = 0.5: half of 10 ms, then half of 20 ms.
    expect(portable.sleeps).toEqual([5, 10]);
  });

  it('recovers when a 503 clears before the retries run out', async () => {
    flow();
    portable.simulator.addAttempt(FLOW, { state: 'failed' });
    portable.simulator.injectFault({ kind: 'status', status: 503 }, { times: 2 });
    const result = await portable.client().listRunAttempts(FLOW);
    expect(result.attempts).toHaveLength(1);
    expect(result.requests).toBe(3);
  });

  it('429: waits the Retry-After seconds Portable asks for', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'rate-limit', retryAfter: 2 }, { times: 1 });
    const result = await portable.client().listRunAttempts(FLOW);
    expect(result.requests).toBe(2);
    expect(portable.sleeps).toEqual([2000]);
  });

  it('429: waits until a Retry-After HTTP-date', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'rate-limit', retryAfter: new Date(TEST_NOW + 7000) }, { times: 1 });
    await portable.client().listRunAttempts(FLOW);
    expect(portable.sleeps).toEqual([7000]);
  });

  it('429: gives up at once, as transient, when Retry-After is longer than the bound', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'rate-limit', retryAfter: 3600 });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'transient', status: 429, retryable: true, retryAfterMs: 3_600_000 });
    expect(error.message).toContain('wait 3600s');
    expect(portable.simulator.requestCount()).toBe(1);
    expect(portable.sleeps).toEqual([]);
  });

  it('429 without Retry-After: backs off on its own schedule', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'rate-limit' });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'transient', status: 429 });
    expect(portable.sleeps).toEqual([5, 10]);
  });

  it('really sleeps through a Retry-After of 1 second by default', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'rate-limit', retryAfter: 1 }, { times: 1 });
    const client = createPortableClient({ token: TEST_TOKEN, apiUrl: portable.url });
    const started = performance.now();
    await client.listRunAttempts(FLOW);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(portable.simulator.requestCount()).toBe(2);
  });

  it('timeout: a slow answer becomes transient after retries', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'delay', ms: 500 });
    const error = await failure(portable.client({ timeoutMs: 50, retry: { limit: 1, baseDelayMs: 1 } }).listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'transient', code: 'ETIMEDOUT', retryable: true });
    expect(error.message).toContain('no answer within 50 ms');
    expect(portable.simulator.requestCount()).toBe(2);
    expectNoToken(error);
  });

  it('network error: a closed port becomes transient after retries', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}`;
    const sleeps: number[] = [];
    const client = createPortableClient({
      token: TEST_TOKEN,
      apiUrl,
      retry: { limit: 2, baseDelayMs: 1 },
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
    const error = await failure(client.listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED', retryable: true, path: `${RUN_PATH}?limit=100&offset=0&sort=desc` });
    expect(sleeps).toHaveLength(2);
    expectNoToken(error);
  });

  it('aborted while waiting for an answer: kind aborted, not retried', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'delay', ms: 2000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(portable.client().listRunAttempts(FLOW, { signal: controller.signal }));
    expect(error).toMatchObject({ kind: 'aborted', retryable: false });
    expect(portable.simulator.requestCount()).toBe(1);
  });

  it('aborted while sleeping before a retry: stops at once', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'rate-limit', retryAfter: 5 });
    const controller = new AbortController();
    const client = createPortableClient({ token: TEST_TOKEN, apiUrl: portable.url });
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const error = await failure(client.getFlowStatus(FLOW, { signal: controller.signal }));
    expect(error.kind).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('reports each try to onRequest with its error kind', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'status', status: 503 }, { times: 1 });
    const seen: { status?: number; errorKind?: string; attempt: number }[] = [];
    await portable.client({ onRequest: (info) => seen.push(info) }).getFlow(FLOW);
    expect(seen.map(({ status, errorKind, attempt }) => ({ status, errorKind, attempt }))).toEqual([
      { status: 503, errorKind: 'transient', attempt: 1 },
      { status: 200, errorKind: undefined, attempt: 2 },
    ]);
  });

  it('keeps Retry-After on the final error, so the queue can hold off that long', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'status', status: 503, retryAfter: 3 });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'transient', status: 503, retryAfterMs: 3000 });
    expect(portable.sleeps).toEqual([3000, 3000]);
  });

  it('ignores an onRequest hook that throws', async () => {
    flow();
    const client = portable.client({
      onRequest: () => {
        throw new Error('metrics are broken');
      },
    });
    await expect(client.getFlow(FLOW)).resolves.toEqual({ id: FLOW, displayName: `Flow ${FLOW}` });
  });
});
