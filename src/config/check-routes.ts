import { DETECT_KINDS, type RouteKind } from '../alerts/alert.ts';
import { alertableKinds, routeFlow } from '../routing/route-flow.ts';
import type { RouteRule } from '../routing/route-types.ts';
import { nearestKey } from './closed-object.ts';
import type { ConfigPath } from './config-path.ts';
import { detectSchema } from './detection-settings.ts';
import type { ConfigIssue } from './describe-issue.ts';
import { labelsSchema } from './noise-settings.ts';
import { routesSchema } from './route-settings.ts';
import { flowIdSchema } from './setting-values.ts';

/*
 * The rules of check-references.ts that concern labels, routes and maintenance windows: a route or a window may
 * name only label keys some flow has and flow ids listed under flows:, window names are unique, and every kind of
 * alert every flow can raise reaches someone. Like check-references.ts they read the raw data, each part through
 * its own schema, and skip what the schema refuses: it says so itself.
 */

export function checkRoutes(data: Record<string, unknown>, flows: readonly unknown[]): ConfigIssue[] {
  const rules = listOf(data.discover);
  return [
    ...unknownLabelKeys(data, [...flows, ...rules]),
    ...unknownWindowFlows(data, flows),
    ...duplicateWindowNames(data),
    ...unroutedFlows(data, flows, 'flows'),
    ...unroutedFlows(data, rules, 'discover'),
  ];
}

/**
 * With several accounts (or a named one) every flow carries the label `account` (config-schema.ts): routes, silences
 * and windows match on it. A flow's own, or else the only account's name.
 */
function accountLabel(data: Record<string, unknown>, flow: Record<string, unknown>): Record<string, string> {
  const named = isRecord(data.accounts) ? Object.keys(data.accounts) : [];
  if (named.length === 0) return {};
  const names = [...(data.portable == null ? [] : ['default']), ...named];
  const account = typeof flow.account === 'string' ? flow.account : names.length === 1 ? names[0] : undefined;
  return account === undefined ? {} : { account };
}

/** A match on a label no flow has can never hold: most likely a typo, which would silently route nothing. */
function unknownLabelKeys(data: Record<string, unknown>, flows: readonly unknown[]): ConfigIssue[] {
  // As written, so that one malformed label elsewhere does not make every match on its key look like a typo.
  const known = [...new Set([data.defaults, ...flows].flatMap((section) => (isRecord(section) && isRecord(section.labels) ? Object.keys(section.labels) : [])))];
  if (isRecord(data.accounts) && Object.keys(data.accounts).length > 0) known.push('account');
  const help = (key: string) => {
    const nearest = nearestKey(key, known);
    const hint = nearest === undefined ? '' : `did you mean "${nearest}"? `;
    if (known.length === 0) return '(no flow has labels yet: add labels: to the flows, or under defaults:)';
    return `(${hint}labels in use: ${known.join(', ')})`;
  };
  const places: [ConfigPath, unknown][] = [
    ...listOf(data.routes).map((route, index): [ConfigPath, unknown] => [['routes', index, 'match'], isRecord(route) ? route.match : undefined]),
    ...listOf(data.maintenance).map((window, index): [ConfigPath, unknown] => [
      ['maintenance', index, 'flows', 'labels'],
      isRecord(window) && isRecord(window.flows) ? window.flows.labels : undefined,
    ]),
  ];
  return places.flatMap(([path, match]) =>
    Object.keys(isRecord(match) ? match : {})
      .filter((key) => key !== 'severity' || path[0] !== 'routes')
      .filter((key) => !known.includes(key))
      .map((key) => ({ path: [...path, key], message: `no flow has the label ${JSON.stringify(key)} ${help(key)}` })),
  );
}

function unknownWindowFlows(data: Record<string, unknown>, flows: readonly unknown[]): ConfigIssue[] {
  const ids = new Set(flows.flatMap((flow) => (isRecord(flow) ? [flowIdSchema.safeParse(flow.id).data] : [])));
  return listOf(data.maintenance).flatMap((window, index) => {
    const listed = isRecord(window) && isRecord(window.flows) ? listOf(window.flows.ids) : [];
    return listed.flatMap((id, position) => {
      const parsed = flowIdSchema.safeParse(id);
      if (!parsed.success || ids.has(parsed.data)) return [];
      const message = '{value} is not the id of a flow under flows: (list the flow there, or remove the id)';
      return [{ path: ['maintenance', index, 'flows', 'ids', position], message }];
    });
  });
}

