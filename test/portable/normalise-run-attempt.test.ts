import { describe, expect, it } from 'vitest';
import { normaliseRunAttempt, normaliseRunAttemptPage } from '../../src/portable/normalise-run-attempt.ts';
import { PortableApiError } from '../../src/portable/portable-error.ts';
import type { RunState } from '../../src/portable/run-attempt.ts';

const FLOW = 689422;
const CREATED = '2023-06-12T21:03:00Z';
const CREATED_MS = Date.UTC(2023, 5, 12, 21, 3);
const DONE = '2023-06-12T21:08:00Z';
/** When the answer arrived: what stands in for a createdAt that cannot be read. */
const RECEIVED = Date.UTC(2023, 5, 12, 22, 0);

function normalise(fields: Record<string, unknown>) {
  return normaliseRunAttempt({ id: 1, createdAt: CREATED, ...fields }, FLOW, RECEIVED);
}

const messages = (anomalies: ReadonlyArray<{ message: string }>) => anomalies.map((anomaly) => anomaly.message);

function attemptOf(fields: Record<string, unknown>) {
  const result = normalise(fields);
  if (result.attempt === undefined) throw new Error(`unusable: ${messages(result.anomalies).join('; ')}`);
  return result.attempt;
}

describe('run state, from either dialect', () => {
  const cases: [string, Record<string, unknown>, RunState][] = [
    ['example: running', { lifecycle: 'running', disposition: 'none' }, 'running'],
    ['example: pending', { lifecycle: 'pending', disposition: 'none' }, 'pending'],
    ['example: succeeded', { lifecycle: 'not_running', disposition: 'succeeded', completedAt: DONE }, 'succeeded'],
    ['example: failed without completedAt', { lifecycle: 'not_running', disposition: 'failed', completedAt: null }, 'failed'],
    ['example: not running, no outcome (cancelled)', { lifecycle: 'not_running', disposition: 'none', completedAt: DONE }, 'ended'],
    ['example: UPPERCASE', { lifecycle: 'NOT_RUNNING', disposition: 'FAILED' }, 'failed'],
    ['example: Mixed-case, dashes', { lifecycle: 'Not-Running', disposition: 'Succeeded' }, 'succeeded'],
    ['schema: NONE without completedAt is running', { status: 'NONE' }, 'running'],
    ['schema: NONE with completedAt has ended', { status: 'NONE', completedAt: DONE }, 'ended'],
    ['schema: SUCCEEDED', { status: 'SUCCEEDED', completedAt: DONE }, 'succeeded'],
    ['schema: FAILED with completedAt null', { status: 'FAILED', completedAt: null }, 'failed'],
    ['schema: lowercase failed', { status: 'failed' }, 'failed'],
    ['failed wins over a running lifecycle', { lifecycle: 'running', disposition: 'failed' }, 'failed'],
    ['unknown lifecycle', { lifecycle: 'queued', disposition: 'none' }, 'unknown'],
    ['unknown disposition, finished', { lifecycle: 'not_running', disposition: 'cancelled' }, 'unrecognised'],
    ['unknown status, finished', { status: 'CANCELLED', completedAt: DONE }, 'unrecognised'],
    ['unknown status, not finished', { status: 'CANCELLING' }, 'unknown'],
    ['unknown lifecycle with a completedAt', { lifecycle: 'archived', disposition: 'none', completedAt: DONE }, 'unrecognised'],
    ['unknown disposition while running is still running', { lifecycle: 'running', disposition: 'retrying' }, 'running'],
    ['nothing at all but a completedAt', { completedAt: DONE }, 'ended'],
    ['nothing at all', {}, 'unknown'],
  ];

  it.each(cases)('%s', (_name, fields, expected) => {
    expect(attemptOf(fields).state).toBe(expected);
  });

  it('reports an unknown lifecycle readably, prefixed with the attempt, with its kind and attempt', () => {
    const result = normaliseRunAttempt({ id: 658423, createdAt: CREATED, lifecycle: 'queued', disposition: 'none' }, FLOW, RECEIVED);
    expect(result.anomalies).toEqual([{ kind: 'unknown-value', message: 'attempt 658423: unknown lifecycle "queued"', attemptId: 658423 }]);
    expect(messages(result.attempt?.anomalies ?? [])).toEqual(['unknown lifecycle "queued"']);
    expect(result.attempt?.unrecognised).toBe('lifecycle "queued"');
  });

  it('reports an unknown status and trigger, and keeps the status value for the alert', () => {
    const result = normalise({ status: 'CANCELLED', trigger: 'WEBHOOK', completedAt: DONE });
    expect(result.attempt?.trigger).toBe('unknown');
    expect(result.attempt?.unrecognised).toBe('status "CANCELLED"');
    expect(messages(result.anomalies)).toEqual(['attempt 1: unknown status "CANCELLED"', 'attempt 1: unknown trigger "WEBHOOK"']);
  });

  it('names no unrecognised value when every value is known', () => {
    expect(attemptOf({ lifecycle: 'not_running', disposition: 'none' }).unrecognised).toBeUndefined();
  });

  it('reports disposition and status that disagree, and believes disposition', () => {
    const result = normalise({ lifecycle: 'not_running', disposition: 'failed', status: 'SUCCEEDED' });
    expect(result.attempt?.state).toBe('failed');
    expect(result.anomalies[0]).toMatchObject({ kind: 'inconsistent', message: expect.stringContaining('disagree') as string });
  });
});

