import * as z from 'zod';
import { DEFAULT_ACCOUNT } from '../accounts/flow-ref.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import { accountFields, accountsSchema, type AccountConfig } from './account-settings.ts';
import { closedObject } from './closed-object.ts';
import { discoverEverySchema, discoverRulesSchema, type DiscoverRuleFile } from './discover-settings.ts';
import { timeZoneSchema } from './detection-settings.ts';
import {
  DEFAULT_SCHEDULE_REFRESH,
  DEFAULT_SCHEDULE_TIMEZONE,
  defaultsSchema,
  flowSettingFields,
  INSTALLATION_WIDE,
  notify,
  scheduleRefresh,
  TOP_LEVEL_ONLY,
} from './flow-settings.ts';
import { emailSchema, notifiersSchema, type notifierSchema } from './notifier-schema.ts';
import { maintenanceSchema, routesSchema } from './route-settings.ts';
import { flowIdSchema, missing, text } from './setting-values.ts';

/*
 * The one description of the watched-flows file: shape, defaults and the types the rest of the
 * program sees. Each key is documented once here, with its default, and once in
 * config/flows.example.yaml. Messages are written for the operator and may hold `{value}`, which
 * is replaced when printing by the offending value, unless that is a secret or came from the
 * environment (see describe-issue.ts).
 */

export { DEFAULT_API_URL } from './account-settings.ts';

const flowSchema = closedObject(
  {
    /** Portable flow id, unique in its account. Required. */
    id: flowIdSchema,
    /** Shown in alerts. Default: the flow's displayName from Portable, else its id. */
    name: text.optional(),
    /** The account (under `accounts:`) the flow belongs to. Required when there are several; default the only one. */
    account: text.optional(),
    ...flowSettingFields,
  },
  undefined,
  { scheduleRefresh: INSTALLATION_WIDE, ...TOP_LEVEL_ONLY },
);

