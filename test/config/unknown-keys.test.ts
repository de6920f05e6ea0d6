import { describe, expect, it } from 'vitest';
import { nearestKey } from '../../src/config/closed-object.ts';
import { parseConfig } from '../../src/config/load-config.ts';

const FLOW_KEYS = [
  'id',
  'name',
  'account',
  'pollEvery',
  'maxRuntime',
  'backfill',
  'notify',
  'sendOnResolved',
  'detect',
  'autoFallback',
  'learnFrom',
  'schedule',
  'scheduleTimezone',
  'missedAfter',
  'partialTolerance',
  'labels',
  'repeatEvery',
  'alertAfter',
];

describe('nearestKey', () => {
  it.each([
    ['MAXRUNTIME', FLOW_KEYS, 'maxRuntime'],
    ['notfy', FLOW_KEYS, 'notify'],
    ['notifyy', FLOW_KEYS, 'notify'],
    ['sendOnReslvd', FLOW_KEYS, 'sendOnResolved'],
    ['backfil', FLOW_KEYS, 'backfill'],
    ['scheduleTimeZone', FLOW_KEYS, 'scheduleTimezone'],
    ['partialTollerance', FLOW_KEYS, 'partialTolerance'],
    ['detects', FLOW_KEYS, 'detect'],
    ['learnfrom', FLOW_KEYS, 'learnFrom'],
    ['runtime', FLOW_KEYS, undefined],
    ['idxy', FLOW_KEYS, undefined],
    ['colour', FLOW_KEYS, undefined],
    ['x', FLOW_KEYS, undefined],
    ['to', ['type', 'webhookUrl', 'mention'], undefined],
    ['cat', ['bat', 'hat'], 'bat'],
    ['anything', [], undefined],
  ])('suggests for %j among %j: %j', (key, known, suggestion) => {
    expect(nearestKey(key, known)).toBe(suggestion);
  });
});

describe('an unknown key in the file', () => {
  it('is refused with the key it most likely meant, when one is within a third of its length', () => {
    const text = [
      'portable: { token: t }',
      'notifiers: { a: { type: console } }',
      'defaults: { notfy: [a] }',
      'flows: [{ id: 1, notify: [a], sendOnReslvd: false, runtime: 1h }]',
    ].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({
      ok: false,
      problems: [
        'defaults.notfy: unknown key (did you mean "notify"?)',
        'flows[0].sendOnReslvd: unknown key (did you mean "sendOnResolved"?)',
        `flows[0].runtime: unknown key (known keys here: ${FLOW_KEYS.join(', ')})`,
      ],
    });
  });
});
