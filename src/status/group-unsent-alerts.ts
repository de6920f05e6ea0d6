import { flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import { COUNT_FIELD, type UnsentAlert } from '../delivery/read-unsent-alerts.ts';
import type { OtherUnsentCount, UnsentCount } from './flow-status.ts';

/**
 * Counts unsent alerts per listed flow and notifier, and the rest (account- and installation-wide alerts, flows
 * the config does not list) per scope, flow and notifier. Notifiers in name order; the rest account first, then
 * installation, then by flow id.
 */
export function groupUnsentAlerts(
  alerts: readonly UnsentAlert[],
  listedFlows: readonly FlowKey[],
): { byFlow: Map<FlowKey, UnsentCount[]>; others: OtherUnsentCount[] } {
  const listed = new Set(listedFlows);
  const byFlow = new Map<FlowKey, Map<string, UnsentCount>>();
  const others = new Map<string, OtherUnsentCount>();
  for (const alert of alerts) {
    const flowId = alert.flow === null ? undefined : flowKeyOf(alert.flow);
    let count: UnsentCount | undefined;
    if (flowId !== undefined && listed.has(flowId)) {
      const notifiers = byFlow.get(flowId) ?? new Map<string, UnsentCount>();
      byFlow.set(flowId, notifiers);
      count = notifiers.get(alert.notifier) ?? { notifier: alert.notifier, waiting: 0, retrying: 0, givenUp: 0 };
      notifiers.set(alert.notifier, count);
    } else {
      const group = JSON.stringify([alert.scope, flowId ?? null, alert.notifier]);
      const other = others.get(group) ?? { scope: alert.scope, flow: alert.flow, notifier: alert.notifier, waiting: 0, retrying: 0, givenUp: 0 };
      others.set(group, other);
      count = other;
    }
    count[COUNT_FIELD[alert.state]] += 1;
  }
  const byName = (first: UnsentCount, second: UnsentCount) => first.notifier.localeCompare(second.notifier);
  const scopeOrder = { account: 0, installation: 1, flow: 2 } as const;
  return {
    byFlow: new Map([...byFlow].map(([flowId, notifiers]) => [flowId, [...notifiers.values()].sort(byName)])),
    others: [...others.values()].sort(
      (first, second) => scopeOrder[first.scope] - scopeOrder[second.scope] || (first.flow?.id ?? 0) - (second.flow?.id ?? 0) || byName(first, second),
    ),
  };
}
