import * as z from 'zod';
import { DETECT_KINDS, type DetectKind } from '../alerts/alert.ts';
import { cronProblem, timezoneProblem } from '../detection/expected-runs.ts';
import type { ScheduleSetting } from '../detection/schedule.ts';
import { nearestKey } from './closed-object.ts';
import { describeCronProblem } from './cron-wording.ts';
import { DURATION_EXAMPLES, parseDuration } from './duration.ts';

/*
 * How the settings that choose and tune detection are written: which rules, a run-time limit that may be
 * learned, a schedule, a time zone, a tolerance. Only the values; config-schema.ts says where each key goes,
 * documents it and gives its default.
 */

const KNOWN_RULES = DETECT_KINDS.join(', ');

/** `detect:` — the rules, each once, in the order of DETECT_KINDS whatever the order written. */
export function detectSchema(whenEmpty: string) {
  const rule = z.string({ error: `{value} is not a rule (known rules: ${KNOWN_RULES})` }).transform((name, context) => {
    const kind = DETECT_KINDS.find((known) => known === name.trim());
    if (kind !== undefined) return kind;
    const nearest = nearestKey(name.trim(), DETECT_KINDS);
    const hint = nearest === undefined ? '' : `did you mean "${nearest}"? `;
    context.issues.push({ code: 'custom', message: `{value} is not a rule (${hint}known rules: ${KNOWN_RULES})`, input: name });
    return z.NEVER;
  });
  return z
    .array(rule)
    .min(1, `is empty (list at least one of ${KNOWN_RULES}, ${whenEmpty})`)
    .transform((kinds): DetectKind[] => DETECT_KINDS.filter((kind) => kinds.includes(kind)));
}

const NOT_MAX_RUNTIME = `{value} is neither a duration nor auto (${DURATION_EXAMPLES}, or auto to learn it from the flow's own run times)`;

/** `maxRuntime:` — a duration longer than 0, or `auto`. */
export const maxRuntimeSchema = z.union([z.string(), z.number()], { error: NOT_MAX_RUNTIME }).transform((value, context) => {
  if (typeof value === 'string' && value.trim() === 'auto') return 'auto' as const;
  const milliseconds = parseDuration(value);
  if (milliseconds !== undefined && milliseconds > 0) return milliseconds;
  context.issues.push({ code: 'custom', message: milliseconds === 0 ? 'must be longer than 0, got {value}' : NOT_MAX_RUNTIME, input: value });
  return z.NEVER;
});

const SCHEDULE_FORMS = 'write a cron such as "0 6 * * *", a duration such as 1h for one run every hour, or none';
const NOT_SCHEDULE = `{value} is not a schedule (${SCHEDULE_FORMS})`;
const CRON_EXAMPLE = 'e.g. "0 6 * * *" for 06:00 every day, "*/15 * * * *" for every 15 minutes';

/** `schedule:` — a cron expression (5 or 6 fields, or a name such as @daily), a duration, or `none`. */
export const scheduleSchema = z.union([z.string(), z.number()], { error: NOT_SCHEDULE }).transform((value, context): ScheduleSetting => {
  const text = typeof value === 'string' ? value.trim() : value;
  if (text === 'none') return { kind: 'none' };
  const everyMs = parseDuration(text);
  if (everyMs !== undefined && everyMs > 0) return { kind: 'every', everyMs };
  const problem = everyMs === 0 ? 'must be longer than 0, got {value} (write none for a flow with no expected runs)' : cronMessage(text);
  if (problem === undefined) return { kind: 'cron', expression: String(text).split(/\s+/).join(' ') };
  context.issues.push({ code: 'custom', message: problem, input: value });
  return z.NEVER;
});

/** Undefined for a usable cron, else the message; text that does not even look like a cron gets the three forms. */
function cronMessage(text: string | number): string | undefined {
  if (typeof text !== 'string' || !(/\s/.test(text) || text.startsWith('@'))) return NOT_SCHEDULE;
  // Detection's own verdict, so a cron accepted here is never dropped there. It reads the cron in the flow's
  // scheduleTimezone, checked on its own; whether the cron is valid does not depend on the zone.
  if (cronProblem(text, 'UTC') === undefined) return undefined;
  return `{value} is not a valid cron: ${describeCronProblem(text)} (${CRON_EXAMPLE})`;
}

const NOT_TIME_ZONE = '{value} is not a time zone (write an IANA name such as Europe/Paris, or UTC)';

/** `scheduleTimezone:` — an IANA time zone, as written (trimmed). */
export const timeZoneSchema = z
  .string({ error: NOT_TIME_ZONE })
  .trim()
  .refine((zone) => zone !== '' && timezoneProblem(zone) === undefined, NOT_TIME_ZONE);

const NOT_PERCENTAGE = '{value} is not a percentage (write e.g. partialTolerance: 5% to accept loads missing up to 5% of the rows extracted)';
const PERCENTAGE = /^(-?\d+(?:\.\d+)?)\s*%?$/;

/** `partialTolerance:` — `5%`, or a number meaning percent (`5`), from 0 to 100; parsed to a ratio (0.05). */
export const partialToleranceSchema = z.union([z.string(), z.number()], { error: NOT_PERCENTAGE }).transform((value, context) => {
  const percent = typeof value === 'number' ? value : Number(PERCENTAGE.exec(value.trim())?.[1] ?? Number.NaN);
  if (!Number.isFinite(percent)) context.issues.push({ code: 'custom', message: NOT_PERCENTAGE, input: value });
  else if (percent < 0 || percent > 100) context.issues.push({ code: 'custom', message: 'must be from 0% to 100%, got {value}', input: value });
  else return percent / 100;
  return z.NEVER;
});
