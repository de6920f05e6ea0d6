import { describe, expect, it } from 'vitest';
import type { DiscoverRule, FlowTemplate } from '../../src/config/config-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import {
  describeRule,
  discoveredFlowConfig,
  matchDiscovery,
  type DiscoveryMatch,
  type ExplicitRef,
  type ListedFlow,
} from '../../src/discovery/match-discovery.ts';

/** Which listed flows `discover:` rules watch and why the others are left out: pure, so every rule is a row. */

/** A real template, as the config gives one, so a test cannot pass on settings the schema would never produce. */
function parsedRules(): DiscoverRule[] {
  const result = parseConfig(
    [
      'accounts: { prod: { token: a }, staging: { token: b } }',
      'notifiers: { log: { type: console } }',
      'defaults: { notify: [log] }',
      'discover:',
      '  - { account: prod, include: "Shopify*", exclude: "*test*", maxRuntime: 3h, labels: { team: shop } }',
      '  - { account: prod, ids: [7, 8] }',
    ].join('\n'),
    {},
    'test.yaml',
  );
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config.discover;
}

const PARSED = parsedRules();
const TEMPLATE: FlowTemplate = (PARSED[1] as DiscoverRule).template;

interface RuleSketch {
  account?: string;
  include?: string[];
  exclude?: string[];
  ids?: number[];
}

function rules(...sketches: RuleSketch[]): DiscoverRule[] {
  return sketches.map((sketch, index) => {
    const account = sketch.account ?? 'prod';
    return { index, account, include: sketch.include ?? [], exclude: sketch.exclude ?? [], ids: sketch.ids ?? [], template: { ...TEMPLATE, account } };
  });
}

const flow = (id: number, displayName: string | null, account = 'prod'): ListedFlow => ({ account, id, displayName });

const SHOPIFY = flow(12, 'Shopify orders');
const SHOPIFY_TEST = flow(13, 'Shopify test store');
const STRIPE = flow(14, 'Stripe charges');
const NAMELESS = flow(15, null);
const STAGING_SHOPIFY = flow(12, 'Shopify orders', 'staging');

/** What a case expects: watched as `id:rule`, left out as `id:reason`, explicit as `id:name:inPortable`. */
interface Outcome {
  watched: string[];
  leftOut: string[];
  explicit?: string[];
}

function summary(match: DiscoveryMatch): Outcome {
  return {
    watched: match.watched.map((found) => `${found.account}/${found.id}:${found.name}:rule ${found.rule}`),
    leftOut: match.leftOut.map((left) => `${left.account}/${left.id}:${left.name}:${left.reason}`),
    explicit: match.explicit.map((listed) => `${listed.account}/${listed.id}:${listed.name}:${listed.inPortable ? 'in Portable' : 'not in Portable'}`),
  };
}

