import { flowKey, type FlowRef } from '../accounts/flow-ref.ts';

/*
 * What changed between two discoveries, and the messages that say so ("now watching 3 new flows: …", "stopped
 * watching 1 flow: …"). Pure: the caller keeps the previous discovery and decides where the messages go.
 */

/** A flow as the change messages name it. */
export type NamedFlowRef = FlowRef & { name: string };

export interface DiscoveryChanges {
  /** Watched now and not before, in the order of `after`. */
  added: NamedFlowRef[];
  /** Watched before and not now, in the order of `before`. */
  removed: NamedFlowRef[];
}

/** A flow renamed in Portable is neither added nor removed: it is the same flow. Keyed, as accounts may hold 10,000 flows. */
export function discoveryChanges(before: readonly NamedFlowRef[], after: readonly NamedFlowRef[]): DiscoveryChanges {
  const beforeKeys = new Set(before.map(flowKey));
  const afterKeys = new Set(after.map(flowKey));
  return {
    added: after.filter((flow) => !beforeKeys.has(flowKey(flow))),
    removed: before.filter((flow) => !afterKeys.has(flowKey(flow))),
  };
}

/** More than this many names and a message says "… and N more": a chat message, not a listing. */
export const MAX_NAMED_FLOWS = 20;

export interface DescribeOptions {
  /** Whether the installation watches several accounts: then each flow is named with its account (`prod: Orders (12)`). */
  severalAccounts: boolean;
}

/** One message per kind of change, added first; none when nothing changed. */
export function describeDiscoveryChanges(changes: DiscoveryChanges, options: DescribeOptions): string[] {
  const messages: string[] = [];
  const { added, removed } = changes;
  if (added.length > 0) messages.push(`now watching ${count(added.length, 'new flow')}: ${nameList(added, options)}`);
  if (removed.length > 0) {
    messages.push(`stopped watching ${count(removed.length, 'flow')}: ${nameList(removed, options)} (gone from Portable or no longer included)`);
  }
  return messages;
}

function nameList(flows: readonly NamedFlowRef[], options: DescribeOptions): string {
  const named = flows.slice(0, MAX_NAMED_FLOWS).map((flow) => `${options.severalAccounts ? `${flow.account}: ` : ''}${flow.name} (${flow.id})`);
  const rest = flows.length - named.length;
  return rest === 0 ? named.join(', ') : `${named.join(', ')} … and ${rest} more`;
}

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? '' : 's'}`;
}
