/**
 * What the simulator was asked: totals per URL path and per flow (the benchmark's "requests per check"),
 * and a bounded log of recent requests for tests that assert on query parameters.
 * Counting is O(1) per request; the log is a fixed-size ring so a long benchmark does not grow memory.
 */

export interface LoggedRequest {
  method: string;
  /** Path and query, e.g. `/v2/flows/1/run?limit=100&offset=0&sort=desc`. */
  url: string;
  flowId: number | undefined;
  /** Filled in when the answer is sent; 0 while a delayed answer is pending. */
  status: number;
}

export interface RequestFilter {
  flowId?: number;
  /** A URL path without query, e.g. `/v2/flows/1/run`. */
  path?: string;
}

export interface RequestCounters {
  record(method: string, url: string, path: string, flowId: number | undefined): LoggedRequest;
  count(filter?: RequestFilter): number;
  reset(): void;
  log(): LoggedRequest[];
}

export function createRequestCounters(logSize: number): RequestCounters {
  let total = 0;
  let byPath = new Map<string, number>();
  let byFlow = new Map<number, number>();
  let ring: LoggedRequest[] = [];
  let next = 0;

  return {
    record(method, url, path, flowId) {
      total += 1;
      byPath.set(path, (byPath.get(path) ?? 0) + 1);
      if (flowId !== undefined) byFlow.set(flowId, (byFlow.get(flowId) ?? 0) + 1);
      const entry: LoggedRequest = { method, url, flowId, status: 0 };
      if (logSize > 0) {
        ring[next % logSize] = entry;
        next += 1;
      }
      return entry;
    },
    count(filter = {}) {
      if (filter.path !== undefined) return byPath.get(filter.path) ?? 0;
      if (filter.flowId !== undefined) return byFlow.get(filter.flowId) ?? 0;
      return total;
    },
    reset() {
      total = 0;
      byPath = new Map();
      byFlow = new Map();
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
