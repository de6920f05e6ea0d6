/*
 * Which flow of which Portable account. Everything kept per flow (state in Redis, its check's schedule, alert keys,
 * metrics, status rows) is keyed by both: two accounts may each have a flow 42.
 */

/** The account `portable:` describes, and the one every installation watched before `accounts:` existed. */
export const DEFAULT_ACCOUNT = 'default';

export interface FlowRef {
  account: string;
  id: number;
}

/** Between an account name and a flow id in a flow key: in no account name, nor in Redis' or BullMQ's separators. */
const SEPARATOR = '~';

/**
 * The flow's key in Redis key names, job ids and alert keys. A flow of the default account keeps the bare id that
 * versions before accounts wrote, so an installation upgrades in place: its state, schedules and alert keys are read
 * as they are. Another account's flow is `prod~42`.
 */
export function flowKey(ref: FlowRef): string {
  return ref.account === DEFAULT_ACCOUNT ? String(ref.id) : `${ref.account}${SEPARATOR}${ref.id}`;
}

/** The inverse of flowKey; undefined for a string no flow key looks like. */
export function parseFlowKey(key: string): FlowRef | undefined {
  const match = /^(?:([A-Za-z0-9_-]+)~)?([1-9]\d*)$/.exec(key);
  if (match === null) return undefined;
  const id = Number(match[2]);
  if (!Number.isSafeInteger(id)) return undefined;
  return { account: match[1] ?? DEFAULT_ACCOUNT, id };
}

/** A flow key (see flowKey): the bare id for the default account, `prod~42` for another. */
export type FlowKey = string;

/** The key of the flow an alert or a target is about; an absent account is the default one. */
export function flowKeyOf(flow: { id: number; account?: string | undefined }): FlowKey {
  return flowKey({ account: flow.account ?? DEFAULT_ACCOUNT, id: flow.id });
}

export function sameFlow(a: FlowRef, b: FlowRef): boolean {
  return a.account === b.account && a.id === b.id;
}
