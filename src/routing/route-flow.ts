import { DEFAULT_SEVERITY, ROUTE_KINDS, type DetectKind, type RouteKind } from '../alerts/alert.ts';
import type { FlowConfig, WatchConfig } from '../config/config-schema.ts';
import type { Destination, FlowRouting, LabelSet, RouteRule, RoutedDestination } from './route-types.ts';

/*
 * Where each kind of a flow's alerts goes: the routes, read in order, then the flow's own notify. Pure, so the
 * worker, `validate` and `portable-watch routes --flow` can never disagree about it. A recovery goes where the
 * failure it ends went (routeKindOf in alerts/alert.ts), so only the kinds that open incidents are routed.
 */

export type RoutedFlow = Pick<FlowConfig, 'id' | 'labels' | 'notify' | 'notifySource'>;

/** Every kind, each with its destinations: one per notifier, the first found winning, each with why. */
export function routeFlow(flow: RoutedFlow, routes: readonly RouteRule[]): Record<RouteKind, RoutedDestination[]> {
  const routing = {} as Record<RouteKind, RoutedDestination[]>;
  for (const kind of ROUTE_KINDS) routing[kind] = routeKind(flow, routes, kind);
  return routing;
}

/** As routeFlow, without the reasons: what delivery needs. */
export function flowRouting(flow: RoutedFlow, routes: readonly RouteRule[]): FlowRouting {
  const routing = {} as Record<RouteKind, Destination[]>;
  for (const [kind, destinations] of Object.entries(routeFlow(flow, routes)) as [RouteKind, RoutedDestination[]][]) {
    routing[kind] = destinations.map(({ notifier, severity }) => ({ notifier, severity }));
  }
  return routing;
}

/**
 * Every notifier some alert of some flow reaches: who hears about what concerns no single flow (the account's
 * token refused, Redis state lost). In the order first reached, flows in file order.
 */
export function notifiersOfConfig(config: Pick<WatchConfig, 'flows' | 'routes'>): string[] {
  const names = new Set<string>();
  for (const flow of config.flows) {
    const routing = routeFlow(flow, config.routes);
    for (const kind of alertableKinds(flow.detect)) for (const { notifier } of routing[kind]) names.add(notifier);
  }
  return [...names];
}

/** The kinds a flow can alert: its detection rules, and monitor errors, which any flow can have. */
export function alertableKinds(detect: readonly DetectKind[]): RouteKind[] {
  return ROUTE_KINDS.filter((kind) => kind === 'monitor-error' || (detect as readonly RouteKind[]).includes(kind));
}

function routeKind(flow: RoutedFlow, routes: readonly RouteRule[], kind: RouteKind): RoutedDestination[] {
  const found = new Map<string, RoutedDestination>();
  const add = (notifier: string, destination: Omit<RoutedDestination, 'notifier'>) => {
    if (!found.has(notifier)) found.set(notifier, { notifier, ...destination });
  };
  for (const [index, route] of routes.entries()) {
    if (!matches(route, flow.labels, kind)) continue;
    const severity = route.severity ?? DEFAULT_SEVERITY[kind];
    for (const notifier of route.notify) add(notifier, { severity, because: describeRoute(route, index) });
    if (!route.continue) break;
  }
  const because = flow.notifySource === 'flow' ? "the flow's notify" : 'defaults.notify';
  for (const notifier of flow.notify) add(notifier, { severity: DEFAULT_SEVERITY[kind], because });
  return [...found.values()];
}

/** Its kinds hold `kind`, and under every key of its match the flow has one of the values (severity: the kind's). */
function matches(route: RouteRule, labels: LabelSet, kind: RouteKind): boolean {
  if (route.kinds !== undefined && !route.kinds.includes(kind)) return false;
  return Object.entries(route.match).every(([key, values]) => {
    const actual = key === 'severity' ? DEFAULT_SEVERITY[kind] : labels[key];
    return actual !== undefined && values.includes(actual);
  });
}

/** `routes[2] (match team=growth; kinds failed, stalled)`: the route as its reader finds it in the file. */
export function describeRoute(route: RouteRule, index: number): string {
  const match = Object.entries(route.match).map(([key, values]) => `${key}=${values.join('|')}`);
  const parts = [match.length === 0 ? 'every flow' : `match ${match.join(', ')}`];
  if (route.kinds !== undefined) parts.push(`kinds ${route.kinds.join(', ')}`);
  return `routes[${index}] (${parts.join('; ')})`;
}
