/**
 * The Portable REST API as this program uses it: read-only, normalised, and failing only with
 * PortableApiError. Built once by the composition root; the token and URL are passed in, never read here.
 */
import type { ResourceCounts, RunAttempt } from './run-attempt.ts';
import { createGetJson, type RequestInfo } from './get-json.ts';
import { listRunAttemptPages, type ListRunAttemptsOptions, type RunAttemptList } from './list-run-attempts.ts';
import { normaliseFlow, normaliseFlowList, normaliseFlowStatus, type Flow, type FlowStatus } from './normalise-flow.ts';
import { PortableApiError } from './portable-error.ts';
import { DEFAULT_RETRY_POLICY, realSleep, type RetryPolicy, type Sleep } from './retry-policy.ts';

export type { Flow, FlowStatus, ListRunAttemptsOptions, RequestInfo, ResourceCounts, RetryPolicy, RunAttempt, RunAttemptList, Sleep };

export const PORTABLE_API_URL = 'https://api.portable.io';

export interface PortableClientOptions {
  /** Bearer token from the Portable app. Only ever sent in the Authorization header. */
  token: string;
  /** Default https://api.portable.io; the simulator's URL in tests and benchmarks. */
  apiUrl?: string;
  /** Whole-request time limit per HTTP request (not per call, which may retry). Default 15 s. */
  timeoutMs?: number;
  /** Defaults: 4 retries, 500 ms base, 30 s max backoff, 30 s max Retry-After. */
  retry?: Partial<RetryPolicy>;
  /** Upper bound on pages per listRunAttempts call. Default 100. */
  maxPages?: number;
  /** Called after every HTTP request, retries included: for metrics and debug logs. What it throws is ignored. */
  onRequest?: (info: RequestInfo) => void;
  /** Injectable for tests: how to wait between retries, the jitter source and the clock (for Retry-After dates). */
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
}

export interface CallOptions {
  /** Aborts the request and any retry sleep; the call then fails with kind 'aborted'. */
  signal?: AbortSignal;
}

export interface PortableClient {
  /** GET /v2/flows/{id}/run, every page needed; see list-run-attempts.ts for the paging rules. */
  listRunAttempts(flowId: number, options?: ListRunAttemptsOptions): Promise<RunAttemptList>;
  /** GET /v2/flows/{id}. */
  getFlow(flowId: number, options?: CallOptions): Promise<Flow>;
  /** GET /v2/flows. Portable publishes no paging for it; one request. */
  listFlows(options?: CallOptions): Promise<Flow[]>;
  /** GET /v2/flows/{id}/status: the latest run only. */
  getFlowStatus(flowId: number, options?: CallOptions): Promise<FlowStatus>;
}

/** `options` with `listener` told about every request too, after the `onRequest` they already had. */
export function withRequestListener<Options extends Pick<PortableClientOptions, 'onRequest'>>(
  options: Options | undefined,
  listener: (info: RequestInfo) => void,
): Options & Pick<PortableClientOptions, 'onRequest'> {
  const previous = options?.onRequest;
  return {
    ...(options as Options),
    onRequest(info) {
      listener(info);
      previous?.(info);
    },
  };
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_PAGES = 100;

export function createPortableClient(options: PortableClientOptions): PortableClient {
  const apiUrl = options.apiUrl ?? PORTABLE_API_URL;
  // Fail at start-up on a bad URL rather than on every check.
  if (!URL.canParse(apiUrl)) throw new TypeError(`Portable API URL ${JSON.stringify(apiUrl)} is not a valid URL`);
  const getJson = createGetJson({
    token: options.token,
    apiUrl,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    onRequest: options.onRequest,
  });
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;

  return {
    async listRunAttempts(flowId, listOptions = {}) {
      checkFlowId(flowId, 'run');
      return listRunAttemptPages(getJson, flowId, listOptions, maxPages);
    },
    async getFlow(flowId, callOptions = {}) {
      checkFlowId(flowId, '');
      const answer = await getJson(`/v2/flows/${flowId}`, callOptions.signal);
      return normaliseFlow(answer.body, flowId, answer.path);
    },
    async listFlows(callOptions = {}) {
      const answer = await getJson('/v2/flows', callOptions.signal);
      return normaliseFlowList(answer.body, answer.path);
    },
    async getFlowStatus(flowId, callOptions = {}) {
      checkFlowId(flowId, 'status');
      const answer = await getJson(`/v2/flows/${flowId}/status`, callOptions.signal);
      return normaliseFlowStatus(answer.body, answer.path);
    },
  };
}

/** Portable ids are integers; anything else would be a 400 at best, so it is refused before a request is spent. */
function checkFlowId(flowId: number, endpoint: string): void {
  if (Number.isSafeInteger(flowId) && flowId >= 0) return;
  const path = `/v2/flows/${String(flowId)}${endpoint === '' ? '' : `/${endpoint}`}`;
  throw new PortableApiError(`flow id ${JSON.stringify(flowId)} is not a whole number: check flows[].id in the config`, {
    kind: 'bad-request',
    path,
  });
}
