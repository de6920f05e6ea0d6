/**
 * The simulator's accounts: each a bearer token with a flow store of its own, so one server stands in for
 * several Portable accounts. The same flow id in two accounts is two flows that never mix; attempt ids come
 * from one sequence, so they stay unique across accounts, as Portable's are.
 *
 * An account is named by a label (`account-1`, …) in logs, counters and fault scopes, never by its token:
 * tests print those, and the label survives a token rotation.
 */
import type { Fault, FaultPlan, FaultScope } from './fault-plan.ts';
import {
  createFlowStore,
  type AttemptIds,
  type AttemptInput,
  type AttemptPatch,
  type FlowInput,
  type FlowStore,
  type SimulatedAttempt,
  type SimulatedFlow,
} from './flow-store.ts';
import type { LoggedRequest, RequestCounters, RequestFilter } from './request-counters.ts';

/** One account's flows, token, faults and counters. */
export interface SimulatedAccount {
  readonly label: string;
  /** Adds (or redefines, keeping attempts) a flow. */
  addFlow(input: FlowInput): SimulatedFlow;
  removeFlow(flowId: number): boolean;
  getFlow(flowId: number): SimulatedFlow | undefined;
  /** In the order GET /v2/flows serves them. */
  listFlows(): SimulatedFlow[];
  /** Adds an attempt (default: running, created now) and returns it; throws for an unknown flow. */
  addAttempt(flowId: number, input?: AttemptInput): SimulatedAttempt;
  updateAttempt(flowId: number, attemptId: number, patch: AttemptPatch): SimulatedAttempt;
  getAttempt(flowId: number, attemptId: number): SimulatedAttempt | undefined;
  /** Rotates the token, or revokes it with ''; the flows stay. */
  setToken(token: string): void;
  /** A fault for this account's requests only; returns an id for the simulator's removeFault. */
  injectFault(fault: Fault, scope?: Omit<FaultScope, 'account'>): number;
  /** Requests that carried this account's token. */
  requestCount(filter?: Omit<RequestFilter, 'account'>): number;
  /** This account's requests among the simulator's most recent ones, oldest first. */
  requestLog(): LoggedRequest[];
}

interface AccountRecord {
  readonly label: string;
  token: string;
  readonly store: FlowStore;
}

export interface AccountEntry extends AccountRecord {
  readonly view: SimulatedAccount;
}

export interface AccountBook {
  /** The account of the token given at creation; it cannot be removed. */
  readonly first: AccountEntry;
  add(token: string, label?: string): AccountEntry;
  /** By its current token; throws for an unknown one. */
  get(token: string): AccountEntry;
  remove(token: string): boolean;
  /** The account an `Authorization: Bearer …` header names, if any. */
  authorise(header: string | undefined): AccountEntry | undefined;
}

export interface AccountBookOptions {
  now: () => number;
  token: string;
  label?: string | undefined;
  faults: FaultPlan;
  counters: RequestCounters;
}

export function createAccountBook(options: AccountBookOptions): AccountBook {
  const attemptIds: AttemptIds = { next: 700_000 };
  // A handful of accounts at most: a scan per request costs nothing, and no index can go stale on setToken.
  const entries: AccountEntry[] = [];
  let created = 0;

  function claimToken(token: string, owner: AccountRecord | undefined): void {
    // Tokens are never echoed in errors: a test runner prints them.
    if (token !== '' && entries.some((entry) => entry !== owner && entry.token === token)) {
      throw new Error('simulator: another account already has that token');
    }
  }

  function add(token: string, label?: string): AccountEntry {
    if (token === '') throw new Error('simulator: an account needs a non-empty token');
    claimToken(token, undefined);
    created += 1;
    const name = label ?? `account-${created}`;
    if (entries.some((entry) => entry.label === name)) throw new Error(`simulator: there is already an account ${name}`);
    const record: AccountRecord = { label: name, token, store: createFlowStore(options.now, attemptIds) };
    // One object: the view's setToken changes the token the server checks.
    const entry: AccountEntry = Object.assign(record, { view: scopedView(record, options.faults, options.counters, claimToken) });
    entries.push(entry);
    return entry;
  }

  const first = add(options.token, options.label);
  return {
    first,
    add,
    get(token) {
      const found = token === '' ? undefined : entries.find((entry) => entry.token === token);
      if (found === undefined) throw new Error('simulator: no account has that token');
      return found;
    },
    remove(token) {
      const index = token === '' ? -1 : entries.findIndex((entry) => entry.token === token);
      if (index === -1) return false;
      if (entries[index] === first) throw new Error('simulator: the first account cannot be removed; setToken("") revokes it');
      entries.splice(index, 1);
      return true;
    },
    authorise(header) {
      const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
      if (match === null) return undefined;
      return entries.find((entry) => entry.token !== '' && entry.token === match[1]);
    },
  };
}

function scopedView(
  account: AccountRecord,
  faults: FaultPlan,
  counters: RequestCounters,
  claimToken: (token: string, owner: AccountRecord) => void,
): SimulatedAccount {
  const { store, label } = account;
  return {
    label,
    addFlow: (input) => store.addFlow(input),
    removeFlow: (flowId) => store.removeFlow(flowId),
    getFlow: (flowId) => store.getFlow(flowId),
    listFlows: () => store.listFlows(),
    addAttempt: (flowId, input) => store.addAttempt(flowId, input),
    updateAttempt: (flowId, attemptId, patch) => store.updateAttempt(flowId, attemptId, patch),
    getAttempt: (flowId, attemptId) => store.getAttempt(flowId, attemptId),
    setToken(token) {
      claimToken(token, account);
      account.token = token;
    },
    injectFault: (fault, scope = {}) => faults.inject(fault, { ...scope, account: label }),
    requestCount: (filter = {}) => counters.count({ ...filter, account: label }),
    requestLog: () => counters.log().filter((request) => request.account === label),
  };
}
