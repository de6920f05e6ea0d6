import { describe, expect, it } from 'vitest';
import { normaliseFlow, normaliseFlowList, normaliseFlowStatus, type FlowStatus } from '../../src/portable/normalise-flow.ts';
import { PortableApiError } from '../../src/portable/portable-error.ts';

const FLOW_PATH = '/v2/flows/7';
const DONE = '2023-06-12T21:08:00Z';
const DONE_MS = Date.UTC(2023, 5, 12, 21, 8);

function thrown(act: () => unknown): PortableApiError {
  try {
    act();
  } catch (error) {
    if (error instanceof PortableApiError) return error;
    throw error;
  }
  throw new Error('expected a PortableApiError');
}

describe('normaliseFlow', () => {
  it.each([
    ['every field', { data: { id: 7, displayName: 'Stripe', frequency: '1h', cron: '0 * * * *' } }, { id: 7, displayName: 'Stripe', frequency: '1h', cron: '0 * * * *' }],
    ['a bare flow without its id, which the request gives', { displayName: 'Stripe' }, { id: 7, displayName: 'Stripe' }],
    ['a flow in a one-item data list', { data: [{ id: 7, frequency: '24h' }] }, { id: 7, frequency: '24h' }],
    ['null fields, left out', { data: { id: 7, displayName: null, frequency: null, cron: null } }, { id: 7 }],
    ['an empty cron, left out', { data: { id: 7, frequency: '1h', cron: '' } }, { id: 7, frequency: '1h' }],
    ['a blank cron, left out', { data: { id: 7, frequency: '1h', cron: '   ' } }, { id: 7, frequency: '1h' }],
    ['a field of the wrong type, left out', { data: { id: 7, displayName: 42 } }, { id: 7 }],
    ['an id that cannot be read: still the flow asked for', { data: { id: 'seven', displayName: 'Stripe' } }, { id: 7 }],
  ])('reads %s', (_name, body, expected) => {
    expect(normaliseFlow(body, 7, FLOW_PATH)).toStrictEqual(expected);
  });

  it('refuses a body that is not an object, saying what it expected', () => {
    const error = thrown(() => normaliseFlow('maintenance', 7, FLOW_PATH));
    expect(error).toMatchObject({ kind: 'malformed', path: FLOW_PATH });
    expect(error.message).toBe("Portable's answer to GET /v2/flows/7 was not understood: expected a flow as a JSON object; got a string");
  });
});

describe('normaliseFlowList', () => {
  it('keeps the flows it can address, in order, and leaves out the rest', () => {
    const body = { data: [{ id: 1, displayName: 'One' }, { displayName: 'no id' }, 'junk', { id: '2', cron: ' ' }] };
    expect(normaliseFlowList(body, '/v2/flows')).toStrictEqual([{ id: 1, displayName: 'One' }, { id: 2 }]);
  });

  it('refuses an object without a data list, saying what it expected', () => {
    const error = thrown(() => normaliseFlowList({ message: 'hello' }, '/v2/flows'));
    expect(error).toMatchObject({ kind: 'malformed', path: '/v2/flows' });
    expect(error.message).toBe(
      `Portable's answer to GET /v2/flows was not understood: expected an object with a "data" list of flows; got an object without "data"`,
    );
  });
});

describe('normaliseFlowStatus', () => {
  it('reads a failed run with nothing else', () => {
    expect(normaliseFlowStatus({ lifecycle: 'NOT_RUNNING', disposition: 'FAILED' }, `${FLOW_PATH}/status`)).toStrictEqual<FlowStatus>({
      lifecycle: 'not_running',
      disposition: 'failed',
      state: 'failed',
      errors: [],
      resources: [],
      completedAt: null,
      anomalies: [],
    });
  });

  it('reads a readable completedAt without an anomaly', () => {
    const status = normaliseFlowStatus({ status: 'SUCCEEDED', completedAt: DONE }, `${FLOW_PATH}/status`);
    expect(status).toMatchObject({ state: 'succeeded', completedAt: DONE_MS, anomalies: [] });
  });

  it('reports an unreadable completedAt, treating it as absent', () => {
    const status = normaliseFlowStatus({ status: 'NONE', completedAt: 'soon' }, `${FLOW_PATH}/status`);
    expect(status.completedAt).toBeNull();
    expect(status.anomalies).toEqual([{ kind: 'unreadable-timestamp', message: 'completedAt "soon" is not a timestamp' }]);
  });

  it('reports a field of the wrong type and an unknown value', () => {
    const status = normaliseFlowStatus({ lifecycle: 'queued', disposition: 7 }, `${FLOW_PATH}/status`);
    expect(status.state).toBe('unknown');
    expect(status.anomalies).toEqual([
      { kind: 'ignored-field', message: 'ignored disposition (got a number)' },
      { kind: 'unknown-value', message: 'unknown lifecycle "queued"' },
    ]);
  });

  it("adds each resource's errors, named by the resource, after the run's own", () => {
    const body = {
      lifecycle: 'not_running',
      disposition: 'failed',
      errors: ['Destination refused the write'],
      resources: [{ name: 'events', errors: ['quota exceeded'] }, { errors: ['disk full', null] }, 'junk', { name: 'attendees' }],
    };
    const status = normaliseFlowStatus(body, `${FLOW_PATH}/status`);
    expect(status.errors).toEqual(['Destination refused the write', 'events: quota exceeded', 'resource 2: disk full']);
    expect(status.resources.map((resource) => resource.name)).toEqual(['events', 'resource 2', 'attendees']);
    expect(status.anomalies).toEqual([
      { kind: 'odd-shape', message: 'resources[1].errors[1] was null; dropped' },
      { kind: 'odd-shape', message: 'resources[2] ignored: expected an object, got a string' },
    ]);
    expect(status.resources.map((resource) => resource.errors)).toEqual([['quota exceeded'], ['disk full'], undefined]);
  });

  it('refuses a body that is not an object, saying what it expected', () => {
    const error = thrown(() => normaliseFlowStatus(['a', 'b'], `${FLOW_PATH}/status`));
    expect(error.message).toBe("Portable's answer to GET /v2/flows/7/status was not understood: expected a flow status as a JSON object; got a list of 2");
  });
});
