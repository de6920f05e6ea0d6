import * as z from 'zod';
import { ROUTE_KINDS, SEVERITIES, type RouteKind } from '../alerts/alert.ts';
import { cronProblem } from '../detection/expected-runs.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import type { RouteRule } from '../routing/route-types.ts';
import { closedObject } from './closed-object.ts';
import { describeCronProblem } from './cron-wording.ts';
import { timeZoneSchema } from './detection-settings.ts';
import { DAY } from './duration.ts';
import { LABEL_KEY, labelsSchema, labelValueSchema, oneOf } from './noise-settings.ts';
import { duration, flag, flowIdSchema, text } from './setting-values.ts';

/*
 * How `routes:` and `maintenance:` are written. Which notifiers and label keys exist is a question about the rest
 * of the file, answered by check-routes.ts; here each entry is checked on its own. config-schema.ts documents the
 * keys and gives their defaults.
 */

export const severitySchema = oneOf(SEVERITIES, 'severity', 'severities');
const routeKind = oneOf(ROUTE_KINDS, 'kind');

/** `kinds:` — each once, in the order of ROUTE_KINDS. */
const kindsSchema = z
  .array(routeKind)
  .min(1, `is empty (list at least one of ${ROUTE_KINDS.join(', ')}, or leave kinds out for every kind)`)
  .transform((kinds): RouteKind[] => ROUTE_KINDS.filter((kind) => kinds.includes(kind)));

const matchValues = z
  .union([labelValueSchema.transform((value) => [value]), z.array(labelValueSchema).min(1, 'is empty (list at least one value)')])
  .transform((values) => [...new Set(values)]);

/**
 * `match:` — label key -> one value or a list of them; `severity` takes the alert's default severity instead of a
 * label, so only a severity may follow it.
 */
const matchSchema = z.preprocess(
  (value) => value ?? {},
  z.record(z.string(), matchValues).check(z.superRefine(checkMatchKeys, { when: (payload) => isRecord(payload.value) })),
);

function checkMatchKeys(match: Record<string, string[]>, context: z.RefinementCtx): void {
  for (const [key, values] of Object.entries(match)) {
    if (!LABEL_KEY.test(key)) {
      context.addIssue({ code: 'custom', path: [key], message: 'is not a label key (letters, digits, _, . and -, starting with a letter or _)', input: key });
    } else if (key === 'severity') {
      for (const value of values) {
        if ((SEVERITIES as readonly string[]).includes(value)) continue;
        const message = `${JSON.stringify(value)} is not a severity (known severities: ${SEVERITIES.join(', ')})`;
        context.addIssue({ code: 'custom', path: [key], message, input: value });
      }
    }
  }
}

const notifyNames = z
  .array(text, { error: (issue) => (issue.input === undefined ? 'is required (name the notifiers this route sends to, e.g. notify: [oncall])' : undefined) })
  .min(1, 'is empty (name at least one notifier, e.g. notify: [oncall])')
  .transform((names) => [...new Set(names)]);

const routeSchema = closedObject({
  match: matchSchema.prefault({}),
  kinds: kindsSchema.optional(),
  notify: notifyNames,
  continue: flag.prefault(false),
  severity: severitySchema.optional(),
}).transform(
  ({ match, kinds, notify, continue: goOn, severity }): RouteRule => ({
    match,
    ...(kinds === undefined ? {} : { kinds }),
    notify,
    continue: goOn,
    ...(severity === undefined ? {} : { severity }),
  }),
);

/**
 * Where alerts go besides each flow's own notify, in order: `{ match, kinds, notify, continue, severity }`. For each
 * kind of alert of a flow, the routes are read top to bottom; one matches when its `kinds` (default: every kind)
 * hold the alert's kind and the flow has, under every key of `match` (default: none, so every flow), one of the
 * values listed (`severity:` there is the alert's default severity). The first match is the last one read unless
 * it says `continue: true` (default false). `severity:` (critical, warning or info) overrides the alerts' own.
 * Default: no routes.
 */
export const routesSchema = z.array(routeSchema);

const CRON_EXAMPLE = 'e.g. "0 2 * * 0" for Sundays at 02:00';

const windowCron = text.refine(
  (cron) => cronProblem(cron, 'UTC') === undefined,
  // A cron's validity does not depend on the zone, which is checked on its own.
  { error: (issue) => `{value} is not a valid cron: ${describeCronProblem(String(issue.input))} (${CRON_EXAMPLE})` },
);

const windowDuration = duration((milliseconds) => {
  if (milliseconds === 0) return 'must be longer than 0, got {value}';
  return milliseconds > 7 * DAY ? 'must be at most 7d, got {value} (a window longer than a week never closes)' : undefined;
});

const windowFlows = closedObject({
  labels: labelsSchema.optional(),
  ids: z.array(flowIdSchema).optional(),
}).refine(
  ({ labels, ids }) => Object.keys(labels ?? {}).length > 0 || (ids ?? []).length > 0,
  'names no flow (give labels:, ids: or both, or leave flows: out to hold every flow)',
);

/** One window, its time zone not yet filled in: config-schema.ts knows the installation's. */
export type WrittenWindow = Omit<MaintenanceWindow, 'timezone'> & { timezone?: string };

const windowSchema = closedObject({
  name: text,
  cron: windowCron,
  duration: windowDuration,
  timezone: timeZoneSchema.optional(),
  flows: windowFlows.optional(),
}).transform(
  ({ name, cron, duration: durationMs, timezone, flows }): WrittenWindow => ({
    name,
    cron: cron.split(/\s+/).join(' '),
    durationMs,
    ...(timezone === undefined ? {} : { timezone }),
    ...(flows === undefined ? {} : { flows: { ...(flows.labels === undefined ? {} : { labels: flows.labels }), ...(flows.ids === undefined ? {} : { ids: [...new Set(flows.ids)] }) } }),
  }),
);

/**
 * Maintenance windows: `{ name, cron, duration, timezone, flows: { labels, ids } }`. A window opens at each time
 * the cron names, read in `timezone` (default: the installation's scheduleTimezone), and lasts `duration` (more
 * than 0, at most 7d). Inside it, alerts of the flows it holds (with every label of `labels`, or an id of `ids`;
 * flows left out: every flow) are held like a silence, and their stalled and missed clocks do not run. Names are
 * unique (check-routes.ts refuses a name used twice, naming the first). Default: no windows.
 */
export const maintenanceSchema = z.array(windowSchema);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
