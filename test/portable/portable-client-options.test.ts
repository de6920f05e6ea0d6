import { describe, expect, it } from 'vitest';
import { createPortableClient, withRequestListener, type PortableClient, type RequestInfo } from '../../src/portable/portable-client.ts';
import { failure, TEST_TOKEN, useSimulatedPortable } from './simulated-portable.ts';

describe('creating a Portable client', () => {
  it('refuses an API URL it cannot parse, at start-up, quoting it', () => {
    expect(() => createPortableClient({ token: TEST_TOKEN, apiUrl: 'api.portable.io' })).toThrow(
      new TypeError('Portable API URL "api.portable.io" is not a valid URL'),
    );
  });
});

describe('flow ids', () => {
  const portable = useSimulatedPortable();

  it.each<[string, (client: PortableClient) => Promise<unknown>, string, string]>([
    ['listRunAttempts', (client) => client.listRunAttempts(1.5), '/v2/flows/1.5/run', 'flow id 1.5 is not a whole number: check flows[].id in the config'],
    ['getFlow', (client) => client.getFlow(-1), '/v2/flows/-1', 'flow id -1 is not a whole number: check flows[].id in the config'],
    ['getFlowStatus', (client) => client.getFlowStatus(2.5), '/v2/flows/2.5/status', 'flow id 2.5 is not a whole number: check flows[].id in the config'],
  ])('%s refuses an id that is not a whole number, naming the path it would have asked for', async (_name, call, path, message) => {
    const error = await failure(call(portable.client()));
    expect(error).toMatchObject({ kind: 'bad-request', retryable: false, path, message });
    expect(portable.simulator.requestCount()).toBe(0);
  });

  it('asks Portable about flow 0, which is a whole number', async () => {
    portable.simulator.addFlow({ id: 0, displayName: 'Zero' });
    await expect(portable.client().getFlow(0)).resolves.toEqual({ id: 0, displayName: 'Zero' });
  });
});

describe('withRequestListener', () => {
  const portable = useSimulatedPortable();

  it('tells the listener about every request, then the onRequest the options already had', async () => {
    portable.simulator.addFlow({ id: 5 });
    const calls: string[] = [];
    const options = withRequestListener(
      { token: TEST_TOKEN, apiUrl: portable.url, onRequest: (info: RequestInfo) => calls.push(`previous ${info.path}`) },
      (info) => calls.push(`listener ${info.path}`),
    );
    await createPortableClient(options).getFlow(5);
    expect(calls).toEqual(['listener /v2/flows/5', 'previous /v2/flows/5']);
    expect(options).toMatchObject({ token: TEST_TOKEN, apiUrl: portable.url });
  });

  it('works on options that are not there yet', async () => {
    portable.simulator.addFlow({ id: 5 });
    const seen: string[] = [];
    const options = withRequestListener(undefined, (info) => seen.push(info.path));
    await createPortableClient({ token: TEST_TOKEN, apiUrl: portable.url, ...options }).getFlow(5);
    expect(seen).toEqual(['/v2/flows/5']);
  });
});
