import { describe, expect, it } from 'vitest';
import type { RouteKind } from '../../src/alerts/alert.ts';
import type { FlowConfig } from '../../src/config/config-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { alertableKinds, describeRoute, flowRouting, notifiersOfConfig, routeFlow, type RoutedFlow } from '../../src/routing/route-flow.ts';
import type { RouteRule } from '../../src/routing/route-types.ts';

/** Where each kind of a flow's alerts goes (pure): one table row per rule of routing the issue states. */

const growth: RoutedFlow = { id: 7, labels: { team: 'growth', tier: 'critical' }, notify: [], notifySource: 'defaults' };
const route = (rule: Partial<RouteRule> & Pick<RouteRule, 'notify'>): RouteRule => ({ match: {}, continue: false, ...rule });

/** `notifier/severity/because` for one kind, compact enough to read in a table. */
function destinations(flow: RoutedFlow, routes: RouteRule[], kind: RouteKind): string[] {
  return routeFlow(flow, routes)[kind].map(({ notifier, severity, because }) => `${notifier}/${severity}/${because}`);
}

describe('routeFlow', () => {
  it.each<[string, RoutedFlow, RouteRule[], RouteKind, string[]]>([
    ['no routes: the flow\'s own notify, default severity', { ...growth, notify: ['a'], notifySource: 'flow' }, [], 'failed', ["a/critical/the flow's notify"]],
    ['no routes: defaults.notify, named as such', { ...growth, notify: ['a'] }, [], 'partial', ['a/warning/defaults.notify']],
    ['a matching route, then the flow\'s notify added', { ...growth, notify: ['a'] }, [route({ match: { team: ['growth'] }, notify: ['g'] })], 'failed', ['g/critical/routes[0] (match team=growth)', 'a/critical/defaults.notify']],
    ['the first match ends the walk', growth, [route({ notify: ['first'] }), route({ notify: ['second'] })], 'stalled', ['first/critical/routes[0] (every flow)']],
    ['continue: true reads on', growth, [route({ notify: ['first'], continue: true }), route({ notify: ['second'] }), route({ notify: ['third'] })], 'stalled', ['first/critical/routes[0] (every flow)', 'second/critical/routes[1] (every flow)']],
    ['a route whose match fails is skipped, even with continue', growth, [route({ match: { team: ['data'] }, notify: ['data'] }), route({ notify: ['all'] })], 'failed', ['all/critical/routes[1] (every flow)']],
    ['one value of a list is enough', growth, [route({ match: { team: ['data', 'growth'] }, notify: ['g'] })], 'failed', ['g/critical/routes[0] (match team=data|growth)']],
    ['every key must hold', growth, [route({ match: { team: ['growth'], tier: ['low'] }, notify: ['g'] })], 'failed', []],
    ['a label the flow lacks never matches', growth, [route({ match: { env: ['prod'] }, notify: ['g'] })], 'failed', []],
    ['kinds limit the route', growth, [route({ kinds: ['failed', 'stalled'], notify: ['g'] })], 'missed', []],
    ['kinds hold the kind', growth, [route({ kinds: ['failed', 'missed'], notify: ['g'] })], 'missed', ['g/critical/routes[0] (every flow; kinds failed, missed)']],
    ['severity matches the kind\'s default severity', growth, [route({ match: { severity: ['warning'] }, notify: ['w'] })], 'volume', ['w/warning/routes[0] (match severity=warning)']],
    ['severity: a critical kind is no warning', growth, [route({ match: { severity: ['warning'] }, notify: ['w'] })], 'failed', []],
    ['a route\'s severity overrides the default', growth, [route({ kinds: ['partial'], notify: ['p'], severity: 'critical' })], 'partial', ['p/critical/routes[0] (every flow; kinds partial)']],
    [
      'one destination per notifier: the first found wins',
      { ...growth, notify: ['a'], notifySource: 'flow' },
      [route({ notify: ['a'], severity: 'info', continue: true }), route({ notify: ['a', 'b'] })],
      'failed',
      ['a/info/routes[0] (every flow)', 'b/critical/routes[1] (every flow)'],
    ],
  ])('%s', (_name, flow, routes, kind, expected) => {
    expect(destinations(flow, routes, kind)).toEqual(expected);
  });

  it('routes every kind, monitor errors included', () => {
    expect(Object.keys(routeFlow(growth, [route({ notify: ['a'] })]))).toEqual(['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome', 'monitor-error']);
  });
});

describe('describeRoute', () => {
  it('names the route by its index, with its match and kinds', () => {
    expect(describeRoute(route({ match: { team: ['growth'], tier: ['1', '2'] }, kinds: ['failed', 'stalled'], notify: ['a'] }), 2)).toBe(
      'routes[2] (match team=growth, tier=1|2; kinds failed, stalled)',
    );
  });
});

describe('flowRouting', () => {
  it('is routeFlow without the reasons', () => {
    const routing = flowRouting({ ...growth, notify: ['a'] }, [route({ kinds: ['volume'], notify: ['v'], severity: 'info' })]);
    expect(routing.volume).toEqual([
      { notifier: 'v', severity: 'info' },
      { notifier: 'a', severity: 'warning' },
    ]);
    expect(routing.failed).toEqual([{ notifier: 'a', severity: 'critical' }]);
  });
});

describe('alertableKinds', () => {
  it.each<[FlowConfig['detect'], RouteKind[]]>([
    [['failed'], ['failed', 'monitor-error']],
    [['volume', 'failed'], ['failed', 'volume', 'monitor-error']],
    [['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome'], ['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome', 'monitor-error']],
  ])('%j can alert %j', (detect, kinds) => {
    expect(alertableKinds(detect)).toEqual(kinds);
  });
});

describe('notifiersOfConfig', () => {
  it('lists every notifier some kind some flow can alert reaches, and only those', () => {
    const text = [
      'portable: { token: t }',
      'notifiers: { a: { type: console }, b: { type: console }, c: { type: console }, unused: { type: console }, volume-only: { type: console } }',
      'routes:',
      '  - { match: { team: growth }, notify: [b] }',
      '  - { kinds: [volume], notify: [volume-only] }',
      'flows:',
      '  - { id: 1, notify: [a], labels: { team: growth } }',
      '  - { id: 2, notify: [c], detect: [failed] }',
    ].join('\n');
    const result = parseConfig(text, {}, 'flows.yaml');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    // volume-only: flow 1 routes volume to b first (no continue), flow 2 does not detect volume drops.
    expect(notifiersOfConfig(result.config)).toEqual(['b', 'a', 'c']);
  });
});
