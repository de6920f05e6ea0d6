import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableClient, type PortableClientOptions, type RequestInfo } from '../../src/portable/portable-client.ts';
import { closedPort, expectNoToken, failure, TEST_NOW, TEST_TOKEN, useSimulatedPortable } from './simulated-portable.ts';

const FLOW = 689422;
const RUN_PATH = `/v2/flows/${FLOW}/run`;

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A bare HTTP server that records what it is sent and answers 200 `{"data":{"id":7}}` to everything. */
function useRecordingServer(): { received: Received[]; url: () => string } {
  const received: Received[] = [];
  let server: Server | undefined;
  let url = '';
  beforeEach(async () => {
    received.length = 0;
    const created = createServer((request, response) => {
      received.push({ url: request.url ?? '', headers: request.headers });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"data":{"id":7}}');
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    const closing = server;
    if (closing === undefined) return;
    await new Promise((resolve) => {
      closing.close(resolve);
      closing.closeAllConnections();
    });
  });
  return { received, url: () => url };
}

function clientFor(apiUrl: string, overrides: Partial<PortableClientOptions> = {}) {
  return createPortableClient({ token: TEST_TOKEN, apiUrl, retry: { limit: 0 }, now: () => TEST_NOW, ...overrides });
}

describe('what the Portable client sends', () => {
  const server = useRecordingServer();

  it('sends the token as a bearer header, asks for JSON and names itself', async () => {
    await clientFor(server.url()).getFlow(7);
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.headers).toMatchObject({
      authorization: `Bearer ${TEST_TOKEN}`,
      accept: 'application/json',
      'user-agent': 'portable-watch',
    });
  });

  it.each([
    ['a trailing slash', '/', '/v2/flows/7'],
    ['several trailing slashes', '///', '/v2/flows/7'],
    ['a base path', '/portable/api', '/portable/api/v2/flows/7'],
    ['a base path with trailing slashes', '/portable/api//', '/portable/api/v2/flows/7'],
  ])('joins an apiUrl with %s to the API path with one slash', async (_name, suffix, expected) => {
    await expect(clientFor(`${server.url()}${suffix}`).getFlow(7)).resolves.toEqual({ id: 7 });
    expect(server.received.map((request) => request.url)).toEqual([expected]);
  });
});

describe('how the Portable client reads answers', () => {
  const portable = useSimulatedPortable();

  function flow(): void {
    portable.simulator.addFlow({ id: FLOW });
  }

  it('shows the base path of apiUrl in the paths of its errors, never the host', async () => {
    const error = await failure(portable.client({ apiUrl: `${portable.url}/portable/api/` }).getFlow(FLOW));
    // The simulator only serves /v2/..., so the base path is a 404: what matters is the path the error names.
    expect(error).toMatchObject({ kind: 'not-found', path: `/portable/api/v2/flows/${FLOW}` });
    expect(error.message).toMatch(new RegExp(`^flow ${FLOW} not found \\(404\\) for GET /portable/api/v2/flows/${FLOW}:`));
    expect(error.message).not.toContain('127.0.0.1');
  });

  it('refuses a 3xx answer as an unexpected status, even with a readable body', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'respond', status: 300, body: `{"data":{"id":${FLOW}}}` });
    const error = await failure(portable.client().getFlow(FLOW));
    expect(error).toMatchObject({ kind: 'malformed', status: 300, retryable: false });
    expect(error.message).toBe(`Portable answered an unexpected status 300 for GET /v2/flows/${FLOW}`);
    expect(portable.simulator.requestCount()).toBe(1);
  });

  it.each([
    ['an empty body', ''],
    ['a body of blanks', ' \n\t '],
  ])('says a 200 with %s was empty', async (_name, body) => {
    flow();
    portable.simulator.injectFault({ kind: 'respond', body });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error.message).toBe(`Portable's answer to GET ${RUN_PATH} was not understood: expected a JSON body; got an empty body`);
  });

  it.each([
    ['quotes a short body on one line, blanks squeezed', '\n  <html>\n\n  <body>Bad   gateway</body>\n</html>\n', '"<html> <body>Bad gateway</body> </html>"'],
    ['quotes a body of exactly 80 characters whole', 'x'.repeat(80), `"${'x'.repeat(80)}"`],
    ['cuts a longer body at 80 characters', 'y'.repeat(81), `"${'y'.repeat(80)}…"`],
  ])('a body that is not JSON: %s', async (_name, body, quoted) => {
    flow();
    portable.simulator.injectFault({ kind: 'respond', body, contentType: 'text/html' });
    const error = await failure(portable.client().listRunAttempts(FLOW));
    expect(error.message).toBe(`Portable's answer to GET ${RUN_PATH} was not understood: expected a JSON body; got ${quoted}`);
  });

  it('sleeps through a Retry-After exactly as long as the bound', async () => {
    flow();
    // The harness client waits at most 10 s.
    portable.simulator.injectFault({ kind: 'rate-limit', retryAfter: 10 }, { times: 1 });
    const result = await portable.client().listRunAttempts(FLOW);
    expect(result.requests).toBe(2);
    expect(portable.sleeps).toEqual([10_000]);
  });

  it('reports how long each request took, in milliseconds', async () => {
    flow();
    portable.simulator.injectFault({ kind: 'delay', ms: 100 });
    const seen: RequestInfo[] = [];
    const started = performance.now();
    await portable.client({ onRequest: (info) => seen.push(info) }).getFlow(FLOW);
    const elapsed = performance.now() - started;
    expect(seen).toHaveLength(1);
    expect(seen[0]?.durationMs).toBeGreaterThanOrEqual(95);
    expect(seen[0]?.durationMs).toBeLessThanOrEqual(Math.ceil(elapsed));
  });
});

