/**
 * Field-by-field normalisation shared by run attempts and `/status`: enum values in either case and
 * either dialect, row counts as `resources[]` or `details{}`, and error lists in every published form.
 * Each function returns its value plus anomalies (unprefixed, e.g. `unknown lifecycle "queued"`).
 */
import { anomaly, type Anomaly } from './anomaly.ts';
import type { ResourceCounts, RunState, RunTrigger } from './run-attempt.ts';
import { describeType, isPlainObject, rawResourceSchema, type RawRunAttempt } from './portable-schemas.ts';

export type Lifecycle = 'pending' | 'running' | 'not_running' | 'unknown';
export type Disposition = 'none' | 'succeeded' | 'failed' | 'unknown';

interface Normalised<T> {
  value: T;
  anomalies: Anomaly[];
}

const LIFECYCLES: ReadonlySet<string> = new Set(['pending', 'running', 'not_running']);
const DISPOSITIONS: ReadonlySet<string> = new Set(['none', 'succeeded', 'failed']);
const TRIGGERS: ReadonlySet<string> = new Set(['scheduled', 'manual', 'api']);

/** `FAILED`, ` failed `, `Not-Running` and `not running` all mean the same thing to us. */
function enumKey(value: string): string {
  return value.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

function readEnum<T extends string>(field: string, value: string | null | undefined, known: ReadonlySet<string>) {
  if (value === null || value === undefined || value.trim() === '') return { value: undefined, anomalies: [], raw: undefined };
  const key = enumKey(value);
  if (known.has(key)) return { value: key as T, anomalies: [], raw: undefined };
  const raw = `${field} ${JSON.stringify(value)}`;
  return { value: 'unknown' as const, anomalies: [anomaly('unknown-value', `unknown ${raw}`)], raw };
}

/** Missing is `unknown` without an anomaly: the trigger never decides an alert. */
export function normaliseTrigger(value: string | null | undefined): Normalised<RunTrigger> {
  const read = readEnum<RunTrigger>('trigger', value, TRIGGERS);
  return { value: read.value ?? 'unknown', anomalies: read.anomalies };
}

type StateFields = Pick<RawRunAttempt, 'lifecycle' | 'disposition' | 'status'> & { completedAt: number | null };

export interface DerivedState extends Normalised<RunState> {
  lifecycle: Lifecycle | undefined;
  disposition: Disposition | undefined;
  /** The value that made the state `unknown` or `unrecognised`, quoted: `disposition "cancelled"`. */
  unrecognised: string | undefined;
}

/**
 * Where the attempt is, from lifecycle and outcome (`disposition` in the example dialect, `status` in the
 * schema dialect). A known outcome of succeeded/failed is final whatever the rest says: Portable publishes
 * failed attempts with `completedAt: null`. Without a lifecycle (schema dialect), NONE means running until
 * a completedAt appears, then 'ended'. A value this client does not know never hides an attempt: while it
 * may still be running it is `unknown` (tracked, and stalled past maxRuntime), once it has finished it is
 * `unrecognised` (alerted, quoting the value).
 */
export function deriveRunState(fields: StateFields): DerivedState {
  const lifecycle = readEnum<Lifecycle>('lifecycle', fields.lifecycle, LIFECYCLES);
  const outcome = readOutcome(fields.disposition, fields.status);
  const anomalies = [...lifecycle.anomalies, ...outcome.anomalies];
  const state = stateOf(lifecycle.value, outcome.value, fields.completedAt);
  if (lifecycle.value === undefined && outcome.value === undefined) anomalies.push(anomaly('inconsistent', 'no lifecycle, disposition or status'));
  const unrecognised = state === 'unknown' || state === 'unrecognised' ? (outcome.raw ?? lifecycle.raw) : undefined;
  return { value: state, anomalies, lifecycle: lifecycle.value, disposition: outcome.value, unrecognised };
}

function readOutcome(disposition: string | null | undefined, status: string | null | undefined) {
  const fromDisposition = readEnum<Disposition>('disposition', disposition, DISPOSITIONS);
  const fromStatus = readEnum<Disposition>('status', status, DISPOSITIONS);
  const anomalies = [...fromDisposition.anomalies, ...fromStatus.anomalies];
  const both = fromDisposition.value !== undefined && fromStatus.value !== undefined;
  if (both && fromDisposition.value !== fromStatus.value) {
    anomalies.push(anomaly('inconsistent', `disposition ${JSON.stringify(disposition)} and status ${JSON.stringify(status)} disagree; using disposition`));
  }
  return { value: fromDisposition.value ?? fromStatus.value, anomalies, raw: fromDisposition.raw ?? fromStatus.raw };
}

function stateOf(lifecycle: Lifecycle | undefined, outcome: Disposition | undefined, completedAt: number | null): RunState {
  if (outcome === 'succeeded' || outcome === 'failed') return outcome;
  if (lifecycle === 'running' || lifecycle === 'pending') return lifecycle;
  // Finished: Portable says so, or (without a lifecycle we understand) a completedAt is there.
  const finished = lifecycle === 'not_running' || completedAt !== null;
  if (outcome === 'unknown' || lifecycle === 'unknown') return finished ? 'unrecognised' : 'unknown';
  if (finished) return 'ended';
  // No lifecycle: the schema dialect, where only completedAt tells a finished NONE from a running one.
  return outcome === 'none' ? 'running' : 'unknown';
}

/**
 * Row counts from `resources[]` (example dialect) or `details{}` (schema dialect); either may be null or
 * missing. When both are present the list wins, as it carries names explicitly.
 */
export function normaliseResources(
  resources: readonly unknown[] | null | undefined,
  details: Record<string, unknown> | null | undefined,
): Normalised<ResourceCounts[]> {
  if (Array.isArray(resources) && resources.length > 0) return fromResourceList(resources);
  if (details !== null && details !== undefined) return fromDetails(details);
  return { value: [], anomalies: [] };
}

function fromResourceList(resources: readonly unknown[]): Normalised<ResourceCounts[]> {
  const value: ResourceCounts[] = [];
  const anomalies: Anomaly[] = [];
  resources.forEach((item, index) => {
    const parsed = rawResourceSchema.safeParse(item);
    if (!parsed.success) {
      anomalies.push(anomaly('odd-shape', `resources[${index}] ignored: expected an object, got ${describeType(item)}`));
      return;
    }
    value.push(counts(parsed.data.name ?? `resource ${index + 1}`, parsed.data, `resources[${index}].errors`, anomalies));
  });
  return { value, anomalies };
}

function fromDetails(details: Record<string, unknown>): Normalised<ResourceCounts[]> {
  const value: ResourceCounts[] = [];
  const anomalies: Anomaly[] = [];
  for (const [name, item] of Object.entries(details)) {
    const parsed = rawResourceSchema.safeParse(item);
    if (!parsed.success) {
      anomalies.push(anomaly('odd-shape', `details ${JSON.stringify(name)} ignored: expected an object, got ${describeType(item)}`));
      continue;
    }
    value.push(counts(name, parsed.data, `details ${JSON.stringify(name)} errors`, anomalies));
  }
  return { value, anomalies };
}

/** A resource's own errors are kept (a succeeded run with some is a partial load); an empty list is none. */
function counts(
  name: string,
  raw: { extracted?: number | null; analyzed?: number | null; loaded?: number | null; errors?: unknown[] | null },
  errorsField: string,
  anomalies: Anomaly[],
): ResourceCounts {
  const resource: ResourceCounts = { name, extracted: raw.extracted ?? null, analyzed: raw.analyzed ?? null, loaded: raw.loaded ?? null };
  const errors = normaliseErrors(raw.errors, errorsField);
  anomalies.push(...errors.anomalies);
  if (errors.value.length > 0) resource.errors = errors.value;
  return resource;
}

/**
 * Error messages, verbatim. Missing, null and [] all mean "none" (an empty list is not a failure). A lone
 * string is taken as one message; `{ message }` objects give their message; other non-text items are kept
 * as JSON so nothing a person might need disappears, and reported.
 */
export function normaliseErrors(errors: readonly unknown[] | string | null | undefined, field = 'errors'): Normalised<string[]> {
  if (errors === null || errors === undefined) return { value: [], anomalies: [] };
  if (typeof errors === 'string') return { value: [errors], anomalies: [anomaly('odd-shape', `${field} was a string, not a list`)] };
  const value: string[] = [];
  const anomalies: Anomaly[] = [];
  errors.forEach((item, index) => {
    if (typeof item === 'string') {
      value.push(item);
    } else if (isPlainObject(item) && typeof item.message === 'string') {
      value.push(item.message);
    } else if (item === null || item === undefined) {
      anomalies.push(anomaly('odd-shape', `${field}[${index}] was ${describeType(item)}; dropped`));
    } else {
      value.push(JSON.stringify(item).slice(0, 500));
      anomalies.push(anomaly('odd-shape', `${field}[${index}] was ${describeType(item)}, not text`));
    }
  });
  return { value, anomalies };
}