describe('trigger', () => {
  it.each([
    ['scheduled', 'scheduled'],
    ['SCHEDULED', 'scheduled'],
    ['manual', 'manual'],
    ['MANUAL', 'manual'],
    ['API', 'api'],
    [null, 'unknown'],
    [undefined, 'unknown'],
  ])('%j becomes %j', (trigger, expected) => {
    expect(attemptOf({ trigger, status: 'NONE' }).trigger).toBe(expected);
  });
});

describe('errors', () => {
  const cases: [string, unknown, string[], number][] = [
    ['missing', undefined, [], 0],
    ['null', null, [], 0],
    ['an empty list', [], [], 0],
    ['a list of messages', ['Failed to connect to the source', 'Timed out'], ['Failed to connect to the source', 'Timed out'], 0],
    ['a lone string', 'boom', ['boom'], 1],
    ['objects with a message', [{ message: 'quota exceeded' }], ['quota exceeded'], 0],
    ['numbers and objects', [42, { code: 7 }], ['42', '{"code":7}'], 2],
    ['null items', ['real', null], ['real'], 1],
  ];

  it.each(cases)('%s', (_name, errors, expected, anomalyCount) => {
    const fields = errors === undefined ? { status: 'FAILED' } : { status: 'FAILED', errors };
    const attempt = attemptOf(fields);
    expect(attempt.errors).toEqual(expected);
    expect(attempt.anomalies).toHaveLength(anomalyCount);
    expect(attempt.state).toBe('failed');
  });

  it('an empty error list on a succeeded attempt is not a failure', () => {
    expect(attemptOf({ status: 'SUCCEEDED', errors: [] }).state).toBe('succeeded');
  });
});