const CASES: Array<[string, DiscoverRule[], ListedFlow[], ExplicitRef[], Outcome]> = [
  [
    'the first rule that includes a flow wins',
    rules({ include: ['Shopify*'] }, { include: ['*'] }),
    [SHOPIFY, STRIPE],
    [],
    { watched: ['prod/12:Shopify orders:rule 0', 'prod/14:Stripe charges:rule 1'], leftOut: [] },
  ],
  [
    'an excluded flow passes to the next rule',
    rules({ include: ['Shopify*'], exclude: ['*test*'] }, { include: ['Shopify*'] }),
    [SHOPIFY, SHOPIFY_TEST],
    [],
    { watched: ['prod/12:Shopify orders:rule 0', 'prod/13:Shopify test store:rule 1'], leftOut: [] },
  ],
  [
    'a flow every including rule excludes is left out, naming the last of them',
    rules({ include: ['Shopify*'], exclude: ['*test*'] }, { include: ['*store'], exclude: ['*TEST*'] }),
    [SHOPIFY_TEST],
    [],
    { watched: [], leftOut: ['prod/13:Shopify test store:excluded by rule 1'] },
  ],
  [
    'a rule that excludes a flow it never included is not named',
    rules({ include: ['Shopify*'], exclude: ['*test*'] }, { include: ['Stripe*'], exclude: ['*'] }),
    [SHOPIFY_TEST],
    [],
    { watched: [], leftOut: ['prod/13:Shopify test store:excluded by rule 0'] },
  ],
  [
    'ids include a flow whatever its name',
    rules({ ids: [14, 15] }),
    [SHOPIFY, STRIPE, NAMELESS],
    [],
    { watched: ['prod/14:Stripe charges:rule 0', 'prod/15:Flow 15:rule 0'], leftOut: ['prod/12:Shopify orders:no rule includes it'] },
  ],
  [
    'ids and include together: either includes',
    rules({ include: ['Shopify*'], ids: [14] }),
    [SHOPIFY, STRIPE, NAMELESS],
    [],
    { watched: ['prod/12:Shopify orders:rule 0', 'prod/14:Stripe charges:rule 0'], leftOut: ['prod/15:Flow 15:no rule includes it'] },
  ],
  [
    'exclude holds for a flow included by id too',
    rules({ ids: [13], exclude: ['*test*'] }),
    [SHOPIFY_TEST],
    [],
    { watched: [], leftOut: ['prod/13:Shopify test store:excluded by rule 0'] },
  ],
  [
    'a rule looks only at its own account',
    rules({ account: 'staging', include: ['*'] }),
    [SHOPIFY, STAGING_SHOPIFY],
    [],
    { watched: ['staging/12:Shopify orders:rule 0'], leftOut: ['prod/12:Shopify orders:no rule includes it'] },
  ],
  [
    'a rule of another account is passed over, the next one of this account applies',
    rules({ account: 'staging', include: ['Shopify*'] }, { include: ['Shopify*'] }),
    [SHOPIFY, STAGING_SHOPIFY],
    [],
    { watched: ['prod/12:Shopify orders:rule 1', 'staging/12:Shopify orders:rule 0'], leftOut: [] },
  ],
  [
    'a flow listed under flows: is never discovered, even by id',
    rules({ include: ['*'], ids: [12] }),
    [SHOPIFY, STRIPE],
    [{ account: 'prod', id: 12 }],
    { watched: ['prod/14:Stripe charges:rule 0'], leftOut: [], explicit: ['prod/12:Shopify orders:in Portable'] },
  ],
  [
    'flows: holds only in its own account',
    rules({ account: 'staging', include: ['*'] }),
    [STAGING_SHOPIFY],
    [{ account: 'prod', id: 12 }],
    { watched: ['staging/12:Shopify orders:rule 0'], leftOut: [], explicit: ['prod/12:Flow 12:not in Portable'] },
  ],
  [
    "an explicit flow's config name wins over Portable's",
    rules(),
    [SHOPIFY],
    [{ account: 'prod', id: 12, name: 'Orders' }],
    { watched: [], leftOut: [], explicit: ['prod/12:Orders:in Portable'] },
  ],
  [
    'include "*" takes every flow of the account, one without a name too',
    rules({ include: ['*'] }),
    [SHOPIFY, SHOPIFY_TEST, STRIPE, NAMELESS],
    [],
    {
      watched: ['prod/12:Shopify orders:rule 0', 'prod/13:Shopify test store:rule 0', 'prod/14:Stripe charges:rule 0', 'prod/15:Flow 15:rule 0'],
      leftOut: [],
    },
  ],
  [
    'globs ignore case',
    rules({ include: ['SHOPIFY ORDERS', 'stripe*'] }),
    [SHOPIFY, STRIPE],
    [],
    { watched: ['prod/12:Shopify orders:rule 0', 'prod/14:Stripe charges:rule 0'], leftOut: [] },
  ],
  [
    'a glob matches the whole name, not a part',
    rules({ include: ['Shopify', 'orders*', 'charges'] }),
    [SHOPIFY, STRIPE],
    [],
    { watched: [], leftOut: ['prod/12:Shopify orders:no rule includes it', 'prod/14:Stripe charges:no rule includes it'] },
  ],
  [
    'a flow without a name is not matched by its stand-in name',
    rules({ include: ['Flow*'] }),
    [NAMELESS, flow(16, '   ')],
    [],
    { watched: [], leftOut: ['prod/15:Flow 15:no rule includes it', 'prod/16:Flow 16:no rule includes it'] },
  ],
  [
    'exclude "*" leaves a nameless flow out as well',
    rules({ ids: [15], exclude: ['*'] }),
    [NAMELESS],
    [],
    { watched: [], leftOut: ['prod/15:Flow 15:excluded by rule 0'] },
  ],
  [
    'no rules: every flow is left out',
    [],
    [SHOPIFY, NAMELESS],
    [],
    { watched: [], leftOut: ['prod/12:Shopify orders:no rule includes it', 'prod/15:Flow 15:no rule includes it'] },
  ],
  [
    'a flow listed twice is watched once',
    rules({ include: ['*'] }),
    [SHOPIFY, STRIPE, flow(12, 'Shopify orders (again)')],
    [],
    { watched: ['prod/12:Shopify orders:rule 0', 'prod/14:Stripe charges:rule 0'], leftOut: [] },
  ],
];

