/**
 * Pages through `/v2/flows/{id}/run`. Portable gives no total and no next link, and its paging is by
 * offset, so this file carries the defences: a page shorter than the limit ends the list; ids are
 * deduplicated (a new attempt arriving between two desc pages shifts the next page by one, repeating an
 * item); a page with no new ids ends the list (a server ignoring limit/offset would return the same page
 * forever); and a page cap bounds the worst case.
 */
import { anomaly, type Anomaly } from './anomaly.ts';
import type { RunAttempt } from './run-attempt.ts';
import type { GetJson } from './get-json.ts';
import { formatTimestamp } from './parse-timestamp.ts';
import { normaliseRunAttemptPage } from './normalise-run-attempt.ts';

export type SortOrder = 'asc' | 'desc';

export interface ListRunAttemptsOptions {
  /** Epoch ms: only attempts created at or after this instant. Sent as `startTime` and enforced here too. */
  since?: number;
  /** On createdAt. Default 'desc' (newest first), which lets paging stop as soon as it passes `since`. */
  sort?: SortOrder;
  /** Attempts per request, 1–1000. Default 100. */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface RunAttemptList {
  /** In the order asked for, each id once, all created at or after `since`. */
  attempts: RunAttempt[];
  /** HTTP requests made, retries included. */
  requests: number;
  /** Things we did not understand or had to work around, e.g. `attempt 658423: unknown lifecycle "queued"`. */
  anomalies: Anomaly[];
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

interface PagingState {
  seenIds: Set<number>;
  attempts: RunAttempt[];
  anomalies: Anomaly[];
  requests: number;
}

export async function listRunAttemptPages(
  getJson: GetJson,
  flowId: number,
  options: ListRunAttemptsOptions,
  maxPages: number,
): Promise<RunAttemptList> {
  if (options.since !== undefined && !Number.isFinite(options.since)) {
    throw new TypeError(`listRunAttempts: since must be epoch milliseconds, got ${options.since}`);
  }
  const sort = options.sort ?? 'desc';
  const limit = clampPageSize(options.pageSize);
  const state: PagingState = { seenIds: new Set(), attempts: [], anomalies: [], requests: 0 };
  let offset = 0;
  for (let page = 1; ; page += 1) {
    if (page > maxPages) {
      state.anomalies.push(anomaly('paging', `stopped after ${maxPages} pages of ${limit}; older attempts were not read`));
      break;
    }
    const answer = await getJson(runPath(flowId, { limit, offset, sort, since: options.since }), options.signal);
    state.requests += answer.requests;
    const result = normaliseRunAttemptPage(answer.body, flowId, answer.path, answer.receivedAt);
    state.anomalies.push(...result.anomalies);
    const { freshIds, passedSince } = takePage(state, result.ids, result.attempts, options.since);
    if (result.itemCount < limit) break;
    if (freshIds === 0) {
      state.anomalies.push(
        anomaly('paging', `page at offset ${offset} brought no attempt id not already read; Portable may be ignoring limit/offset, so paging stopped`),
      );
      break;
    }
    // Newest first: once a page reaches back past `since`, every later page is older still.
    if (sort === 'desc' && passedSince) break;
    offset += result.itemCount;
  }
  return { attempts: state.attempts, requests: state.requests, anomalies: state.anomalies };
}

/** Adds the page's new, in-range attempts to the state; reports how many ids were new and whether any attempt predates `since`. */
function takePage(state: PagingState, ids: number[], attempts: RunAttempt[], since: number | undefined) {
  const fresh = new Set(ids.filter((id) => !state.seenIds.has(id)));
  const freshIds = fresh.size;
  for (const id of ids) state.seenIds.add(id);
  let passedSince = false;
  for (const attempt of attempts) {
    // The client-side filter is not optional: a server that ignores startTime must cost requests, not correctness.
    if (since !== undefined && attempt.createdAt < since) {
      passedSince = true;
      continue;
    }
    if (!fresh.delete(attempt.id)) continue;
    state.attempts.push(attempt);
  }
  return { freshIds, passedSince };
}

function clampPageSize(pageSize: number | undefined): number {
  if (pageSize === undefined || !Number.isFinite(pageSize)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(pageSize)));
}

function runPath(flowId: number, query: { limit: number; offset: number; sort: SortOrder; since: number | undefined }): string {
  const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset), sort: query.sort });
  if (query.since !== undefined) params.set('startTime', formatTimestamp(query.since));
  return `/v2/flows/${flowId}/run?${params.toString()}`;
}
