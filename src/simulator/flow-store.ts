/**
 * The simulator's data: flows and their run attempts, mutable while the server runs.
 *
 * Sized for the benchmark (10,000 flows, thousands of requests a second): flows live in a Map, and each
 * flow keeps its attempts sorted by (createdAt, id), so a page is a binary search plus a slice — no request
 * costs time in proportion to the number of flows or attempts.
 */
import type { ResourceCounts } from '../portable/run-attempt.ts';

export type Dialect = 'example' | 'schema';

/** Known values, plus any string so tests can serve values the client has never seen (`queued`). */
export type SimulatedLifecycle = 'pending' | 'running' | 'not_running' | (string & {});
export type SimulatedOutcome = 'none' | 'succeeded' | 'failed' | (string & {});
export type SimulatedTrigger = 'scheduled' | 'manual' | 'api' | (string & {});

/** Shorthand for a lifecycle + outcome pair. */
export type SimulatedState = 'pending' | 'running' | 'succeeded' | 'failed' | 'ended';

export interface SimulatedFlow {
  id: number;
  displayName: string;
  dialect: Dialect;
  frequency?: string;
  cron?: string;
}

export interface SimulatedAttempt {
  id: number;
  flowId: number;
  lifecycle: SimulatedLifecycle;
  outcome: SimulatedOutcome;
  trigger: SimulatedTrigger;
  /** Epoch ms. */
  createdAt: number;
  completedAt: number | null;
  resources: ResourceCounts[];
  /** null and undefined render differently in the schema dialect (`null` vs absent). */
  errors: string[] | null | undefined;
  /**
   * Bumped by every update; renderings are cached per revision. Change attempts through updateAttempt
   * only: editing the returned object in place would serve a stale cached rendering.
   */
  revision: number;
}

export interface AttemptInput {
  id?: number;
  /** Sets lifecycle and outcome together; explicit `lifecycle` / `outcome` win over it. Default 'running'. */
  state?: SimulatedState;
  lifecycle?: SimulatedLifecycle;
  outcome?: SimulatedOutcome;
  trigger?: SimulatedTrigger;
  /** Epoch ms; default now(). */
  createdAt?: number;
  /** Epoch ms or null; default now() for a finished state, else null. */
  completedAt?: number | null;
  resources?: ResourceCounts[];
  errors?: string[] | null;
}

export type AttemptPatch = Omit<AttemptInput, 'id'>;

export interface FlowInput {
  id: number;
  displayName?: string;
  /** Default 'example'. */
  dialect?: Dialect;
  frequency?: string;
  cron?: string;
}

export interface AttemptQuery {
  sort: 'asc' | 'desc';
  offset: number;
  /** Infinity returns everything in range. */
  limit: number;
  startTime?: number;
  endTime?: number;
}

interface FlowRecord {
  flow: SimulatedFlow;
  /** Ascending by (createdAt, id). */
  attempts: SimulatedAttempt[];
  byId: Map<number, SimulatedAttempt>;
}

const STATE_FIELDS: Record<SimulatedState, { lifecycle: SimulatedLifecycle; outcome: SimulatedOutcome }> = {
  pending: { lifecycle: 'pending', outcome: 'none' },
  running: { lifecycle: 'running', outcome: 'none' },
  succeeded: { lifecycle: 'not_running', outcome: 'succeeded' },
  failed: { lifecycle: 'not_running', outcome: 'failed' },
  ended: { lifecycle: 'not_running', outcome: 'none' },
};

export interface FlowStore {
  addFlow(input: FlowInput): SimulatedFlow;
  removeFlow(flowId: number): boolean;
  getFlow(flowId: number): SimulatedFlow | undefined;
  listFlows(): SimulatedFlow[];
  addAttempt(flowId: number, input?: AttemptInput): SimulatedAttempt;
  updateAttempt(flowId: number, attemptId: number, patch: AttemptPatch): SimulatedAttempt;
  getAttempt(flowId: number, attemptId: number): SimulatedAttempt | undefined;
  queryAttempts(flowId: number, query: AttemptQuery): SimulatedAttempt[];
  latestAttempt(flowId: number): SimulatedAttempt | undefined;
}

/** The next attempt id to hand out; one sequence may be shared by several stores (the simulator's accounts). */
export interface AttemptIds {
  next: number;
}

