/**
 * Turns one page of `/v2/flows/{id}/run` (either dialect, with or without the `data` envelope) into
 * `RunAttempt`s. Nothing Portable sends can crash this: an item we cannot address (no id) is skipped and
 * reported; an attempt whose createdAt cannot be read is kept, stamped with the time the answer arrived; an odd
 * value is kept as 'unknown' / 'unrecognised' and reported. Only a body whose shape we cannot understand at all
 * becomes an error, because guessing there could hide a failed run.
 */
import { anomaly, type Anomaly } from './anomaly.ts';
import type { RunAttempt } from './run-attempt.ts';
import { malformedError } from './portable-error.ts';
import { parseTimestamp } from './parse-timestamp.ts';
import { describeType, idSchema, parseLeniently, rawRunAttemptSchema, unwrapList, type RawRunAttempt } from './portable-schemas.ts';
import { deriveRunState, normaliseErrors, normaliseResources, normaliseTrigger } from './normalise-attempt-fields.ts';

export interface NormalisedAttempt {
  /** Undefined when the attempt is unusable (see anomalies). */
  attempt: RunAttempt | undefined;
  /** The attempt's id when it could be read, even if the attempt itself is unusable. */
  id: number | undefined;
  /** Prefixed with the attempt, e.g. `attempt 658423: unknown lifecycle "queued"`. */
  anomalies: Anomaly[];
}

export interface RunAttemptPage {
  attempts: RunAttempt[];
  /** Items on the page, usable or not: paging stops on a page shorter than the limit. */
  itemCount: number;
  /** Every readable id on the page, including unusable attempts', to detect a server that repeats pages. */
  ids: number[];
  anomalies: Anomaly[];
}

/**
 * Throws a `malformed` PortableApiError when the body is not a list (or single object) of attempts.
 * `receivedAt` (epoch ms) stands in for a createdAt that cannot be read.
 */
export function normaliseRunAttemptPage(body: unknown, flowId: number, path: string, receivedAt: number): RunAttemptPage {
  const list = unwrapList(body, 'run attempts');
  if (!list.ok) throw malformedError(path, list.expected, list.got);
  const page: RunAttemptPage = { attempts: [], itemCount: list.value.length, ids: [], anomalies: [] };
  list.value.forEach((item, index) => {
    const result = normaliseRunAttempt(item, flowId, receivedAt, index);
    if (result.id !== undefined) page.ids.push(result.id);
    if (result.attempt !== undefined) page.attempts.push(result.attempt);
    page.anomalies.push(...result.anomalies);
  });
  return page;
}

/** `index` names the item in anomalies when it has no readable id; `receivedAt` stands in for an unreadable createdAt. */
export function normaliseRunAttempt(raw: unknown, flowId: number, receivedAt: number, index = 0): NormalisedAttempt {
  const parsed = parseLeniently(rawRunAttemptSchema, raw);
  if (parsed.value === undefined) {
    return { attempt: undefined, id: undefined, anomalies: [anomaly('unusable-attempt', `item ${index}: ${unusableReason(raw)}; skipped`)] };
  }
  const fields = parsed.value;
  const anomalies = parsed.dropped.map((field) => anomaly('ignored-field', `ignored ${field}`));
  const parsedCreatedAt = parseTimestamp(fields.createdAt);
  if (parsedCreatedAt === null) {
    const shown = JSON.stringify(fields.createdAt ?? null);
    anomalies.push(anomaly('unreadable-timestamp', `createdAt ${shown} is not a timestamp; judged by the time it was first seen`));
  }
  const attempt = buildAttempt(fields, flowId, parsedCreatedAt ?? receivedAt, anomalies);
  if (parsedCreatedAt === null) attempt.createdAtUnreadable = true;
  const prefixed = attempt.anomalies.map((found) => ({ ...found, message: `attempt ${fields.id}: ${found.message}`, attemptId: fields.id }));
  return { attempt, id: fields.id, anomalies: prefixed };
}

function buildAttempt(fields: RawRunAttempt, flowId: number, createdAt: number, anomalies: Anomaly[]): RunAttempt {
  const completedAt = readCompletedAt(fields.completedAt, anomalies);
  const state = deriveRunState({ ...fields, completedAt });
  const trigger = normaliseTrigger(fields.trigger);
  const resources = normaliseResources(fields.resources, fields.details);
  const errors = normaliseErrors(fields.errors);
  anomalies.push(...flowMismatch(fields.flow, flowId), ...state.anomalies, ...trigger.anomalies);
  anomalies.push(...resources.anomalies, ...errors.anomalies);
  return {
    id: fields.id,
    flowId,
    trigger: trigger.value,
    state: state.value,
    createdAt,
    createdAtUnreadable: false,
    completedAt,
    resources: resources.value,
    errors: errors.value,
    ...(state.unrecognised === undefined ? {} : { unrecognised: state.unrecognised }),
    anomalies,
  };
}

function readCompletedAt(value: string | null | undefined, anomalies: Anomaly[]): number | null {
  if (value === null || value === undefined || value === '') return null;
  const parsed = parseTimestamp(value);
  if (parsed === null) anomalies.push(anomaly('unreadable-timestamp', `completedAt ${JSON.stringify(value)} is not a timestamp; treated as absent`));
  return parsed;
}

/** The path's flow id is the truth; a different `flow` field is worth a look but not worth losing the attempt. */
function flowMismatch(flow: unknown, flowId: number): Anomaly[] {
  if (flow === undefined || flow === null) return [];
  const parsed = idSchema.safeParse(flow);
  if (!parsed.success) return [anomaly('inconsistent', `flow ${JSON.stringify(flow)} is not an id; using ${flowId} from the request`)];
  if (parsed.data === flowId) return [];
  return [anomaly('inconsistent', `flow ${parsed.data} differs from the requested flow ${flowId}; using ${flowId}`)];
}

function unusableReason(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `expected a run attempt object, got ${describeType(raw)}`;
  const id = (raw as { id?: unknown }).id;
  return id === undefined ? 'run attempt without an id' : `run attempt id ${JSON.stringify(id)} is not an integer`;
}