/** A window is named in what it holds (`maintenance window "warehouse upgrade"`), so two of one name confuse. */
function duplicateWindowNames(data: Record<string, unknown>): ConfigIssue[] {
  const firstIndex = new Map<string, number>();
  return listOf(data.maintenance).flatMap((window, index) => {
    const name = isRecord(window) && typeof window.name === 'string' ? window.name.trim() : '';
    const first = firstIndex.get(name);
    if (name === '') return [];
    if (first === undefined) firstIndex.set(name, index);
    if (first === undefined) return [];
    return [{ path: ['maintenance', index, 'name'], message: `{value} is also the name of maintenance[${first}] (give each window its own name)` }];
  });
}

const allRules = detectSchema('');

/**
 * A flow whose alerts would reach nobody would be checked and its failures detected, and nobody told: the worst
 * way to be blind. Each kind it can alert (its detect rules, and monitor errors) must reach some notifier, from a
 * route or from its notify (its own wins over defaults.notify, even when empty).
 */
function unroutedFlows(data: Record<string, unknown>, flows: readonly unknown[], section: 'flows' | 'discover'): ConfigIssue[] {
  const parsedRoutes = routesSchema.safeParse(data.routes ?? []);
  // Malformed routes: who they reach is unknown until the schema's problems are fixed, so only flows that rely
  // on none (their notify covers every kind) could be judged, and those are never refused anyway.
  if (!parsedRoutes.success) return [];
  const routes: readonly RouteRule[] = parsedRoutes.data;
  const defaults = isRecord(data.defaults) ? data.defaults : data.defaults == null ? {} : undefined;
  if (defaults === undefined) return [];
  const notifiers = data.notifiers ?? {};
  const defined = isRecord(notifiers) ? Object.keys(notifiers) : [];
  const help = defined.length > 0 ? ` (defined: ${defined.join(', ')})` : ' (none are defined yet: add one under notifiers:)';
  const issues: ConfigIssue[] = [];
  flows.forEach((flow, index) => {
    const unrouted = unroutedKinds(flow, defaults, routes, isRecord(flow) ? accountLabel(data, flow) : {});
    if (unrouted === undefined || unrouted.unreached.length === 0) return;
    const whose = section === 'flows' ? 'its' : 'the alerts of the flows it finds:';
    const message =
      unrouted.unreached.length === unrouted.kinds.length
        ? section === 'flows'
          ? `its alerts would reach nobody; add notify: [...] here or under defaults${help}`
          : `the alerts of the flows it finds would reach nobody; add notify: [...] here or under defaults${help}`
        : `${whose} ${joinWords(unrouted.unreached)} alerts would reach nobody: no route matches them and it has no notify (add notify: or a route)`;
    issues.push({ path: [section, index], message });
  });
  return issues;
}

/** The kinds the flow can alert and those that reach nobody; undefined when the flow is too malformed to tell. */
function unroutedKinds(
  flow: unknown,
  defaults: Record<string, unknown>,
  routes: readonly RouteRule[],
  account: Record<string, string>,
): { kinds: RouteKind[]; unreached: RouteKind[] } | undefined {
  if (!isRecord(flow)) return undefined;
  const notify = flow.notify === undefined ? (defaults.notify ?? []) : flow.notify;
  // Anything but a list is malformed, and the schema says so.
  if (!Array.isArray(notify)) return undefined;
  const detect = allRules.safeParse(flow.detect ?? defaults.detect ?? [...DETECT_KINDS]);
  const labels = { ...labelsOf(defaults), ...labelsOf(flow), ...account };
  if (!detect.success || labelsOf(defaults) === undefined || labelsOf(flow) === undefined) return undefined;
  const names = notify.filter((name): name is string => typeof name === 'string');
  const routing = routeFlow({ id: 0, labels, notify: names, notifySource: 'flow' }, routes);
  const kinds = alertableKinds(detect.data);
  return { kinds, unreached: kinds.filter((kind) => routing[kind].length === 0) };
}

/** A section's labels as the schema reads them: {} when it has none, undefined when they are malformed. */
function labelsOf(section: unknown): Record<string, string> | undefined {
  if (!isRecord(section)) return section == null ? {} : undefined;
  const labels = labelsSchema.safeParse(section.labels);
  return labels.success ? labels.data : undefined;
}

/** `stalled`, `stalled and missed`, `stalled, missed and volume`. */
function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
