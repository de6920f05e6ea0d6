import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createPortableClient } from '../../src/portable/portable-client.ts';
import { PortableApiError } from '../../src/portable/portable-error.ts';
import { TEST_NOW, TEST_TOKEN, useSimulatedPortable } from './simulated-portable.ts';

const FLOW = 689422;
const RUN_PATH = `/v2/flows/${FLOW}/run`;

async function failure(promise: Promise<unknown>): Promise<PortableApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PortableApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** A port nothing listens on: bind one, then free it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function expectNoToken(error: PortableApiError): void {
  const renderings = [
    error.message,
    String(error.stack),
    JSON.stringify(error),
    inspect(error, { depth: Infinity, showHidden: true }),
    JSON.stringify(Object.getOwnPropertyDescriptors(error)),
  ];
  for (const rendering of renderings) expect(rendering).not.toContain(TEST_TOKEN);
  expect(error).not.toHaveProperty('cause');
}

describe('Portable client failures', () => {
  const portable = useSimulatedPortable();

  function flow(): void {
    portable.simulator.addFlow({ id: FLOW });
  }

  it('401: names the token to check, and does not retry', async () => {
    flow();
    portable.simulator.setToken('a-different-token');
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401, retryable: false });
    expect(error.path).toMatch(/^\/v2\/flows\/689422\/run\?limit=100&offset=0&sort=desc$/);
    expect(error.message).toBe(
      `Portable rejected the API token (401) for GET ${RUN_PATH}: check PORTABLE_API_TOKEN — tokens are made and revoked in the Portable app`,
    );
    expect(portable.simulator.requestCount()).toBe(1);
    expectNoToken(error);
  });

  it('403: says API access needs a paid plan or permission, and does not retry', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'forbidden' });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'forbidden', status: 403, retryable: false });
    expect(error.message).toContain('paid Portable plan');
    expect(error.message).toContain('lacks permission');
    expect(portable.simulator.requestCount()).toBe(1);
  });

  it('404: names the flow and the config key, and does not retry', async () => {
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'not-found', status: 404, retryable: false });
    expect(error.message).toMatch(/^flow 689422 not found \(404\).*check flows\[\]\.id/);
    expect(portable.simulator.requestCount()).toBe(1);
  });

  it.each([400, 405, 409, 422])('%i: a bad request, never retried', async (status) => {
    flow();
    portable.simulator.injectFault({ kind: 'status', status });
    const error = await failure(portable.client().getFlow(FLOW));
    expect(error).toMatchObject({ kind: 'bad-request', status, retryable: false });
    expect(portable.simulator.requestCount()).toBe(1);
  });

  it('refuses a flow id that is not a whole number without spending a request', async () => {
    const error = await failure(portable.client().listRunAttempts(1.5));
    expect(error).toMatchObject({ kind: 'bad-request', retryable: false });
    expect(portable.simulator.requestCount()).toBe(0);
  });

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

  it('malformed: a body that is not JSON, not retried, with a short snippet', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'malformed', body: `<html>${'x'.repeat(5000)}</html>` });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'malformed', retryable: false });
    expect(error.message).toContain('expected a JSON body');
    expect(error.message.length).toBeLessThan(300);
    expect(portable.simulator.requestCount()).toBe(1);
  });

  it('malformed: JSON of a shape we cannot read says what was expected', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'respond', body: '{"data":"maintenance"}' });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'malformed', retryable: false });
    expect(error.message).toBe(`Portable's answer to GET ${RUN_PATH} was not understood: expected "data" to be a list of run attempts; got a string`);
  });

  it('never lets the token out, even when a server echoes it back in a body', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'malformed', body: `Authorization: Bearer ${TEST_TOKEN}` });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error.message).toContain('[redacted]');
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

  it('keeps the token out of every kind of error', async () => {
    const errors: PortableApiError[] = [];
    const client = portable.client({ timeoutMs: 30, retry: { limit: 0 } });
    errors.push(await failure(client.getFlow(1)));
    flow();
    for (const fault of [{ kind: 'forbidden' }, { kind: 'status', status: 500 }, { kind: 'delay', ms: 200 }, { kind: 'malformed' }] as const) {
      portable.simulator.injectFault(fault, { times: 1 });
      errors.push(await failure(client.getFlow(FLOW)));
    }
    portable.simulator.setToken('rotated');
    errors.push(await failure(client.getFlow(FLOW)));
    expect(errors.map((error) => error.kind)).toEqual(['not-found', 'forbidden', 'transient', 'transient', 'malformed', 'unauthorized']);
    errors.forEach(expectNoToken);
  });
});
