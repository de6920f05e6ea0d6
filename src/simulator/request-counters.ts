/**
 * What the simulator was asked: totals per URL path and per flow (the benchmark's "requests per check"),
 * overall and per account, and a bounded log of recent requests for tests that assert on query parameters.
 * Counting is O(1) per request; the log is a fixed-size ring so a long benchmark does not grow memory.
 */

export interface LoggedRequest {
  method: string;
  /** Path and query, e.g. `/v2/flows/1/run?limit=100&offset=0&sort=desc`. */
  url: string;
  flowId: number | undefined;
  /** The label of the account whose token the request carried; undefined when it carried no known token. */
  account: string | undefined;
  /** Filled in when the answer is sent; 0 while a delayed answer is pending. */
  status: number;
}

export interface RequestFilter {
  flowId?: number;
  /** A URL path without query, e.g. `/v2/flows/1/run`. */
  path?: string;
  /** Only requests that carried this account's token (its label); default every request, refused ones included. */
  account?: string;
}

export interface RequestCounters {
  record(method: string, url: string, path: string, flowId: number | undefined, account: string | undefined): LoggedRequest;
  count(filter?: RequestFilter): number;
  reset(): void;
  log(): LoggedRequest[];
}

interface Tally {
  total: number;
  byPath: Map<string, number>;
  byFlow: Map<number, number>;
}

const emptyTally = (): Tally => ({ total: 0, byPath: new Map(), byFlow: new Map() });

function add(tally: Tally, path: string, flowId: number | undefined): void {
  tally.total += 1;
  tally.byPath.set(path, (tally.byPath.get(path) ?? 0) + 1);
  if (flowId !== undefined) tally.byFlow.set(flowId, (tally.byFlow.get(flowId) ?? 0) + 1);
}

export function createRequestCounters(logSize: number): RequestCounters {
  let overall = emptyTally();
  let byAccount = new Map<string, Tally>();
  let ring: LoggedRequest[] = [];
  let next = 0;

  return {
    record(method, url, path, flowId, account) {
      add(overall, path, flowId);
      if (account !== undefined) {
        const tally = byAccount.get(account) ?? emptyTally();
        byAccount.set(account, tally);
        add(tally, path, flowId);
      }
      const entry: LoggedRequest = { method, url, flowId, account, status: 0 };
      if (logSize > 0) {
        ring[next % logSize] = entry;
        next += 1;
      }
      return entry;
    },
    count(filter = {}) {
      const tally = filter.account === undefined ? overall : byAccount.get(filter.account);
      if (tally === undefined) return 0;
      if (filter.path !== undefined) return tally.byPath.get(filter.path) ?? 0;
      if (filter.flowId !== undefined) return tally.byFlow.get(filter.flowId) ?? 0;
      return tally.total;
    },
    reset() {
      overall = emptyTally();
      byAccount = new Map();
      ring = [];
      next = 0;
    },
    log() {
      if (next <= logSize) return ring.slice(0, next);
      const start = next % logSize;
      return [...ring.slice(start), ...ring.slice(0, start)];
    },
  };
}
