import * as z from 'zod';
import { DURATION_EXAMPLES, parseDuration } from './duration.ts';

/*
 * Values as the config file writes them, used in more than one section of the schema: durations, flow ids,
 * text, true or false, URLs. Messages follow config-schema.ts: written for the operator, `{value}` filled in
 * when printing.
 */

export const missing = (hint: string) => (issue: { input?: unknown }) => (issue.input == null ? `is required (${hint})` : undefined);

/** A duration in milliseconds; `limit` may refuse some, returning the message. */
export function duration(limit: (milliseconds: number) => string | undefined = () => undefined) {
  const notDuration = `{value} is not a duration (${DURATION_EXAMPLES})`;
  return z.union([z.string(), z.number()], { error: notDuration }).transform((value, context) => {
    const milliseconds = parseDuration(value);
    const problem = milliseconds === undefined ? notDuration : limit(milliseconds);
    if (milliseconds !== undefined && problem === undefined) return milliseconds;
    context.issues.push({ code: 'custom', message: problem ?? notDuration, input: value });
    return z.NEVER;
  });
}

/** Whole numbers and booleans may come from `${VAR}`, which always yields text. */
const fromText = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  if (/^\d+$/.test(value.trim())) return Number(value);
  return value === 'true' ? true : value === 'false' ? false : value;
};

const FLOW_ID_HELP = "a flow id is the positive whole number in the flow's Portable URL";
const NOT_FLOW_ID = `{value} is not a flow id (${FLOW_ID_HELP})`;

export const flowIdSchema = z.preprocess(
  fromText,
  z
    .number({ error: (issue) => missing(FLOW_ID_HELP)(issue) ?? NOT_FLOW_ID })
    .int(NOT_FLOW_ID)
    .positive(NOT_FLOW_ID)
    .max(Number.MAX_SAFE_INTEGER, NOT_FLOW_ID),
);

/** A whole number from `min` to `max`, also from `${VAR}` text; `example` ends each refusal with how to write one. */
export function wholeNumber(min: number, max: number, example: string) {
  const notWhole = `{value} is not a whole number (${example})`;
  const outside = `must be from ${min} to ${max}, got {value}`;
  return z.preprocess(
    fromText,
    z
      .number({ error: (issue) => missing(example)(issue) ?? notWhole })
      .int(notWhole)
      .min(min, outside)
      .max(max, outside),
  );
}

export const text = z.string().trim().min(1, 'is empty (give it a value, or remove it)');
export const flag = z.preprocess(fromText, z.boolean());

export const httpUrl = (message: string) => z.string().refine(isHttpUrl, message);

export function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}
