import http from 'node:http';
import type net from 'node:net';

/*
 * A real HTTP server standing in for PagerDuty's Events API v2 (POST /v2/enqueue). It checks each request against the
 * documented event shape, answers as PagerDuty does (202 with the dedup_key, or 400 "invalid event" with the reasons)
 * and keeps PagerDuty's view of incidents: a trigger opens its dedup_key, a resolve closes it.
 */

export const ENQUEUE_PATH = '/v2/enqueue';

export interface ReceivedEvent {
  path: string;
  contentType: string | undefined;
  /** The parsed body; undefined when it was not JSON. */
  body: unknown;
  /** What the shape check found wrong; empty for a valid event. */
  problems: string[];
  /** What the receiver answered. */
  status: number;
}

/** How to answer a valid event, by its position among all requests (0-based); undefined: PagerDuty's 202. */
export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'never';
export type Responder = (event: ReceivedEvent, index: number) => Answer | undefined;

export interface PagerDutyReceiver {
  /** Every request, in the order it arrived, valid or not. */
  readonly events: ReceivedEvent[];
  /** dedup_keys triggered and not resolved, as PagerDuty would show open incidents. */
  readonly open: ReadonlySet<string>;
  url(path?: string): string;
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const EVENT_KEYS = new Set(['routing_key', 'event_action', 'dedup_key', 'payload', 'images', 'links', 'client', 'client_url']);
const PAYLOAD_KEYS = new Set(['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details']);
/** ISO 8601 date-time, as PagerDuty parses it (a time zone is required). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const MAX_EVENT_BYTES = 512 * 1024;

/** What PagerDuty would refuse in this request, in words like its own `errors`. */
export function eventProblems(contentType: string | undefined, raw: string): string[] {
  if (!(contentType ?? '').toLowerCase().startsWith('application/json')) return ['Content-Type must be application/json'];
  if (Buffer.byteLength(raw) > MAX_EVENT_BYTES) return ['Event is larger than 512 KB'];
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return ['Event is not valid JSON'];
  }
  if (!isObject(body)) return ['Event must be a JSON object'];
  const problems = Object.keys(body).filter((key) => !EVENT_KEYS.has(key)).map((key) => `Unknown field '${key}'`);
  if (typeof body.routing_key !== 'string' || body.routing_key.length !== 32) problems.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (typeof body.event_action !== 'string' || !ACTIONS.has(body.event_action)) problems.push("'event_action' must be one of trigger, acknowledge, resolve");
  if (body.dedup_key !== undefined && (typeof body.dedup_key !== 'string' || body.dedup_key === '' || body.dedup_key.length > 255)) {
    problems.push("'dedup_key' must be a non-empty string of at most 255 characters");
  }
  if (body.event_action !== 'trigger' && body.dedup_key === undefined) problems.push("'dedup_key' is required to acknowledge or resolve");
  if (body.event_action === 'trigger') problems.push(...payloadProblems(body.payload));
  problems.push(...listProblems(body.links, 'links', 'href'), ...listProblems(body.images, 'images', 'src'));
  for (const key of ['client', 'client_url'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') problems.push(`'${key}' must be a string`);
  }
  return problems;
}

function payloadProblems(payload: unknown): string[] {
  if (!isObject(payload)) return ["'payload' is required for a trigger"];
  const problems = Object.keys(payload).filter((key) => !PAYLOAD_KEYS.has(key)).map((key) => `Unknown field 'payload.${key}'`);
  const { summary, source, severity, timestamp } = payload;
  if (typeof summary !== 'string' || summary.trim() === '') problems.push("'payload.summary' is missing or blank");
  else if (summary.length > 1024) problems.push("'payload.summary' is longer than 1024 characters");
  if (typeof source !== 'string' || source.trim() === '') problems.push("'payload.source' is missing or blank");
  if (typeof severity !== 'string' || !SEVERITIES.has(severity)) problems.push("'payload.severity' must be one of critical, error, warning, info");
  if (timestamp !== undefined && (typeof timestamp !== 'string' || !ISO_8601.test(timestamp) || Number.isNaN(Date.parse(timestamp)))) {
    problems.push("'payload.timestamp' is not an ISO 8601 date-time");
  }
  for (const key of ['component', 'group', 'class'] as const) {
    if (payload[key] !== undefined && typeof payload[key] !== 'string') problems.push(`'payload.${key}' must be a string`);
  }
  if (payload.custom_details !== undefined && !isObject(payload.custom_details)) problems.push("'payload.custom_details' must be an object");
  return problems;
}

function listProblems(list: unknown, name: string, required: string): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [`'${name}' must be an array`];
  return list.flatMap((item: unknown, index) =>
    isObject(item) && typeof item[required] === 'string' && item[required] !== '' ? [] : [`'${name}[${index}].${required}' is required`],
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const invalidEventBody = (errors: string[]) => ({ status: 'invalid event', message: 'Event object is invalid', errors });

export async function startPagerDutyReceiver(): Promise<PagerDutyReceiver> {
  const events: ReceivedEvent[] = [];
  const open = new Set<string>();
  let responder: Responder = () => undefined;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const contentType = request.headers['content-type'];
      const problems = request.method === 'POST' ? eventProblems(contentType, raw) : [`Method ${request.method ?? ''} not allowed`];
      const event: ReceivedEvent = { path: request.url ?? '', contentType, body: parseOrUndefined(raw), problems, status: 0 };
      const index = events.push(event) - 1;
      const valid = problems.length === 0 ? (event.body as Record<string, unknown>) : undefined;
      const dedupKey = valid === undefined ? '' : dedupKeyOf(valid);
      const answer: Answer = valid === undefined ? { status: 400, body: invalidEventBody(problems) } : (responder(event, index) ?? accept(dedupKey));
      if (answer === 'never') return;
      event.status = answer.status;
      if (valid !== undefined && answer.status >= 200 && answer.status < 300) track(open, valid, dedupKey);
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    events,
    open,
    url: (path = ENQUEUE_PATH) => `http://127.0.0.1:${port}${path}`,
    respondWith: (next) => {
      responder = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** PagerDuty's 202, naming the incident: the event's dedup_key, or one it makes up for a trigger without. */
function accept(dedupKey: string): Answer {
  return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
}

/** The incident a valid event names; a trigger without a dedup_key opens one of its own. */
function dedupKeyOf(body: Record<string, unknown>): string {
  return typeof body.dedup_key === 'string' ? body.dedup_key : `generated-${Math.random().toString(16).slice(2)}`;
}

function track(open: Set<string>, body: Record<string, unknown>, dedupKey: string): void {
  if (body.event_action === 'trigger') open.add(dedupKey);
  if (body.event_action === 'resolve') open.delete(dedupKey);
}

function parseOrUndefined(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
