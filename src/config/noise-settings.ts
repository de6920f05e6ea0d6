import * as z from 'zod';
import { nearestKey } from './closed-object.ts';
import { DURATION_EXAMPLES, HOUR, MINUTE, parseDuration, SECOND } from './duration.ts';
import { duration, wholeNumber } from './setting-values.ts';

/*
 * How the settings that keep alerts few and well aimed are written (issue 12): labels, reminders, a threshold of
 * failures, and how many messages a notifier sends before it gathers the rest into digests. Only the values;
 * config-schema.ts and notifier-schema.ts say where each key goes, document it and give its default. Messages
 * follow config-schema.ts: written for the operator, `{value}` filled in when printing.
 */

/** A label key as routes and silences name it (`team`, `tier`, `cost.center`): safe in a `--label k=v` too. */
export const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Keys a label may not have, each with why: a route matching on them would mean something else. */
export const RESERVED_LABEL_KEYS: Readonly<Record<string, string>> = {
  severity: 'is reserved: routes match severity: on the alert\'s own severity, not on a label (choose another key, e.g. priority)',
  account: 'is reserved: with accounts:, every flow carries its Portable account as the label account (choose another key)',
};

const NOT_LABEL_VALUE = '{value} is not a label value (write text, e.g. team: growth)';

/** A label value: text, or a YAML number or boolean taken as its text (`tier: 1` is "1"). */
export const labelValueSchema = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (issue) => (issue.input === null ? 'has no value (give it one, or remove the label)' : NOT_LABEL_VALUE),
  })
  .transform((value) => String(value).trim())
  .refine((value) => value !== '', 'is empty (give the label a value, or remove it)');

/**
 * `labels:` — label key -> value. Keys are checked beside the record rather than as its key schema, so that a
 * bad key does not hide the problems of the values (as notifier names are).
 */
export const labelsSchema = z.preprocess(
  (value) => value ?? {},
  z.record(z.string(), labelValueSchema).check(z.superRefine(refuseBadKeys, { when: isRecordPayload })),
);

function refuseBadKeys(labels: Record<string, unknown>, context: z.RefinementCtx): void {
  for (const key of Object.keys(labels)) {
    const problem = labelKeyProblem(key);
    if (problem !== undefined) context.addIssue({ code: 'custom', path: [key], message: problem, input: key });
  }
}

/** Why `key` cannot be a label key, or undefined when it can. */
export function labelKeyProblem(key: string): string | undefined {
  if (Object.hasOwn(RESERVED_LABEL_KEYS, key)) return RESERVED_LABEL_KEYS[key];
  if (LABEL_KEY.test(key)) return undefined;
  const fixed = key.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[^A-Za-z_]+/, '') || 'team';
  return `a label key starts with a letter or _ and holds only letters, digits, _, . and - (rename it, e.g. to "${fixed}")`;
}

const OFF_WORDS: readonly unknown[] = ['off', 'false', '0', 0, false];
const NOT_REPEAT = `{value} is neither a duration nor off (${DURATION_EXAMPLES}, e.g. 4h for a reminder every 4 hours, or off for none)`;

/** `repeatEvery:` — a duration of at least 1m, or `off` (also 0 or false): null, no reminders. */
export const repeatEverySchema = z.union([z.string(), z.number(), z.boolean()], { error: NOT_REPEAT }).transform((value, context) => {
  const written = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (OFF_WORDS.includes(written)) return null;
  const milliseconds = parseDuration(value);
  if (milliseconds === 0) return null;
  if (milliseconds !== undefined && milliseconds >= MINUTE) return milliseconds;
  const message = milliseconds === undefined ? NOT_REPEAT : 'must be at least 1m, got {value} (or off for no reminders)';
  context.issues.push({ code: 'custom', message, input: value });
  return z.NEVER;
});

/** `alertAfter:` — failed attempts in a row before a flow alerts, 1 to 100. */
export const alertAfterSchema = wholeNumber(1, 100, 'e.g. alertAfter: 3 to alert on the third failed attempt in a row');

/** `burst:` on a notifier — messages sent one by one within a groupInterval before the rest become a digest; 1 to 10,000 (a burst never reached turns digests off). */
export const burstSchema = wholeNumber(1, 10_000, 'e.g. burst: 5');

/** `groupInterval:` on a notifier — the window burst counts in, and how often a digest is sent; 10s to 1h. */
export const groupIntervalSchema = duration((milliseconds) =>
  milliseconds < 10 * SECOND || milliseconds > HOUR ? 'must be from 10s to 1h, got {value}' : undefined,
);

/** A word from `known`, with the nearest suggested when it is not one (`critcal` -> did you mean "critical"?). */
export function oneOf<Word extends string>(known: readonly Word[], what: string, whats = `${what}s`) {
  const list = `known ${whats}: ${known.join(', ')}`;
  return z.string({ error: `{value} is not a ${what} (${list})` }).transform((written, context): Word => {
    const word = known.find((candidate) => candidate === written.trim());
    if (word !== undefined) return word;
    const nearest = nearestKey(written.trim(), known);
    const hint = nearest === undefined ? '' : `did you mean "${nearest}"? `;
    context.issues.push({ code: 'custom', message: `{value} is not a ${what} (${hint}${list})`, input: written });
    return z.NEVER;
  });
}

function isRecordPayload(payload: { value: unknown }): boolean {
  return typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value);
}