describe('row counts', () => {
  const events = { name: 'events', extracted: 1864, analyzed: 1864, loaded: 1860 };
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['resources[]', { resources: [events] }, [events]],
    ['resources null', { resources: null }, []],
    ['resources missing', {}, []],
    ['details{}', { details: { events: { extracted: 1864, analyzed: 1864, loaded: 1860 } } }, [events]],
    ['details null', { details: null }, []],
    ['details with a count missing', { details: { events: { extracted: 5 } } }, [{ name: 'events', extracted: 5, analyzed: null, loaded: null }]],
    ['a count that is not a number', { resources: [{ name: 'events', extracted: 'lots', analyzed: 1, loaded: 1 }] }, [{ name: 'events', extracted: null, analyzed: 1, loaded: 1 }]],
    ['both: the list wins', { resources: [events], details: { other: { extracted: 1 } } }, [events]],
    ['an empty list falls back to details', { resources: [], details: { events: { extracted: 1864, analyzed: 1864, loaded: 1860 } } }, [events]],
    ["a resource's own errors", { resources: [{ ...events, errors: ['row 17 rejected'] }] }, [{ ...events, errors: ['row 17 rejected'] }]],
    ["a resource's own errors in details{}", { details: { events: { ...events, name: undefined, errors: ['quota'] } } }, [{ ...events, errors: ['quota'] }]],
    ['an empty or null error list on a resource is none', { resources: [{ ...events, errors: [] }], details: null }, [events]],
  ];

  it.each(cases)('%s', (_name, fields, expected) => {
    expect(attemptOf({ status: 'SUCCEEDED', ...fields }).resources).toEqual(expected);
  });

  it("reports a resource's error that is not text, and keeps the rest", () => {
    const attempt = attemptOf({ status: 'SUCCEEDED', details: { events: { loaded: 1, errors: ['late', null] } } });
    expect(attempt.resources[0]?.errors).toEqual(['late']);
    expect(messages(attempt.anomalies)).toEqual(['details "events" errors[1] was null; dropped']);
  });

  it('skips a resource that is not an object, and says so', () => {
    const attempt = attemptOf({ status: 'NONE', resources: ['events', { name: 'attendees', extracted: 1 }] });
    expect(attempt.resources.map((resource) => resource.name)).toEqual(['attendees']);
    expect(messages(attempt.anomalies)).toEqual(['resources[0] ignored: expected an object, got a string']);
  });
});

describe('unusable and odd attempts', () => {
  it.each([
    ['garbage', 'not a date', '"not a date"'],
    ['an impossible date', '2023-02-30T00:00:00Z', '"2023-02-30T00:00:00Z"'],
    ['null', null, 'null'],
    ['missing', undefined, 'null'],
  ])('keeps a failed attempt whose createdAt is %s, stamped with the arrival of the answer, with an anomaly', (_name, createdAt, shown) => {
    const result = normaliseRunAttempt({ id: 5, createdAt, status: 'FAILED' }, FLOW, RECEIVED);
    expect(result.attempt).toMatchObject({ id: 5, state: 'failed', createdAt: RECEIVED, createdAtUnreadable: true });
    expect(result.anomalies).toEqual([
      { kind: 'unreadable-timestamp', message: `attempt 5: createdAt ${shown} is not a timestamp; judged by the time it was first seen`, attemptId: 5 },
    ]);
  });

  it('marks a readable createdAt as read', () => {
    expect(attemptOf({ status: 'NONE' }).createdAtUnreadable).toBe(false);
  });

  it('skips an item without a usable id, naming its position', () => {
    expect(messages(normaliseRunAttempt({ id: 'abc', createdAt: CREATED }, FLOW, RECEIVED, 3).anomalies)).toEqual([
      'item 3: run attempt id "abc" is not an integer; skipped',
    ]);
    expect(normaliseRunAttempt('hello', FLOW, RECEIVED, 0).anomalies).toEqual([
      { kind: 'unusable-attempt', message: 'item 0: expected a run attempt object, got a string; skipped' },
    ]);
  });

  it.each([
    ['null', null, 1, 'item 1: expected a run attempt object, got null; skipped'],
    ['a list', [{ id: 1 }], 2, 'item 2: expected a run attempt object, got a list of 1; skipped'],
    ['an object without an id', { createdAt: CREATED, status: 'FAILED' }, 4, 'item 4: run attempt without an id; skipped'],
  ])('skips %s, saying why', (_name, raw, index, message) => {
    expect(normaliseRunAttempt(raw, FLOW, RECEIVED, index)).toEqual({ attempt: undefined, id: undefined, anomalies: [{ kind: 'unusable-attempt', message }] });
  });

  it('treats an empty completedAt as absent, without an anomaly', () => {
    const attempt = attemptOf({ status: 'FAILED', completedAt: '' });
    expect(attempt.completedAt).toBeNull();
    expect(attempt.anomalies).toEqual([]);
  });

  it('keeps an attempt whose trigger has the wrong type, dropping only that field', () => {
    const result = normalise({ trigger: 5, status: 'FAILED' });
    expect(result.attempt?.state).toBe('failed');
    expect(result.attempt?.trigger).toBe('unknown');
    expect(result.anomalies).toEqual([{ kind: 'ignored-field', message: 'attempt 1: ignored trigger (got a number)', attemptId: 1 }]);
  });

  it('treats an unreadable completedAt as absent, still deciding from the status', () => {
    const attempt = attemptOf({ status: 'SUCCEEDED', completedAt: 'soon' });
    expect(attempt).toMatchObject({ state: 'succeeded', completedAt: null });
    expect(attempt.anomalies).toEqual([{ kind: 'unreadable-timestamp', message: 'completedAt "soon" is not a timestamp; treated as absent' }]);
  });

  it('uses the requested flow id, reporting a different `flow`', () => {
    const result = normalise({ flow: 1234, status: 'NONE' });
    expect(result.attempt?.flowId).toBe(FLOW);
    expect(result.anomalies).toEqual([
      { kind: 'inconsistent', message: `attempt 1: flow 1234 differs from the requested flow ${FLOW}; using ${FLOW}`, attemptId: 1 },
    ]);
    expect(normalise({ flow: FLOW, status: 'NONE' }).anomalies).toEqual([]);
    expect(normalise({ flow: null, status: 'NONE' }).anomalies).toEqual([]);
  });

  it('uses the requested flow id, reporting a `flow` that is not an id', () => {
    const result = normalise({ flow: 'eventbrite', status: 'NONE' });
    expect(result.attempt?.flowId).toBe(FLOW);
    expect(result.anomalies).toEqual([
      { kind: 'inconsistent', message: `attempt 1: flow "eventbrite" is not an id; using ${FLOW} from the request`, attemptId: 1 },
    ]);
  });

  it('accepts a quoted numeric id', () => {
    expect(attemptOf({ id: '42', status: 'NONE' }).id).toBe(42);
  });

  it('keeps createdAt in epoch ms', () => {
    expect(attemptOf({ status: 'NONE' }).createdAt).toBe(CREATED_MS);
  });
});

