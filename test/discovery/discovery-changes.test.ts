import { describe, expect, it } from 'vitest';
import { describeDiscoveryChanges, discoveryChanges, type NamedFlowRef } from '../../src/discovery/discovery-changes.ts';

/** What changed between two discoveries, and the messages that tell the operator. */

const named = (id: number, name: string, account = 'default'): NamedFlowRef => ({ account, id, name });

const ORDERS = named(12, 'Shopify orders');
const CHARGES = named(14, 'Stripe charges');
const OLD_SYNC = named(7, 'Old sync');

describe('discoveryChanges', () => {
  it.each<[string, NamedFlowRef[], NamedFlowRef[], NamedFlowRef[], NamedFlowRef[]]>([
    ['nothing before: every flow is added', [], [ORDERS, CHARGES], [ORDERS, CHARGES], []],
    ['nothing after: every flow is removed', [ORDERS, OLD_SYNC], [], [], [ORDERS, OLD_SYNC]],
    ['the same flows: no change', [ORDERS, CHARGES], [CHARGES, ORDERS], [], []],
    ['a renamed flow is the same flow', [ORDERS], [named(12, 'Shopify orders v2')], [], []],
    ['one in, one out', [ORDERS, OLD_SYNC], [ORDERS, CHARGES], [CHARGES], [OLD_SYNC]],
    ['the same id in another account is another flow', [ORDERS], [named(12, 'Shopify orders', 'prod')], [named(12, 'Shopify orders', 'prod')], [ORDERS]],
  ])('%s', (_name, before, after, added, removed) => {
    expect(discoveryChanges(before, after)).toEqual({ added, removed });
  });
});

describe('describeDiscoveryChanges', () => {
  const one = { severalAccounts: false };
  const several = { severalAccounts: true };

  it.each<[string, NamedFlowRef[], NamedFlowRef[], { severalAccounts: boolean }, string[]]>([
    ['no change, no message', [], [], one, []],
    ['one new flow', [ORDERS], [], one, ['now watching 1 new flow: Shopify orders (12)']],
    [
      'several new flows, in order',
      [ORDERS, CHARGES, named(15, 'Flow 15')],
      [],
      one,
      ['now watching 3 new flows: Shopify orders (12), Stripe charges (14), Flow 15 (15)'],
    ],
    ['one flow gone', [], [OLD_SYNC], one, ['stopped watching 1 flow: Old sync (7) (gone from Portable or no longer included)']],
    [
      'added and removed: added first',
      [ORDERS],
      [OLD_SYNC, named(8, 'Older sync')],
      one,
      ['now watching 1 new flow: Shopify orders (12)', 'stopped watching 2 flows: Old sync (7), Older sync (8) (gone from Portable or no longer included)'],
    ],
    [
      'several accounts: each flow with its account',
      [named(12, 'Shopify orders', 'prod'), named(12, 'Shopify orders', 'staging')],
      [named(7, 'Old sync', 'prod')],
      several,
      [
        'now watching 2 new flows: prod: Shopify orders (12), staging: Shopify orders (12)',
        'stopped watching 1 flow: prod: Old sync (7) (gone from Portable or no longer included)',
      ],
    ],
  ])('%s', (_name, added, removed, options, messages) => {
    expect(describeDiscoveryChanges({ added, removed }, options)).toEqual(messages);
  });

  const many = (count: number) => Array.from({ length: count }, (_unused, index) => named(index + 1, `Flow ${index + 1}`));
  const names = (count: number) => many(count).map((flow) => `${flow.name} (${flow.id})`).join(', ');

  it('names 20 flows in full', () => {
    expect(describeDiscoveryChanges({ added: many(20), removed: [] }, one)).toEqual([`now watching 20 new flows: ${names(20)}`]);
  });

  it('names the first 20 of a longer list and counts the rest', () => {
    expect(describeDiscoveryChanges({ added: many(23), removed: many(21) }, one)).toEqual([
      `now watching 23 new flows: ${names(20)} … and 3 more`,
      `stopped watching 21 flows: ${names(20)} … and 1 more (gone from Portable or no longer included)`,
    ]);
  });
});
