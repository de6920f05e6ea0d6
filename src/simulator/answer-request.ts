/**
 * The simulator's endpoints: which one a URL names, whether its parameters are acceptable, and the JSON
 * Portable would answer. Pure functions over the flow store, so the HTTP layer stays a thin shell.
 */
import { parseTimestamp } from '../portable/parse-timestamp.ts';
import type { AttemptQuery, FlowStore } from './flow-store.ts';
import type { CannedResponse, Endpoint } from './fault-plan.ts';
import { renderAttemptJson, renderFlow, renderStatus } from './render-dialect.ts';

/** Server behaviours that deviate from the documentation, to prove the client copes. */
export interface Quirks {
  /** Return attempts before `startTime` anyway: the client must filter on its side. */
  ignoreStartTime: boolean;
  /** Ignore `limit` and `offset` and return everything, every time: the client must not page forever. */
  ignorePaging: boolean;
  /** Treat `startTime` as exclusive (only attempts created after it): the documentation does not say which it is. */
  exclusiveStartTime: boolean;
}

export type Route =
  | { ok: true; endpoint: Endpoint; flowId: number | undefined }
  | { ok: false; response: CannedResponse };

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

export function jsonResponse(status: number, body: unknown): CannedResponse {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

const notFound = (): CannedResponse => jsonResponse(404, { message: 'Not Found' });
const badRequest = (detail: string): CannedResponse => jsonResponse(400, { message: `Bad Request: ${detail}` });

/** `/v2/flows`, `/v2/flows/{id}`, `/v2/flows/{id}/run`, `/v2/flows/{id}/status`; anything else is 404. */
export function routeOf(pathname: string): Route {
  const parts = pathname.split('/').filter((part) => part !== '');
  if (parts[0] !== 'v2' || parts[1] !== 'flows' || parts.length > 4) return { ok: false, response: notFound() };
  const [, , idText, sub] = parts;
  if (idText === undefined) return { ok: true, endpoint: 'flows', flowId: undefined };
  const endpoint: Endpoint | undefined = sub === undefined ? 'flow' : sub === 'run' || sub === 'status' ? sub : undefined;
  if (endpoint === undefined) return { ok: false, response: notFound() };
  if (!/^\d+$/.test(idText) || !Number.isSafeInteger(Number(idText))) {
    return { ok: false, response: badRequest(`flow id ${JSON.stringify(idText)} is not an integer`) };
  }
  return { ok: true, endpoint, flowId: Number(idText) };
}

export function answerRoute(
  store: FlowStore,
  endpoint: Endpoint,
  flowId: number | undefined,
  query: URLSearchParams,
  quirks: Quirks,
  omitAttemptIds: readonly number[] = [],
): CannedResponse {
  if (endpoint === 'flows') return jsonResponse(200, { data: store.listFlows().map(renderFlow) });
  const flow = flowId === undefined ? undefined : store.getFlow(flowId);
  if (flow === undefined) return notFound();
  if (endpoint === 'flow') return jsonResponse(200, { data: renderFlow(flow) });
  if (endpoint === 'status') return jsonResponse(200, renderStatus(flow, store.latestAttempt(flow.id)));
  const parsed = readRunQuery(query, quirks);
  if (typeof parsed === 'string') return badRequest(parsed);
  const attempts = store.queryAttempts(flow.id, parsed).filter((attempt) => !omitAttemptIds.includes(attempt.id));
  const items = attempts.map((attempt) => renderAttemptJson(attempt, flow.dialect));
  return { status: 200, body: `{"data":[${items.join(',')}]}`, headers: { 'content-type': 'application/json' } };
}

/** The run query as documented, or a reason for a 400. `sort` is accepted in any case (docs say asc, schema ASC). */
export function readRunQuery(query: URLSearchParams, quirks: Quirks): AttemptQuery | string {
  const limit = readCount(query.get('limit'), DEFAULT_LIMIT);
  if (limit === undefined || limit < 1) return 'limit must be a whole number from 1';
  if (limit > MAX_LIMIT) return `limit must be at most ${MAX_LIMIT}`;
  const offset = readCount(query.get('offset'), 0);
  if (offset === undefined) return 'offset must be a whole number';
  const sort = (query.get('sort') ?? 'desc').toLowerCase();
  if (sort !== 'asc' && sort !== 'desc') return 'sort must be asc or desc';
  const startTime = readTime(query.get('startTime'));
  const endTime = readTime(query.get('endTime'));
  if (startTime === null) return 'startTime must be an RFC 3339 timestamp';
  if (endTime === null) return 'endTime must be an RFC 3339 timestamp';
  const result: AttemptQuery = quirks.ignorePaging
    ? { sort, offset: 0, limit: Number.POSITIVE_INFINITY }
    : { sort, offset, limit };
  if (startTime !== undefined && !quirks.ignoreStartTime) result.startTime = quirks.exclusiveStartTime ? startTime + 1 : startTime;
  if (endTime !== undefined) result.endTime = endTime;
  return result;
}

function readCount(text: string | null, fallback: number): number | undefined {
  if (text === null) return fallback;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** undefined when absent, null when present but unreadable. */
function readTime(text: string | null): number | undefined | null {
  if (text === null) return undefined;
  return parseTimestamp(text);
}
