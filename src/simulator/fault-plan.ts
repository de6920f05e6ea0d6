/**
 * Scripted misbehaviour for the simulator: errors, rate limits, slowness and broken bodies, settable while
 * the server runs, optionally limited to one account, one flow, one endpoint and a number of occurrences.
 * A fault without an account is the server's: it hits every account, as an outage of Portable would.
 *
 * Faults are checked in the order they were injected. Every matching `delay` adds its wait and the request
 * goes on; the first matching response fault answers the request. The plan is expected to hold a handful
 * of faults, so a linear scan per request is cheap.
 */

export type Fault =
  /** Answer with this status (e.g. 500, 502, 503) and a small JSON message. */
  | { kind: 'status'; status: number; retryAfter?: RetryAfter }
  /** 429, with a Retry-After header when `retryAfter` is given. */
  | { kind: 'rate-limit'; retryAfter?: RetryAfter }
  /** Wait this long before answering (normally, or with a later fault). */
  | { kind: 'delay'; ms: number }
  /** 200 with a body that is not JSON (default: a truncated object). */
  | { kind: 'malformed'; body?: string }
  /** 403 as Portable sends it when the plan has no API access. */
  | { kind: 'forbidden' }
  /** Any raw answer, e.g. Portable's published example verbatim. */
  | { kind: 'respond'; status?: number; body: string; contentType?: string }
  /** Answer normally but leave this attempt out (a lagging replica, a page boundary): run endpoint only. */
  | { kind: 'omit-attempt'; attemptId: number };

/** Seconds (`120`), a Date (sent as an HTTP-date), or a header value sent verbatim. */
export type RetryAfter = number | Date | string;

export type Endpoint = 'flows' | 'flow' | 'run' | 'status';

export interface FaultScope {
  /** Only requests carrying this account's token (its label); default every account. */
  account?: string;
  /** Only requests for this flow; default every request, `/v2/flows` included. */
  flowId?: number;
  /** Only this endpoint; default all. */
  endpoint?: Endpoint;
  /** Fire this many times, then disappear; default forever (until cleared). */
  times?: number;
}

export interface CannedResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface FaultDecision {
  delayMs: number;
  response: CannedResponse | undefined;
  /** Attempts to leave out of a normal answer. */
  omitAttemptIds: number[];
}

interface ActiveFault {
  id: number;
  fault: Fault;
  scope: FaultScope;
  remaining: number;
}

export interface FaultPlan {
  inject(fault: Fault, scope?: FaultScope): number;
  remove(faultId: number): boolean;
  clear(): void;
  /** Consumes the faults that match this request (already authorised as `account`) and says what to do. */
  take(flowId: number | undefined, endpoint: Endpoint, account?: string): FaultDecision;
  readonly size: number;
}

export function createFaultPlan(): FaultPlan {
  let faults: ActiveFault[] = [];
  let nextId = 1;
  return {
    inject(fault, scope = {}) {
      const id = nextId++;
      faults.push({ id, fault, scope, remaining: scope.times ?? Number.POSITIVE_INFINITY });
      return id;
    },
    remove(faultId) {
      const before = faults.length;
      faults = faults.filter((active) => active.id !== faultId);
      return faults.length < before;
    },
    clear() {
      faults = [];
    },
    take(flowId, endpoint, account) {
      const decision: FaultDecision = { delayMs: 0, response: undefined, omitAttemptIds: [] };
      if (faults.length === 0) return decision;
      for (const active of faults) {
        if (active.remaining <= 0 || !matches(active.scope, flowId, endpoint, account)) continue;
        active.remaining -= 1;
        if (active.fault.kind === 'delay') {
          decision.delayMs += active.fault.ms;
          continue;
        }
        if (active.fault.kind === 'omit-attempt') {
          decision.omitAttemptIds.push(active.fault.attemptId);
          continue;
        }
        decision.response = cannedResponse(active.fault);
        break;
      }
      faults = faults.filter((active) => active.remaining > 0);
      return decision;
    },
    get size() {
      return faults.length;
    },
  };
}

function matches(scope: FaultScope, flowId: number | undefined, endpoint: Endpoint, account: string | undefined): boolean {
  if (scope.account !== undefined && scope.account !== account) return false;
  if (scope.flowId !== undefined && scope.flowId !== flowId) return false;
  return scope.endpoint === undefined || scope.endpoint === endpoint;
}

function cannedResponse(fault: Exclude<Fault, { kind: 'delay' | 'omit-attempt' }>): CannedResponse {
  const json = { 'content-type': 'application/json' };
  switch (fault.kind) {
    case 'status':
      return { status: fault.status, body: message(statusText(fault.status)), headers: { ...json, ...retryAfterHeader(fault.retryAfter) } };
    case 'rate-limit':
      return { status: 429, body: message('Too Many Requests'), headers: { ...json, ...retryAfterHeader(fault.retryAfter) } };
    case 'malformed':
      return { status: 200, body: fault.body ?? '{"data":[{"id":1,"createdAt":', headers: json };
    case 'forbidden':
      return { status: 403, body: message('Your current plan does not support this feature'), headers: json };
    case 'respond':
      return { status: fault.status ?? 200, body: fault.body, headers: { 'content-type': fault.contentType ?? 'application/json' } };
  }
}

function retryAfterHeader(retryAfter: RetryAfter | undefined): Record<string, string> {
  if (retryAfter === undefined) return {};
  if (retryAfter instanceof Date) return { 'retry-after': retryAfter.toUTCString() };
  return { 'retry-after': String(retryAfter) };
}

function message(text: string): string {
  return JSON.stringify({ message: text });
}

function statusText(status: number): string {
  const texts: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  return texts[status] ?? `Error ${status}`;
}
