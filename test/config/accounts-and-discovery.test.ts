import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/** `accounts:`, `account:` on flows and rules, and `discover:`: what the file accepts, and what it refuses with a fix. */

const NOTIFIERS = 'notifiers: { oncall: { type: console }, team: { type: console } }\ndefaults: { notify: [oncall] }';

function parse(...sections: string[]) {
  return parseConfig([NOTIFIERS, ...sections].join('\n'), {}, 'flows.yaml');
}

function problems(...sections: string[]): string[] {
  const result = parse(...sections);
  return result.ok ? [] : result.problems;
}

describe('accounts', () => {
  it('portable: alone is the account default, and flows carry no account label', () => {
    const result = parse('portable: { token: t }', 'flows: [{ id: 1 }]');
    expect(result).toMatchObject({ ok: true, config: { accounts: { default: { token: 't', apiUrl: 'https://api.portable.io' } }, flows: [{ id: 1, account: 'default', labels: {} }] } });
  });

  it('one named account is every flow\'s, and its flows carry it as the label account', () => {
    const result = parse('accounts: { prod: { token: p, flowUrl: "https://app.portable.io/flows/{id}" } }', 'flows: [{ id: 1, labels: { team: data } }]');
    expect(result).toMatchObject({ ok: true, config: { accounts: { prod: { token: 'p' } }, flows: [{ id: 1, account: 'prod', labels: { team: 'data', account: 'prod' } }] } });
  });

  it('portable: beside accounts: is the account default among them; the same id in two accounts is two flows', () => {
    const result = parse('portable: { token: t }', 'accounts: { staging: { token: s } }', 'flows: [{ id: 1, account: default }, { id: 1, account: staging }]');
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.flows.map((flow) => [flow.account, flow.id, flow.labels.account])).toEqual([
      ['default', 1, 'default'],
      ['staging', 1, 'staging'],
    ]);
  });

  it.each([
    [['flows: [{ id: 1 }]'], ['portable: is required (add portable: with token: ${PORTABLE_API_TOKEN})']],
    [['accounts: {}', 'flows: [{ id: 1 }]'], ['accounts: is empty (name at least one account: accounts: { prod: { token: ${PORTABLE_PROD_TOKEN} } })']],
    [['portable: { token: t }', 'accounts: { default: { token: d } }', 'flows: [{ id: 1 }]'], ['accounts.default: is the account portable: already describes (keep one of the two)']],
    [
      ['accounts: { prod: { token: p }, staging: { token: s } }', 'flows: [{ id: 1 }]'],
      ['flows[0].account: is required when there are several accounts (one of: prod, staging)'],
    ],
    [['accounts: { prod: { token: p }, staging: { token: s } }', 'flows: [{ id: 1, account: prdo }]'], ['flows[0].account: no account named "prdo" (accounts: prod, staging)']],
    [['accounts: { prod: { token: p } }', 'flows: [{ id: 1 }, { id: 1, account: prod }]'], ['flows[1].id: 1 is also the id of flows[0] (list each flow once)']],
    [['accounts: { "prod env": { token: p } }', 'flows: [{ id: 1 }]'], ['accounts["prod env"]: an account name may hold only letters (a-z, A-Z), digits, - and _ (rename it, and every account: that names it)']],
    [['accounts: { prod: { apiUrl: "https://api.portable.io" } }', 'flows: [{ id: 1 }]'], ['accounts.prod.token: is required (add token: ${PORTABLE_API_TOKEN})']],
  ])('refuses %j', (sections, expected) => {
    expect(problems(...sections)).toEqual(expected);
  });

  it('routes may match on account once there are accounts, and only then', () => {
    const route = 'routes: [{ match: { account: staging }, notify: [team] }]';
    expect(problems('portable: { token: t }', 'accounts: { staging: { token: s } }', route, 'flows: [{ id: 1, account: staging }]')).toEqual([]);
    expect(problems('portable: { token: t }', route, 'flows: [{ id: 1 }]')).toEqual(['routes[0].match.account: no flow has the label "account" (no flow has labels yet: add labels: to the flows, or under defaults:)']);
  });
});

describe('discover', () => {
  it('takes rules with any flow setting, and no flows: at all', () => {
    const result = parse(
      'portable: { token: t }',
      'discover:',
      '  - { include: "Shopify*", exclude: ["*test*", "*sandbox*"], labels: { team: growth }, maxRuntime: 30m }',
      '  - { ids: [12, 14], notify: [team] }',
      'discoverEvery: 1m',
      'discoverNotify: [team]',
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result).toMatchObject({
      ok: true,
      config: {
        flows: [],
        discoverEvery: 60_000,
        discoverNotify: ['team'],
        discover: [
          { index: 0, account: 'default', include: ['Shopify*'], exclude: ['*test*', '*sandbox*'], ids: [], template: { maxRuntime: 1_800_000, labels: { team: 'growth' }, notify: ['oncall'] } },
          { index: 1, account: 'default', include: [], ids: [12, 14], template: { notify: ['team'], maxRuntime: 7_200_000 } },
        ],
      },
    });
  });

  it.each([
    [['discover: [{ exclude: "*test*" }]'], ['discover[0].include: is required, or ids: (which flows does the rule watch? include: "*" watches every flow)']],
    [['discover: [{ include: "*", name: Orders }]'], ['discover[0].name: names come from Portable for discovered flows (list the flow under flows: to give it a name)']],
    [['discover: [{ include: [] }]'], ['discover[0].include: is empty (list at least one glob, or remove the key)']],
    [['discover: [{ include: "*" }]', 'discoverEvery: 5s'], ['discoverEvery: must be at least 10s, got "5s"']],
    [['discover: [{ include: "*" }]', 'discoverNotify: [pager]'], ['discoverNotify[0]: no notifier named "pager" (defined: oncall, team)']],
    [['discover: [{ include: "*", notify: [], detect: [failed] }]'], ['discover[0]: the alerts of the flows it finds would reach nobody; add notify: [...] here or under defaults (defined: oncall, team)']],
    [['flows: []'], ['flows: is empty (list at least one flow to watch, or find them with discover: [{ include: "*" }])']],
  ])('refuses %j', (sections, expected) => {
    expect(problems('portable: { token: t }', ...sections)).toEqual(expected);
  });

  it('asks each rule for its account when there are several', () => {
    expect(problems('portable: { token: t }', 'accounts: { staging: { token: s } }', 'discover: [{ include: "*" }, { include: "*", account: stagign }]')).toEqual([
      'discover[0].account: is required when there are several accounts (one of: default, staging)',
      'discover[1].account: no account named "stagign" (did you mean "staging"?)',
    ]);
  });
});
