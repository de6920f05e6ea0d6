import * as z from 'zod';
import { DETECT_KINDS } from '../alerts/alert.ts';
import { closedObject } from './closed-object.ts';
import { detectSchema, maxRuntimeSchema, partialToleranceSchema, scheduleSchema, timeZoneSchema } from './detection-settings.ts';
import { MINUTE, SECOND } from './duration.ts';
import { alertAfterSchema, labelsSchema, repeatEverySchema } from './noise-settings.ts';
import { duration, flag, text } from './setting-values.ts';

/*
 * The settings of a flow: `defaults:` gives each its default, a flow (or the discovery rule that found it) may set any
 * of them for itself. config-schema.ts puts them together into the file.
 */

const pollEvery = duration((milliseconds) => (milliseconds < SECOND ? 'must be at least 1s, got {value}' : undefined));
const longerThanZero = (milliseconds: number) => (milliseconds === 0 ? 'must be longer than 0, got {value}' : undefined);
const backfill = duration();
export const notify = z.array(text).transform((names) => [...new Set(names)]);
const autoFallback = duration(longerThanZero);
const learnFrom = duration();
const missedAfter = duration(longerThanZero);
export const scheduleRefresh = duration((milliseconds) => (milliseconds < 10 * SECOND ? 'must be at least 10s, got {value}' : undefined));

/**
 * Installation-wide: one `GET /v2/flows` re-reads every flow's schedule from Portable this often. Written at the top
 * level, under `portable:` or under `defaults:` (the same setting, so two of them must agree). Default 10m, at
 * least 10s.
 */
export const DEFAULT_SCHEDULE_REFRESH = 10 * MINUTE;
/**
 * The time zone a cron is read in, Portable's and `schedule:`'s: an IANA name (Europe/Paris). Portable does not
 * publish its cron's time zone, hence the default UTC. Written at the top level or under `portable:` or `defaults:`
 * for every flow (two of these must agree), or on a flow for that flow.
 */
export const DEFAULT_SCHEDULE_TIMEZONE = 'UTC';

export const INSTALLATION_WIDE = 'is installation-wide, not per flow (write it once at the top level of the file, or under defaults: or portable:)';
/** Sections that name flows themselves (by labels or ids), so they sit beside flows:, not inside one. */
export const TOP_LEVEL_ONLY = {
  routes: 'goes at the top level of the file, beside flows: (a route picks its flows with match:)',
  maintenance: 'goes at the top level of the file, beside flows: (a window picks its flows with flows: { labels, ids })',
};

/** Settings every flow has; `defaults:` sets them for all flows, and any flow may override each. */
export const defaultsSchema = closedObject(
  {
    /** How often each flow is checked. Default 1m, at least 1s. */
    pollEvery: pollEvery.prefault('1m'),
    /**
     * A run RUNNING or PENDING for longer than this is "stalled". A duration more than 0, or `auto`: learned from the
     * flow's last 30 successful durations (the largest of 1.5 × p95, median + 4 × MAD and 10m). Default 2h.
     */
    maxRuntime: maxRuntimeSchema.prefault('2h'),
    /**
     * How far back the first check of a flow looks; it alerts only what is wrong then (the latest run failed, a run
     * past maxRuntime), not failures a later success already ended. 0 = only runs that start later. Default 24h.
     */
    backfill: backfill.prefault('24h'),
    /**
     * Names of notifiers (under `notifiers:`) that get this flow's alerts, besides what `routes:` give. Default
     * none, yet each kind of alert of every flow must reach someone, from here, from its own `notify` or from a
     * route (check-routes.ts refuses a flow whose alerts would reach nobody).
     */
    notify: notify.prefault([]),
    /** Whether to announce that a flow recovered. Default true. */
    sendOnResolved: flag.prefault(true),
    /** The rules that raise alerts: failed, stalled, missed, partial, volume, unknown-outcome. Default all of them. */
    detect: detectSchema('or leave detect out to use all of them').prefault([...DETECT_KINDS]),
    /** The limit `maxRuntime: auto` uses until 10 successful durations are known. Default 2h, more than 0. */
    autoFallback: autoFallback.prefault('2h'),
    /**
     * How far back a flow's first check reads Portable's history to learn run times and volumes from, so `auto` and
     * volume drops work on day one. 0 = learn only from runs seen from then on. Default 30d.
     */
    learnFrom: learnFrom.prefault('30d'),
    /**
     * When the flow is expected to run, for flows triggered from elsewhere (Airflow, the API): a cron (5 fields, or 6
     * with seconds first), a duration (`1h`: one run every hour), or `none`. Default: Portable's own schedule.
     */
    schedule: scheduleSchema.optional(),
    /** See DEFAULT_SCHEDULE_TIMEZONE. */
    scheduleTimezone: timeZoneSchema.optional(),
    /**
     * How long after an expected run's time a missing run is alerted. Default: 10% of the period between runs, at
     * least 2m, at most 1h. More than 0.
     */
    missedAfter: missedAfter.optional(),
    /**
     * Rows extracted and not loaded that a succeeded run may leave before it is a partial load: `5%` (or 5), from 0%
     * to 100%. Parsed to a ratio (0.05). Default 0%: every missing row counts.
     */
    partialTolerance: partialToleranceSchema.prefault(0),
    /** See DEFAULT_SCHEDULE_REFRESH. */
    scheduleRefresh: scheduleRefresh.optional(),
    /**
     * Label key -> value, e.g. `{ team: growth, tier: critical }`: what routes, silences and maintenance windows
     * match on. A flow's own labels are laid over these key by key. Keys: a letter or _, then letters, digits, _, .
     * and -; not `severity` nor `account`. Numbers and booleans are taken as text (`tier: 1` is "1"). Default none.
     */
    labels: labelsSchema.prefault({}),
    /**
     * While an incident stays open (failing with no success since, stalled and still running, missed with still no
     * run, a monitor error still there), remind of it this often: a duration of at least 1m, or off (also 0 or
     * false). Default off.
     */
    repeatEvery: repeatEverySchema.prefault('off'),
    /**
     * Failed attempts in a row before a flow alerts, for flaky flows; a recovery is announced only after a failure
     * was. A whole number from 1 to 100. Default 1.
     */
    alertAfter: alertAfterSchema.prefault(1),
  },
  undefined,
  TOP_LEVEL_ONLY,
);

/** What a flow may set for itself, and a discovery rule for the flows it includes: any key of `defaults:`. */
export const flowSettingFields = {
    pollEvery: pollEvery.optional(),
    maxRuntime: maxRuntimeSchema.optional(),
    backfill: backfill.optional(),
    notify: notify.optional(),
    sendOnResolved: flag.optional(),
    detect: detectSchema('or remove the flow').optional(),
    autoFallback: autoFallback.optional(),
    learnFrom: learnFrom.optional(),
    schedule: scheduleSchema.optional(),
    scheduleTimezone: timeZoneSchema.optional(),
    missedAfter: missedAfter.optional(),
    partialTolerance: partialToleranceSchema.optional(),
    labels: labelsSchema.optional(),
    repeatEvery: repeatEverySchema.optional(),
    alertAfter: alertAfterSchema.optional(),
};
