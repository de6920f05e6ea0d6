import { describe, expect, it } from 'vitest';
import { deriveRunState, normaliseErrors, normaliseResources } from '../../src/portable/normalise-attempt-fields.ts';
import type { Anomaly } from '../../src/portable/anomaly.ts';
import type { RunState } from '../../src/portable/run-attempt.ts';

const DONE_MS = Date.UTC(2023, 5, 12, 21, 8);

describe('deriveRunState: spellings Portable might use', () => {
  it.each([
    ['a padded disposition', { disposition: ' failed ' }, 'failed'],
    ['a lifecycle in words', { lifecycle: 'Not Running', disposition: 'none' }, 'ended'],
    ['a lifecycle with two blanks', { lifecycle: 'NOT  RUNNING', disposition: 'none' }, 'ended'],
    ['a lifecycle with a spaced dash', { lifecycle: 'not - running', disposition: 'none' }, 'ended'],
    ['a padded lifecycle', { lifecycle: '\tpending ', disposition: 'none' }, 'pending'],
  ])('reads %s', (_name, fields, expected) => {
    const derived = deriveRunState({ completedAt: null, ...fields });
    expect(derived.value).toBe(expected);
    expect(derived.anomalies).toEqual([]);
  });
});

describe('deriveRunState: what it reports', () => {
  const cases: [string, Parameters<typeof deriveRunState>[0], RunState, string | undefined, Anomaly[]][] = [
    ['nothing at all', { completedAt: null }, 'unknown', undefined, [{ kind: 'inconsistent', message: 'no lifecycle, disposition or status' }]],
    ['a blank lifecycle is no lifecycle', { lifecycle: '  ', disposition: 'succeeded', completedAt: DONE_MS }, 'succeeded', undefined, []],
    ['a lifecycle alone', { lifecycle: 'running', completedAt: null }, 'running', undefined, []],
    ['an outcome alone', { status: 'NONE', completedAt: null }, 'running', undefined, []],
    [
      'an unknown disposition while running: running, nothing unrecognised',
      { lifecycle: 'running', disposition: 'retrying', completedAt: null },
      'running',
      undefined,
      [{ kind: 'unknown-value', message: 'unknown disposition "retrying"' }],
    ],
    [
      'an unknown disposition once finished',
      { lifecycle: 'not_running', disposition: 'cancelled', completedAt: null },
      'unrecognised',
      'disposition "cancelled"',
      [{ kind: 'unknown-value', message: 'unknown disposition "cancelled"' }],
    ],
    ['disposition and status that agree', { disposition: 'failed', status: 'FAILED', completedAt: null }, 'failed', undefined, []],
    [
      'disposition and status that disagree',
      { disposition: 'failed', status: 'SUCCEEDED', completedAt: null },
      'failed',
      undefined,
      [{ kind: 'inconsistent', message: 'disposition "failed" and status "SUCCEEDED" disagree; using disposition' }],
    ],
  ];

  it.each(cases)('%s', (_name, fields, state, unrecognised, anomalies) => {
    const derived = deriveRunState(fields);
    expect(derived.value).toBe(state);
    expect(derived.unrecognised).toBe(unrecognised);
    expect(derived.anomalies).toEqual(anomalies);
  });
});

describe('normaliseResources', () => {
  it('names a resource without a name by its place in the list', () => {
    const result = normaliseResources(['events', { extracted: 5 }], undefined);
    expect(result.value).toEqual([{ name: 'resource 2', extracted: 5, analyzed: null, loaded: null }]);
    expect(result.anomalies).toEqual([{ kind: 'odd-shape', message: 'resources[0] ignored: expected an object, got a string' }]);
  });

  it('skips a details entry that is not an object, and says so', () => {
    const result = normaliseResources(null, { events: 5, attendees: { extracted: 1, analyzed: 1, loaded: 1 } });
    expect(result.value).toEqual([{ name: 'attendees', extracted: 1, analyzed: 1, loaded: 1 }]);
    expect(result.anomalies).toEqual([{ kind: 'odd-shape', message: 'details "events" ignored: expected an object, got a number' }]);
  });
});

describe('normaliseErrors', () => {
  const cases: [string, Parameters<typeof normaliseErrors>[0], string[], string[]][] = [
    ['a lone string', 'Failed to connect', ['Failed to connect'], ['errors was a string, not a list']],
    ['null and missing items', ['real', null, undefined], ['real'], ['errors[1] was null; dropped', 'errors[2] was nothing; dropped']],
    ['a number and a list', [42, ['a']], ['42', '["a"]'], ['errors[0] was a number, not text', 'errors[1] was a list of 1, not text']],
  ];

  it.each(cases)('%s', (_name, errors, messages, anomalies) => {
    const result = normaliseErrors(errors);
    expect(result.value).toEqual(messages);
    expect(result.anomalies).toEqual(anomalies.map((message) => ({ kind: 'odd-shape', message })));
  });

  it('names the field it read in its anomalies', () => {
    expect(normaliseErrors('boom', 'resources[0].errors').anomalies).toEqual([{ kind: 'odd-shape', message: 'resources[0].errors was a string, not a list' }]);
  });

  it('keeps at most 500 characters of an item that is not text', () => {
    const [kept] = normaliseErrors([{ detail: 'x'.repeat(1000) }]).value;
    expect(kept).toHaveLength(500);
    expect(kept?.startsWith('{"detail":"xxx')).toBe(true);
  });
});
