import * as z from 'zod';
import { DETECT_KINDS } from '../alerts/alert.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import { closedObject } from './closed-object.ts';
import { detectSchema, maxRuntimeSchema, partialToleranceSchema, scheduleSchema, timeZoneSchema } from './detection-settings.ts';
import { MINUTE, SECOND } from './duration.ts';
import { alertAfterSchema, labelsSchema, repeatEverySchema } from './noise-settings.ts';
import { emailSchema, notifiersSchema, type notifierSchema } from './notifier-schema.ts';
import { maintenanceSchema, routesSchema } from './route-settings.ts';
import { duration, flag, flowIdSchema, httpUrl, missing, text } from './setting-values.ts';

/*
 * The one description of the watched-flows file: shape, defaults and the types the rest of the
 * program sees. Each key is documented once here, with its default, and once in
 * config/flows.example.yaml. Messages are written for the operator and may hold `{value}`, which
 * is replaced when printing by the offending value, unless that is a secret or came from the
 * environment (see describe-issue.ts).
 */

export const DEFAULT_API_URL = 'https://api.portable.io';

const pollEvery = duration((milliseconds) => (milliseconds < SECOND ? 'must be at least 1s, got {value}' : undefined));
const longerThanZero = (milliseconds: number) => (milliseconds === 0 ? 'must be longer than 0, got {value}' : undefined);
const backfill = duration();
const notify = z.array(text).transform((names) => [...new Set(names)]);
const autoFallback = duration(longerThanZero);
const learnFrom = duration();
const missedAfter = duration(longerThanZero);
const scheduleRefresh = duration((milliseconds) => (milliseconds < 10 * SECOND ? 'must be at least 10s, got {value}' : undefined));

/**
 * Installation-wide: one `GET /v2/flows` re-reads every flow's schedule from Portable this often. Written at the top
 * level, under `portable:` or under `defaults:` (the same setting, so two of them must agree). Default 10m, at
 * least 10s.
 */
const DEFAULT_SCHEDULE_REFRESH = 10 * MINUTE;
/**
 * The time zone a cron is read in, Portable's and `schedule:`'s: an IANA name (Europe/Paris). Portable does not
 * publish its cron's time zone, hence the default UTC. Written at the top level or under `portable:` or `defaults:`
 * for every flow (two of these must agree), or on a flow for that flow.
 */
const DEFAULT_SCHEDULE_TIMEZONE = 'UTC';

const INSTALLATION_WIDE = 'is installation-wide, not per flow (write it once at the top level of the file, or under defaults: or portable:)';
/** Sections that name flows themselves (by labels or ids), so they sit beside flows:, not inside one. */
const TOP_LEVEL_ONLY = {
  routes: 'goes at the top level of the file, beside flows: (a route picks its flows with match:)',
  maintenance: 'goes at the top level of the file, beside flows: (a window picks its flows with flows: { labels, ids })',
};

