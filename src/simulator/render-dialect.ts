/**
 * Writes simulated data the way Portable's published material does, in one of its two dialects, so the
 * client is exercised against both (see shared/reference/portable-api.md, "Two dialects").
 *
 * - example: lowercase enums, `lifecycle` + `disposition`, `resources[]`, a `flow` field, `errors` only when
 *   there are some, and timestamps written with U+2010 hyphens exactly like the published example.
 * - schema: UPPERCASE enums, `status` (no lifecycle, so NONE without completedAt reads as running),
 *   `details{}`, no `flow` field, `errors` as a list, `[]` or `null`, plain ASCII RFC 3339 timestamps.
 * In both, a resource's own `errors` are written as the resource has them (`resources[].errors`,
 * `details.<name>.errors`), and left out when it has none.
 */
import type { Dialect, SimulatedAttempt, SimulatedFlow } from './flow-store.ts';

const UNICODE_HYPHEN = '\u2010';

/** RFC 3339 without milliseconds when there are none, as in Portable's example. */
function isoTimestamp(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

export function renderTimestamp(epochMs: number, dialect: Dialect): string {
  const iso = isoTimestamp(epochMs);
  return dialect === 'example' ? iso.replaceAll('-', UNICODE_HYPHEN) : iso;
}

function renderNullableTimestamp(epochMs: number | null, dialect: Dialect): string | null {
  return epochMs === null ? null : renderTimestamp(epochMs, dialect);
}

export function renderAttempt(attempt: SimulatedAttempt, dialect: Dialect): Record<string, unknown> {
  return dialect === 'example' ? renderExampleAttempt(attempt) : renderSchemaAttempt(attempt);
}

interface CachedRendering {
  revision: number;
  dialect: Dialect;
  json: string;
}

/**
 * Serialising attempts is most of the simulator's work per request, and a benchmark asks for the same
 * attempts over and over; so each attempt keeps its JSON until its revision or its flow's dialect changes.
 */
const renderings = new WeakMap<SimulatedAttempt, CachedRendering>();

export function renderAttemptJson(attempt: SimulatedAttempt, dialect: Dialect): string {
  const cached = renderings.get(attempt);
  if (cached !== undefined && cached.revision === attempt.revision && cached.dialect === dialect) return cached.json;
  const json = JSON.stringify(renderAttempt(attempt, dialect));
  renderings.set(attempt, { revision: attempt.revision, dialect, json });
  return json;
}

function renderExampleAttempt(attempt: SimulatedAttempt): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: attempt.id,
    flow: attempt.flowId,
    trigger: attempt.trigger.toLowerCase(),
    lifecycle: attempt.lifecycle.toLowerCase(),
    disposition: attempt.outcome.toLowerCase(),
  };
  if (attempt.resources.length > 0) body.resources = attempt.resources.map((resource) => ({ ...resource }));
  if (attempt.errors !== null && attempt.errors !== undefined && attempt.errors.length > 0) body.errors = attempt.errors;
  body.completedAt = renderNullableTimestamp(attempt.completedAt, 'example');
  body.createdAt = renderTimestamp(attempt.createdAt, 'example');
  return body;
}

function renderSchemaAttempt(attempt: SimulatedAttempt): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const { name, ...counts } of attempt.resources) details[name] = counts;
  return {
    id: attempt.id,
    trigger: attempt.trigger.toUpperCase(),
    status: attempt.outcome.toUpperCase(),
    details,
    errors: schemaErrors(attempt),
    createdAt: renderTimestamp(attempt.createdAt, 'schema'),
    completedAt: renderNullableTimestamp(attempt.completedAt, 'schema'),
  };
}

/**
 * An attempt added without `errors` alternates between `null` and `[]` by id parity, so a flow with many
 * attempts serves both "no errors" spellings without each test having to ask.
 */
function schemaErrors(attempt: SimulatedAttempt): string[] | null {
  if (attempt.errors !== undefined) return attempt.errors;
  return attempt.id % 2 === 0 ? [] : null;
}

export function renderFlow(flow: SimulatedFlow): Record<string, unknown> {
  const body: Record<string, unknown> = { id: flow.id, displayName: flow.displayName, source: 'Simulated source', destination: 'Simulated destination' };
  if (flow.frequency !== undefined) body.frequency = flow.frequency;
  if (flow.cron !== undefined) body.cron = flow.cron;
  return body;
}

/**
 * `/v2/flows/{id}/status` is published as a bare object with UPPERCASE lifecycle/disposition and
 * resources that carry their own errors; it describes the latest attempt only and has no run id.
 */
export function renderStatus(flow: SimulatedFlow, latest: SimulatedAttempt | undefined): Record<string, unknown> {
  if (latest === undefined) {
    return { id: flow.id, lifecycle: 'NOT_RUNNING', disposition: 'NONE', resources: [], errors: [], completedAt: null };
  }
  return {
    id: flow.id,
    lifecycle: latest.lifecycle.toUpperCase(),
    disposition: latest.outcome.toUpperCase(),
    resources: latest.resources.map((resource) => ({ ...resource, errors: resource.errors ?? [] })),
    errors: latest.errors ?? [],
    completedAt: renderNullableTimestamp(latest.completedAt, flow.dialect),
  };
}