/** The account named `default` (token, apiUrl, flowUrl; account-settings.ts), with installation-wide settings. */
const portableSchema = closedObject(
  {
    ...accountFields,
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
  /** The one Portable account, named `default`. Required unless `accounts:` names them (check-accounts.ts). */
  portable: z.preprocess(orEmpty(undefined), portableSchema.optional()),
  /** Named Portable accounts, besides or instead of `portable:`. Default: none. */
  accounts: z.preprocess(orEmpty({}), accountsSchema),
  /** Rules that watch flows not listed under `flows:`, found with `GET /v2/flows`; the first including a flow wins. Default: none. */
  discover: z.preprocess(orEmpty([]), discoverRulesSchema),
  /** How often each account's flows are listed for `discover:`. Default 5m, at least 10s. */
  discoverEvery: discoverEverySchema.prefault('5m'),
  /** Notifiers told "now watching N new flows" and "stopped watching". Default: none (changes are only logged). */
  discoverNotify: z.preprocess(orEmpty([]), notify),
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
  /** The flows to watch. At least one, unless `discover:` finds them (check-accounts.ts). */
  flows: z.preprocess(orEmpty([]), z.array(flowSchema)),
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
    /** The account the flow belongs to: its own `account:`, else the only account, else `default`. */
    account: string;
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
/** What a discovery rule gives each flow it includes: every setting but the id and the name, which come from Portable. */
export type FlowTemplate = Omit<FlowConfig, 'id' | 'name'>;
export interface DiscoverRule {
  /** Its place under `discover:`, from 0: what `portable-watch discover` names as the rule that matched. */
  index: number;
  account: string;
  include: string[];
  exclude: string[];
  ids: number[];
  template: FlowTemplate;
}
export type WatchConfig = Omit<ConfigFile, 'defaults' | 'flows' | 'portable' | 'accounts' | 'discover' | 'maintenance' | InstallationKey> & {
  /** Every account by name: `portable:` is the one named `default`. */
  accounts: Record<string, AccountConfig>;
  /** How often Portable's schedules are re-read (ms). */
  scheduleRefresh: number;
  flows: FlowConfig[];
  discover: DiscoverRule[];
  /** Each window with its time zone filled in. */
  maintenance: MaintenanceWindow[];
};

/**
 * The file as the program uses it: each flow carries all its settings. Where an installation-wide setting is
 * written in several places, check-installation-settings.ts refuses the file unless they agree, so the order in
 * which they are read here does not matter.
 */
export const watchConfigSchema = configFileSchema.transform(({ defaults, flows, portable, accounts, discover, ...rest }): WatchConfig => {
  const { scheduleRefresh: portableRefresh, scheduleTimezone: portableTimezone, ...connection } = portable ?? { token: '', apiUrl: '' };
  const { scheduleRefresh: topRefresh, scheduleTimezone: topTimezone, maintenance, ...sections } = rest;
  const scheduleTimezone = topTimezone ?? portableTimezone ?? DEFAULT_SCHEDULE_TIMEZONE;
  const windowTimezone = topTimezone ?? portableTimezone ?? defaults.scheduleTimezone ?? DEFAULT_SCHEDULE_TIMEZONE;
  const allAccounts: Record<string, AccountConfig> = { ...(portable === undefined ? {} : { [DEFAULT_ACCOUNT]: connection }), ...accounts };
  // check-accounts.ts refuses a missing or unknown account where several exist; one account is everyone's.
  const names = Object.keys(allAccounts);
  const accountOf = (account: string | undefined) => account ?? (names.length === 1 ? (names[0] ?? DEFAULT_ACCOUNT) : DEFAULT_ACCOUNT);
  // With `accounts:`, each flow carries its account as the label `account`, for routes, silences and windows to match.
  const labelled = Object.keys(accounts).length > 0;
  return {
    ...sections,
    accounts: allAccounts,
    maintenance: maintenance.map((window) => ({ ...window, timezone: window.timezone ?? windowTimezone })),
    scheduleRefresh: topRefresh ?? portableRefresh ?? defaults.scheduleRefresh ?? DEFAULT_SCHEDULE_REFRESH,
    flows: flows.map((flow) => withAccountLabel(applyDefaults(flow, accountOf(flow.account), defaults, scheduleTimezone), labelled)),
    discover: discover.map((rule, index) => {
      const found = discoverRule(rule, index, accountOf(rule.account), defaults, scheduleTimezone);
      return { ...found, template: withAccountLabel(found.template, labelled) };
    }),
  };
});

function withAccountLabel<Flow extends { account: string; labels: Record<string, string> }>(flow: Flow, labelled: boolean): Flow {
  return labelled ? { ...flow, labels: { ...flow.labels, account: flow.account } } : flow;
}

function discoverRule(rule: DiscoverRuleFile, index: number, account: string, defaults: DefaultsSection, scheduleTimezone: string): DiscoverRule {
  const { include, exclude, ids, ...settings } = rule;
  // The template is a flow's config without the id and name Portable gives each flow the rule finds.
  const { id, name, ...template } = applyDefaults({ ...settings, id: 0 }, account, defaults, scheduleTimezone);
  void id;
  void name;
  return { index, account, include: include ?? [], exclude: exclude ?? [], ids: ids ?? [], template };
}

/** Spelled out key by key so that a new setting fails to compile here until it is given a default. */
function applyDefaults(
  flow: Omit<z.output<typeof flowSchema>, 'account'>,
  account: string,
  defaults: DefaultsSection,
  scheduleTimezone: string,
): FlowConfig {
  const schedule = flow.schedule ?? defaults.schedule;
  const missedAfter = flow.missedAfter ?? defaults.missedAfter;
  return {
    id: flow.id,
    ...(flow.name === undefined ? {} : { name: flow.name }),
    account,
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

/** The link for one flow, from its account's `flowUrl` template. */
export function renderFlowUrl(template: string, flowId: number): string {
  return template.replaceAll('{id}', String(flowId));
}
