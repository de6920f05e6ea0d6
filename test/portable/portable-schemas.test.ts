import { describe, expect, it } from 'vitest';
import { describeType, parseLeniently, rawFlowSchema, rawRunAttemptSchema, unwrapList, unwrapOne } from '../../src/portable/portable-schemas.ts';

describe('describeType: a value’s type for messages, never the value', () => {
  it.each([
    [null, 'null'],
    [undefined, 'nothing'],
    [[], 'a list of 0'],
    [[1, 2, 3], 'a list of 3'],
    [{ secret: 'x' }, 'an object'],
    ['a token, maybe', 'a string'],
    [42, 'a number'],
    [true, 'a boolean'],
  ])('%j is %j', (value, expected) => {
    expect(describeType(value)).toBe(expected);
  });
});

describe('unwrapOne: a single object, with or without the data envelope', () => {
  const flow = { id: 7, displayName: 'Stripe' };

  it.each([
    ['a bare object', flow],
    ['{ data: {...} }', { data: flow }],
    ['{ data: [ one object ] }', { data: [flow] }],
  ])('accepts %s', (_name, body) => {
    expect(unwrapOne(body, 'a flow')).toEqual({ ok: true, value: flow });
  });

  it.each([
    ['a string', 'maintenance', 'a flow as a JSON object', 'a string'],
    ['a list', [flow], 'a flow as a JSON object', 'a list of 1'],
    ['data: null', { data: null }, '"data" to be a flow as a JSON object', 'null'],
    ['data: a string', { data: 'oops' }, '"data" to be a flow as a JSON object', 'a string'],
    ['data: an empty list', { data: [] }, '"data" to be a flow as a JSON object', 'a list of 0'],
    ['data: two objects', { data: [flow, flow] }, '"data" to be a flow as a JSON object', 'a list of 2'],
    ['data: a list of one non-object', { data: [7] }, '"data" to be a flow as a JSON object', 'a list of 1'],
  ])('refuses %s, saying what it expected and what it got', (_name, body, expected, got) => {
    expect(unwrapOne(body, 'a flow')).toEqual({ ok: false, expected, got });
  });
});

describe('unwrapList', () => {
  it('refuses an object with neither data nor id, saying what it expected', () => {
    expect(unwrapList({ message: 'Service Unavailable' }, 'flows')).toEqual({
      ok: false,
      expected: 'an object with a "data" list of flows',
      got: 'an object without "data"',
    });
  });
});

describe('parseLeniently', () => {
  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['a list', [{ id: 1 }]],
  ])('reads nothing, and drops nothing, from %s', (_name, raw) => {
    expect(parseLeniently(rawFlowSchema, raw)).toEqual({ value: undefined, dropped: [] });
  });

  it('drops only the fields of the wrong type', () => {
    expect(parseLeniently(rawFlowSchema, { id: 7, displayName: 5, cron: '0 * * * *' })).toEqual({
      value: { id: 7, cron: '0 * * * *' },
      dropped: ['displayName (got a number)'],
    });
  });

  it('fails the object when a required field fails, still naming every field it dropped', () => {
    expect(parseLeniently(rawRunAttemptSchema, { id: 'abc', trigger: 5, status: 'FAILED' })).toEqual({
      value: undefined,
      dropped: ['id (got a string)', 'trigger (got a number)'],
    });
  });
});
