import { describe, expect, it } from 'vitest';
import type { PortableApiError } from '../../src/portable/portable-error.ts';
import { expectNoToken, failure, TEST_TOKEN, useSimulatedPortable } from './simulated-portable.ts';

const FLOW = 689422;
const RUN_PATH = `/v2/flows/${FLOW}/run`;

describe('Portable client errors: one kind per cause, with a message a person can act on', () => {
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

  it('keeps the token out of every kind of error', async () => {
    const errors: PortableApiError[] = [];
    const client = portable.client({ retry: { limit: 0 } });
    // Only the slow answer may time out: a short timeout for every request would flake on a busy machine.
    const impatient = portable.client({ timeoutMs: 50, retry: { limit: 0 } });
    errors.push(await failure(client.getFlow(1)));
    flow();
    for (const fault of [{ kind: 'forbidden' }, { kind: 'status', status: 500 }, { kind: 'delay', ms: 1000 }, { kind: 'malformed' }] as const) {
      portable.simulator.injectFault(fault, { times: 1 });
      errors.push(await failure((fault.kind === 'delay' ? impatient : client).getFlow(FLOW)));
    }
    portable.simulator.setToken('rotated');
    errors.push(await failure(client.getFlow(FLOW)));
    expect(errors.map((error) => error.kind)).toEqual(['not-found', 'forbidden', 'transient', 'transient', 'malformed', 'unauthorized']);
    errors.forEach(expectNoToken);
  });
});