describe('a call that is aborted', () => {
  const portable = useSimulatedPortable();

  it('sends nothing and reports no request when its signal had already aborted', async () => {
    portable.simulator.addFlow({ id: FLOW });
    const seen: RequestInfo[] = [];
    const error = await failure(portable.client({ onRequest: (info) => seen.push(info) }).getFlow(FLOW, { signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ kind: 'aborted', code: 'ABORT_ERR', retryable: false, path: `/v2/flows/${FLOW}` });
    expect(error.message).toBe(`GET /v2/flows/${FLOW} was aborted (shutting down)`);
    expect(seen).toEqual([]);
    expect(portable.simulator.requestCount()).toBe(0);
  });

  it('stops waiting for an answer at once, and neither sleeps nor retries', async () => {
    portable.simulator.addFlow({ id: FLOW });
    portable.simulator.injectFault({ kind: 'delay', ms: 5000 });
    const seen: RequestInfo[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    // The request timeout (3 s) is far longer than the abort: only the signal can end the wait early.
    const client = portable.client({ timeoutMs: 3000, onRequest: (info) => seen.push(info) });
    const error = await failure(client.getFlow(FLOW, { signal: controller.signal }));
    expect(performance.now() - started).toBeLessThan(1500);
    expect(error.kind).toBe('aborted');
    expect(portable.sleeps).toEqual([]);
    expect(seen.map(({ attempt, errorKind }) => ({ attempt, errorKind }))).toEqual([{ attempt: 1, errorKind: 'aborted' }]);
  });
});

describe('a request that gets no answer', () => {
  it('names the failure by its code and the reason, and reports the request without a status', async () => {
    const port = await closedPort();
    const seen: RequestInfo[] = [];
    const error = await failure(clientFor(`http://127.0.0.1:${port}`, { onRequest: (info) => seen.push(info) }).listRunAttempts(FLOW));
    expect(error).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED', retryable: true });
    expect(error.message).toBe(
      `Could not reach Portable for GET ${RUN_PATH} after 1 attempt(s): ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(seen).toStrictEqual([
      { path: `${RUN_PATH}?limit=100&offset=0&sort=desc`, durationMs: expect.any(Number) as number, attempt: 1, receivedAt: TEST_NOW, errorKind: 'transient' },
    ]);
  });

  it('is transient, not aborted, when the caller passed a signal that did not fire', async () => {
    const port = await closedPort();
    const error = await failure(clientFor(`http://127.0.0.1:${port}`).getFlow(FLOW, { signal: new AbortController().signal }));
    expect(error).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED' });
  });

  it('keeps its message readable when the client has no token', async () => {
    const port = await closedPort();
    const error = await failure(clientFor(`http://127.0.0.1:${port}`, { token: '' }).getFlow(FLOW));
    expect(error.message).toBe(
      `Could not reach Portable for GET /v2/flows/${FLOW} after 1 attempt(s): ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('cuts a long reason to 200 characters', async () => {
    // A host name of 190 characters makes the resolver's message longer than 200.
    const host = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.invalid`;
    const error = await failure(clientFor(`http://${host}`, { timeoutMs: 5000 }).getFlow(FLOW));
    expect(error.kind).toBe('transient');
    const reason = /after 1 attempt\(s\): (.*)$/.exec(error.message)?.[1];
    expect(reason?.length).toBeLessThanOrEqual(200);
    expect(reason).toMatch(/^E[A-Z_]+: /);
    expectNoToken(error);
  });
});
