/**
 * Flows (`/v2/flows`, `/v2/flows/{id}`) and a flow's latest-run summary (`/v2/flows/{id}/status`).
 * Neither flow endpoint is in Portable's published pages, so both accept the envelope or a bare value.
 */
import { anomaly, type Anomaly } from './anomaly.ts';
import type { ResourceCounts, RunState } from './run-attempt.ts';
import { malformedError } from './portable-error.ts';
import { parseTimestamp } from './parse-timestamp.ts';
import { parseLeniently, rawFlowSchema, rawFlowStatusSchema, unwrapList, unwrapOne } from './portable-schemas.ts';
import {
  deriveRunState,
  normaliseErrors,
  normaliseResources,
  type Disposition,
  type Lifecycle,
} from './normalise-attempt-fields.ts';

export interface Flow {
  id: number;
  displayName?: string;
  /** `manual`, `24h`, `12h`, `6h`, `1h`, `30m`, `15m`, or whatever Portable adds; kept verbatim. */
  frequency?: string;
  /** Overrides `frequency` when present. */
  cron?: string;
}

/**
 * The latest run only: no run id and no start time, so it cannot say how long a run has been going.
 * `state` is derived as for attempts; `errors` includes each resource's errors as `resource: message`.
 */
export interface FlowStatus {
  lifecycle: Lifecycle | undefined;
  disposition: Disposition | undefined;
  state: RunState;
  errors: string[];
  resources: ResourceCounts[];
  completedAt: number | null;
  anomalies: Anomaly[];
}

/** `requestedId` fills in an id the body leaves out. */
export function normaliseFlow(body: unknown, requestedId: number, path: string): Flow {
  const one = unwrapOne(body, 'a flow');
  if (!one.ok) throw malformedError(path, one.expected, one.got);
  return toFlow({ id: requestedId, ...one.value }) ?? { id: requestedId };
}

/** Items without a usable id are left out: a flow we cannot address is no use to the caller. */
export function normaliseFlowList(body: unknown, path: string): Flow[] {
  const list = unwrapList(body, 'flows');
  if (!list.ok) throw malformedError(path, list.expected, list.got);
  return list.value.map(toFlow).filter((flow) => flow !== undefined);
}

function toFlow(raw: unknown): Flow | undefined {
  const parsed = parseLeniently(rawFlowSchema, raw).value;
  if (parsed === undefined) return undefined;
  const flow: Flow = { id: parsed.id };
  if (typeof parsed.displayName === 'string') flow.displayName = parsed.displayName;
  if (typeof parsed.frequency === 'string') flow.frequency = parsed.frequency;
  if (typeof parsed.cron === 'string' && parsed.cron.trim() !== '') flow.cron = parsed.cron;
  return flow;
}

export function normaliseFlowStatus(body: unknown, path: string): FlowStatus {
  const one = unwrapOne(body, 'a flow status');
  if (!one.ok) throw malformedError(path, one.expected, one.got);
  const parsed = parseLeniently(rawFlowStatusSchema, one.value);
  const fields = parsed.value ?? {};
  const anomalies = parsed.dropped.map((field) => anomaly('ignored-field', `ignored ${field}`));
  const completedAt = parseTimestamp(fields.completedAt);
  if (fields.completedAt && completedAt === null) {
    anomalies.push(anomaly('unreadable-timestamp', `completedAt ${JSON.stringify(fields.completedAt)} is not a timestamp`));
  }
  const state = deriveRunState({ ...fields, completedAt });
  const resources = normaliseResources(fields.resources, fields.details);
  const errors = normaliseErrors(fields.errors);
  anomalies.push(...state.anomalies, ...resources.anomalies, ...errors.anomalies);
  return {
    lifecycle: state.lifecycle,
    disposition: state.disposition,
    state: state.value,
    errors: [...errors.value, ...resources.value.flatMap((resource) => (resource.errors ?? []).map((message) => `${resource.name}: ${message}`))],
    resources: resources.value,
    completedAt,
    anomalies,
  };
}
