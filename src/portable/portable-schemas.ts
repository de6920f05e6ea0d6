/**
 * The boundary with Portable: lenient zod schemas for the fields we read, and the envelope rules.
 *
 * Lenient means: unknown keys are ignored, and a field of the wrong type loses that field (reported as an
 * anomaly), not the whole object — a failed run with an odd `trigger` must still raise an alert.
 * Enum values stay plain strings here; normalising them (and reporting unknown ones) happens downstream.
 */
import { z } from 'zod';

/** Ids are integers; a numeric string is accepted because JSON producers sometimes quote big ids. */
export const idSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+$/).transform(Number),
]);

const looseText = z.string().nullish();

/** A row count; anything odd becomes null (unknown), since counts never decide an alert. */
const countSchema = z.number().nullish().catch(null);

export const rawResourceSchema = z.object({
  name: z.string().nullish(),
  extracted: countSchema,
  analyzed: countSchema,
  loaded: countSchema,
  /** Only `/status` puts errors on a resource. */
  errors: z.array(z.unknown()).nullish().catch(null),
});

/** Both dialects in one object: the example's lifecycle/disposition/resources/flow, the schema's status/details. */
export const rawRunAttemptSchema = z.object({
  id: idSchema,
  flow: z.unknown().optional(),
  trigger: looseText,
  lifecycle: looseText,
  disposition: looseText,
  status: looseText,
  resources: z.array(z.unknown()).nullish(),
  details: z.record(z.string(), z.unknown()).nullish(),
  errors: z.union([z.array(z.unknown()), z.string()]).nullish(),
  createdAt: looseText,
  completedAt: looseText,
});
export type RawRunAttempt = z.infer<typeof rawRunAttemptSchema>;

export const rawFlowStatusSchema = rawRunAttemptSchema.omit({ id: true, flow: true, trigger: true, createdAt: true });
export type RawFlowStatus = z.infer<typeof rawFlowStatusSchema>;

export const rawFlowSchema = z.object({
  id: idSchema,
  displayName: looseText,
  frequency: looseText,
  cron: looseText,
});

export interface LenientResult<T> {
  /** Undefined when the object could not be read even after dropping the fields that failed. */
  value: T | undefined;
  /** Top-level fields ignored because they had the wrong type, e.g. `trigger (expected string, got number)`. */
  dropped: string[];
}

/**
 * Parses `raw` with `schema`; each top-level field that fails is removed and the parse retried, so one bad
 * field costs that field only. A required field that fails still fails the object.
 */
export function parseLeniently<T>(schema: z.ZodType<T>, raw: unknown): LenientResult<T> {
  if (!isPlainObject(raw)) return { value: undefined, dropped: [] };
  const input: Record<string, unknown> = { ...raw };
  const dropped: string[] = [];
  for (;;) {
    const result = schema.safeParse(input);
    if (result.success) return { value: result.data, dropped };
    const keys = new Set(result.error.issues.map((issue) => issue.path[0]).filter((key) => typeof key === 'string'));
    const droppable = [...keys].filter((key) => key in input);
    if (droppable.length === 0) return { value: undefined, dropped };
    for (const key of droppable) {
      dropped.push(`${key} (got ${describeType(input[key])})`);
      delete input[key];
    }
  }
}

export type Unwrapped<T> = { ok: true; value: T } | { ok: false; expected: string; got: string };

/**
 * A list endpoint's items. Accepts `{ data: [...] }`, a bare array, `{ data: {...} }` or a bare object that
 * looks like an item (Portable's docs drop the envelope around single objects). `data: null` is an empty
 * list: Go servers (Portable's schema carries Go hints) encode an empty slice as null.
 */
export function unwrapList(body: unknown, what: string): Unwrapped<unknown[]> {
  if (Array.isArray(body)) return { ok: true, value: body };
  if (!isPlainObject(body)) return { ok: false, expected: `an object with a "data" list of ${what}`, got: describeType(body) };
  if (!('data' in body)) {
    if ('id' in body) return { ok: true, value: [body] };
    return { ok: false, expected: `an object with a "data" list of ${what}`, got: 'an object without "data"' };
  }
  const data = body.data;
  if (Array.isArray(data)) return { ok: true, value: data };
  if (data === null) return { ok: true, value: [] };
  if (isPlainObject(data)) return { ok: true, value: [data] };
  return { ok: false, expected: `"data" to be a list of ${what}`, got: describeType(data) };
}

/** A single-object endpoint's object: `{ data: {...} }` or the bare object. */
export function unwrapOne(body: unknown, what: string): Unwrapped<Record<string, unknown>> {
  if (!isPlainObject(body)) return { ok: false, expected: `${what} as a JSON object`, got: describeType(body) };
  if (!('data' in body)) return { ok: true, value: body };
  const data = body.data;
  if (isPlainObject(data)) return { ok: true, value: data };
  if (Array.isArray(data) && data.length === 1 && isPlainObject(data[0])) return { ok: true, value: data[0] };
  return { ok: false, expected: `"data" to be ${what} as a JSON object`, got: describeType(data) };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a JSON value's type for messages; never the value itself (it may be huge). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