describe('matchDiscovery', () => {
  it.each(CASES)('%s', (_name, ruleList, listed, explicit, expected) => {
    expect(summary(matchDiscovery({ rules: ruleList, listed, explicit }))).toEqual({ explicit: [], ...expected });
  });

  it('tries rules by their index, whatever order they are passed in', () => {
    const [first, second] = rules({ include: ['Shopify*'] }, { include: ['*'] }) as [DiscoverRule, DiscoverRule];
    const match = matchDiscovery({ rules: [second, first], listed: [SHOPIFY], explicit: [] });
    expect(match.watched).toEqual([{ account: 'prod', id: 12, name: 'Shopify orders', rule: 0 }]);
  });
});

describe('discoveredFlowConfig', () => {
  it("gives a discovered flow its rule's settings, Portable's id and name", () => {
    const config = discoveredFlowConfig({ account: 'prod', id: 12, name: 'Shopify orders', rule: 0 }, PARSED);
    const { id, name, ...settings } = config;
    expect({ id, name }).toEqual({ id: 12, name: 'Shopify orders' });
    expect(settings).toEqual((PARSED[0] as DiscoverRule).template);
    expect(settings.maxRuntime).toBe(3 * 60 * 60 * 1000);
    // With named accounts every flow carries its account as a label (routes and silences match on it).
    expect(settings.labels).toEqual({ team: 'shop', account: 'prod' });
  });

  it('takes the settings of the rule the flow names, not the first', () => {
    const config = discoveredFlowConfig({ account: 'prod', id: 7, name: 'Flow 7', rule: 1 }, PARSED);
    expect(config.labels).toEqual({ account: 'prod' });
    expect(config.maxRuntime).not.toBe(3 * 60 * 60 * 1000);
  });

  it('refuses a rule index the config lacks', () => {
    expect(() => discoveredFlowConfig({ account: 'prod', id: 7, name: 'Flow 7', rule: 5 }, PARSED)).toThrow(/rule 5/);
  });
});

describe('describeRule', () => {
  it.each([
    [{ include: ['Shopify*'], ids: [] }, 'include "Shopify*"'],
    [{ include: ['Shopify*', 'Stripe*'], ids: [7, 8] }, 'include "Shopify*", "Stripe*"; ids 7, 8'],
    [{ include: [], ids: [7] }, 'ids 7'],
  ])('%j reads %s', (rule, text) => {
    expect(describeRule(rule)).toBe(text);
  });
});