export function createFlowStore(now: () => number, attemptIds: AttemptIds = { next: 700_000 }): FlowStore {
  const flows = new Map<number, FlowRecord>();
  // Attempt ids are unique across flows (and, sharing `attemptIds`, across accounts), as Portable's are; the
  // default starts near the published example's.

  function record(flowId: number): FlowRecord {
    const found = flows.get(flowId);
    if (found === undefined) throw new Error(`simulator: no flow ${flowId}`);
    return found;
  }

  return {
    addFlow(input) {
      const flow: SimulatedFlow = { id: input.id, displayName: input.displayName ?? `Flow ${input.id}`, dialect: input.dialect ?? 'example' };
      if (input.frequency !== undefined) flow.frequency = input.frequency;
      if (input.cron !== undefined) flow.cron = input.cron;
      const existing = flows.get(input.id);
      flows.set(input.id, { flow, attempts: existing?.attempts ?? [], byId: existing?.byId ?? new Map<number, SimulatedAttempt>() });
      return flow;
    },
    removeFlow: (flowId) => flows.delete(flowId),
    getFlow: (flowId) => flows.get(flowId)?.flow,
    listFlows: () => [...flows.values()].map((entry) => entry.flow),
    addAttempt(flowId, input = {}) {
      const entry = record(flowId);
      const id = input.id ?? attemptIds.next++;
      if (entry.byId.has(id)) throw new Error(`simulator: flow ${flowId} already has attempt ${id}`);
      if (id >= attemptIds.next) attemptIds.next = id + 1;
      const base = { id, flowId, trigger: 'scheduled', createdAt: now(), resources: [], errors: undefined, revision: 0 };
      const attempt = applyInput(base, input, now);
      entry.byId.set(id, attempt);
      insertSorted(entry.attempts, attempt);
      return attempt;
    },
    updateAttempt(flowId, attemptId, patch) {
      const entry = record(flowId);
      const attempt = entry.byId.get(attemptId);
      if (attempt === undefined) throw new Error(`simulator: flow ${flowId} has no attempt ${attemptId}`);
      const movesInOrder = patch.createdAt !== undefined && patch.createdAt !== attempt.createdAt;
      if (movesInOrder) entry.attempts.splice(indexOf(entry.attempts, attempt), 1);
      Object.assign(attempt, applyInput(attempt, patch, now), { revision: attempt.revision + 1 });
      if (movesInOrder) insertSorted(entry.attempts, attempt);
      return attempt;
    },
    getAttempt: (flowId, attemptId) => flows.get(flowId)?.byId.get(attemptId),
    queryAttempts: (flowId, query) => sliceAttempts(record(flowId).attempts, query),
    latestAttempt: (flowId) => flows.get(flowId)?.attempts.at(-1),
  };
}

type AttemptBase = Omit<SimulatedAttempt, 'lifecycle' | 'outcome' | 'completedAt'> & Partial<SimulatedAttempt>;

function applyInput(base: AttemptBase, input: AttemptPatch, now: () => number): SimulatedAttempt {
  const fromState = input.state === undefined ? undefined : STATE_FIELDS[input.state];
  const lifecycle = input.lifecycle ?? fromState?.lifecycle ?? base.lifecycle ?? 'running';
  const outcome = input.outcome ?? fromState?.outcome ?? base.outcome ?? 'none';
  const finishes = lifecycle === 'not_running' && base.lifecycle !== 'not_running';
  const completedAt = input.completedAt !== undefined ? input.completedAt : finishes ? now() : (base.completedAt ?? null);
  return {
    id: base.id,
    flowId: base.flowId,
    lifecycle,
    outcome,
    trigger: input.trigger ?? base.trigger,
    createdAt: input.createdAt ?? base.createdAt,
    completedAt,
    resources: input.resources ?? base.resources,
    errors: input.errors !== undefined ? input.errors : base.errors,
    revision: base.revision,
  };
}

function compare(a: SimulatedAttempt, b: SimulatedAttempt): number {
  return a.createdAt - b.createdAt || a.id - b.id;
}

/** First index whose attempt sorts at or after `target` (or whose createdAt is >= a bare time). */
function lowerBound(attempts: SimulatedAttempt[], before: (attempt: SimulatedAttempt) => boolean): number {
  let low = 0;
  let high = attempts.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(attempts[middle] as SimulatedAttempt)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function insertSorted(attempts: SimulatedAttempt[], attempt: SimulatedAttempt): void {
  const last = attempts.at(-1);
  // New attempts are almost always the newest: append without searching.
  if (last === undefined || compare(last, attempt) < 0) {
    attempts.push(attempt);
    return;
  }
  attempts.splice(lowerBound(attempts, (other) => compare(other, attempt) < 0), 0, attempt);
}

function indexOf(attempts: SimulatedAttempt[], attempt: SimulatedAttempt): number {
  return lowerBound(attempts, (other) => compare(other, attempt) < 0);
}

/** startTime inclusive, endTime exclusive, then offset/limit in the asked order. */
function sliceAttempts(attempts: SimulatedAttempt[], query: AttemptQuery): SimulatedAttempt[] {
  const { startTime, endTime } = query;
  const first = startTime === undefined ? 0 : lowerBound(attempts, (attempt) => attempt.createdAt < startTime);
  const end = endTime === undefined ? attempts.length : lowerBound(attempts, (attempt) => attempt.createdAt < endTime);
  const count = Math.max(0, Math.min(query.limit, end - first - query.offset));
  if (query.sort === 'asc') return attempts.slice(first + query.offset, first + query.offset + count);
  const top = end - query.offset;
  return attempts.slice(top - count, top).reverse();
}