/** Settings every flow has; `defaults:` sets them for all flows, and any flow may override each. */
const defaultsSchema = closedObject(
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

const flowSchema = closedObject(
  {
    /** Portable flow id, unique in the file. Required. */
    id: flowIdSchema,
    /** Shown in alerts. Default: the flow's displayName from Portable, else its id. */
    name: text.optional(),
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
  },
  undefined,
  { scheduleRefresh: INSTALLATION_WIDE, ...TOP_LEVEL_ONLY },
);

const portableSchema = closedObject(
  {
    /** Portable API token. Required; a secret, so write `${PORTABLE_API_TOKEN}`. */
    token: z.string({ error: missing('add token: ${PORTABLE_API_TOKEN}') }).min(1, 'is empty (set it to your Portable API token)'),
    /** Portable API base URL. Default https://api.portable.io; tests point it at the simulator. */
    apiUrl: httpUrl('{value} is not an http(s) URL')
      .prefault(DEFAULT_API_URL)
      .transform((url) => url.replace(/\/+$/, '')),
    /** Link shown in alerts, `{id}` replaced by the flow id. Default: no link. */
    flowUrl: httpUrl('{value} is not an http(s) URL')
      .refine((template) => template.includes('{id}'), 'must contain {id} where the flow id goes')
      .optional(),
    /** See DEFAULT_SCHEDULE_REFRESH. */
    scheduleRefresh: scheduleRefresh.optional(),
    /** See DEFAULT_SCHEDULE_TIMEZONE. */
    scheduleTimezone: timeZoneSchema.optional(),
  },
  { error: missing('add portable: with token: ${PORTABLE_API_TOKEN}') },
);

/** An empty section (every key commented out) reads as null; treat it as absent. */
const orEmpty = <Value>(fallback: Value) => (value: unknown) => value ?? fallback;

/** The file as written: defaults not yet applied to flows. */
export const configFileSchema = closedObject({
  portable: portableSchema,
  defaults: z.preprocess(orEmpty({}), defaultsSchema),
  /** Where alerts go, by the name flows use in `notify`: letters, digits, `-` and `_`. Default: none. */
  notifiers: z.preprocess(orEmpty({}), notifiersSchema),
  /** How email is sent. Required when an email notifier exists. */
  email: z.preprocess(orEmpty(undefined), emailSchema.optional()),
  /** See DEFAULT_SCHEDULE_REFRESH. */
  scheduleRefresh: scheduleRefresh.optional(),
  /** See DEFAULT_SCHEDULE_TIMEZONE. */
  scheduleTimezone: timeZoneSchema.optional(),
  /** Where alerts go besides each flow's own notify, in order. Default: none (see routesSchema). */
  routes: z.preprocess(orEmpty([]), routesSchema),
  /** Maintenance windows, each named once. Default: none (see maintenanceSchema). */
  maintenance: z.preprocess(orEmpty([]), maintenanceSchema),
  /** The flows to watch. Required, at least one. */
  flows: z
    .array(flowSchema, { error: missing('list the flows to watch, e.g. flows: [{ id: 689422 }]') })
    .min(1, 'is empty (list at least one flow to watch)'),
});

type InstallationKey = 'scheduleRefresh' | 'scheduleTimezone';
type FlowOnlyKey = 'labels' | 'repeatEvery' | 'alertAfter';
export type ConfigFile = z.output<typeof configFileSchema>;
type DefaultsSection = z.output<typeof defaultsSchema>;
/** A flow's settings: durations in milliseconds, `partialTolerance` a ratio from 0 to 1. */
export type FlowSettings = Omit<DefaultsSection, InstallationKey | FlowOnlyKey> & { scheduleTimezone: string };
/** Settings every one filled in from `defaults:` (then the installation-wide values) where the flow does not set it. */
export type FlowConfig = FlowSettings &
  Pick<z.output<typeof flowSchema>, 'id' | 'name'> & {
    /** `defaults.labels` overlaid by the flow's own, key by key. */
    labels: Record<string, string>;
    /** Milliseconds between reminders of an open incident; null: none. */
    repeatEvery: number | null;
    alertAfter: number;
    /** Where `notify` came from, for explanations (`portable-watch routes`): the flow's own list, or defaults.notify. */
    notifySource: 'flow' | 'defaults';
  };
export type NotifierConfig = z.output<typeof notifierSchema>;
export type NotifierType = NotifierConfig['type'];
export type WatchConfig = Omit<ConfigFile, 'defaults' | 'flows' | 'portable' | 'maintenance' | InstallationKey> & {
  portable: Omit<ConfigFile['portable'], InstallationKey>;
  /** How often Portable's schedules are re-read (ms). */
  scheduleRefresh: number;
  flows: FlowConfig[];
  /** Each window with its time zone filled in. */
  maintenance: MaintenanceWindow[];
};

/**
 * The file as the program uses it: each flow carries all its settings. Where an installation-wide setting is
 * written in several places, check-installation-settings.ts refuses the file unless they agree, so the order in
 * which they are read here does not matter.
 */
export const watchConfigSchema = configFileSchema.transform(({ defaults, flows, portable, ...rest }): WatchConfig => {
  const { scheduleRefresh: portableRefresh, scheduleTimezone: portableTimezone, ...connection } = portable;
  const { scheduleRefresh: topRefresh, scheduleTimezone: topTimezone, maintenance, ...sections } = rest;
  const scheduleTimezone = topTimezone ?? portableTimezone ?? DEFAULT_SCHEDULE_TIMEZONE;
  const windowTimezone = topTimezone ?? portableTimezone ?? defaults.scheduleTimezone ?? DEFAULT_SCHEDULE_TIMEZONE;
  return {
    ...sections,
    maintenance: maintenance.map((window) => ({ ...window, timezone: window.timezone ?? windowTimezone })),
    portable: connection,
    scheduleRefresh: topRefresh ?? portableRefresh ?? defaults.scheduleRefresh ?? DEFAULT_SCHEDULE_REFRESH,
    flows: flows.map((flow) => applyDefaults(flow, defaults, scheduleTimezone)),
  };
});

/** Spelled out key by key so that a new setting fails to compile here until it is given a default. */
function applyDefaults(flow: z.output<typeof flowSchema>, defaults: DefaultsSection, scheduleTimezone: string): FlowConfig {
  const schedule = flow.schedule ?? defaults.schedule;
  const missedAfter = flow.missedAfter ?? defaults.missedAfter;
  return {
    id: flow.id,
    ...(flow.name === undefined ? {} : { name: flow.name }),
    pollEvery: flow.pollEvery ?? defaults.pollEvery,
    maxRuntime: flow.maxRuntime ?? defaults.maxRuntime,
    backfill: flow.backfill ?? defaults.backfill,
    notify: flow.notify ?? defaults.notify,
    notifySource: flow.notify === undefined ? 'defaults' : 'flow',
    sendOnResolved: flow.sendOnResolved ?? defaults.sendOnResolved,
    detect: flow.detect ?? defaults.detect,
    autoFallback: flow.autoFallback ?? defaults.autoFallback,
    learnFrom: flow.learnFrom ?? defaults.learnFrom,
    // Left out rather than undefined: no schedule means Portable's, no missedAfter the automatic grace.
    ...(schedule === undefined ? {} : { schedule }),
    scheduleTimezone: flow.scheduleTimezone ?? defaults.scheduleTimezone ?? scheduleTimezone,
    ...(missedAfter === undefined ? {} : { missedAfter }),
    partialTolerance: flow.partialTolerance ?? defaults.partialTolerance,
    labels: { ...defaults.labels, ...flow.labels },
    // Not `??`: a flow's `repeatEvery: off` is null, and must win over the defaults' reminders.
    repeatEvery: flow.repeatEvery === undefined ? defaults.repeatEvery : flow.repeatEvery,
    alertAfter: flow.alertAfter ?? defaults.alertAfter,
  };
}

/** The link for one flow, from the `portable.flowUrl` template. */
export function renderFlowUrl(template: string, flowId: number): string {
  return template.replaceAll('{id}', String(flowId));
}