describe('page envelopes', () => {
  const item = { id: 1, createdAt: CREATED, status: 'NONE' };
  it.each([
    ['{ data: [...] }', { data: [item] }, 1],
    ['a bare array', [item], 1],
    ['{ data: {...} }', { data: item }, 1],
    ['a bare attempt', item, 1],
    ['data: null (an empty Go slice)', { data: null }, 0],
    ['data: []', { data: [] }, 0],
  ])('accepts %s', (_name, body, count) => {
    const page = normaliseRunAttemptPage(body, FLOW, '/v2/flows/689422/run', RECEIVED);
    expect(page.attempts).toHaveLength(count);
    expect(page.itemCount).toBe(count);
  });

  it.each([
    ['data is a string', { data: 'oops' }, '"data" to be a list of run attempts; got a string'],
    ['the body is a number', 42, 'expected an object with a "data" list of run attempts; got a number'],
    ['an object without data or id', { message: 'hello' }, 'got an object without "data"'],
  ])('refuses a body where %s as malformed, saying what was expected', (_name, body, expected) => {
    let thrown: unknown;
    try {
      normaliseRunAttemptPage(body, FLOW, '/v2/flows/689422/run', RECEIVED);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PortableApiError);
    expect(thrown).toMatchObject({ kind: 'malformed', retryable: false, path: '/v2/flows/689422/run' });
    expect((thrown as Error).message).toContain(expected);
  });

  it('keeps the usable attempts of a page with unusable ones, counting every item', () => {
    const page = normaliseRunAttemptPage({ data: [item, { id: 2 }, 'junk'] }, FLOW, '/x', RECEIVED);
    expect(page.attempts.map((attempt) => attempt.id)).toEqual([1, 2]);
    expect(page.itemCount).toBe(3);
    expect(page.ids).toEqual([1, 2]);
    expect(page.anomalies.map((anomaly) => anomaly.kind)).toEqual(['unreadable-timestamp', 'inconsistent', 'unusable-attempt']);
  });
});
