import * as z from 'zod';
import { closedObject } from './closed-object.ts';
import { DURATION_EXAMPLES, parseDuration, SECOND } from './duration.ts';

/*
 * The one description of the watched-flows file: shape, defaults and the types the rest of the
 * program sees. Each key is documented once here, with its default, and once in
 * config/flows.example.yaml. Messages are written for the operator and may hold `{value}`, which
 * is replaced when printing by the offending value, unless that is a secret or came from the
 * environment (see describe-issue.ts).
 */

export const DEFAULT_API_URL = 'https://api.portable.io';

const missing = (hint: string) => (issue: { input?: unknown }) => (issue.input == null ? `is required (${hint})` : undefined);

/** A duration in milliseconds; `limit` may refuse some, returning the message. */
function duration(limit: (milliseconds: number) => string | undefined = () => undefined) {
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

const text = z.string().trim().min(1, 'is empty (give it a value, or remove it)');
const flag = z.preprocess(fromText, z.boolean());

const pollEvery = duration((milliseconds) => (milliseconds < SECOND ? 'must be at least 1s, got {value}' : undefined));
const maxRuntime = duration((milliseconds) => (milliseconds === 0 ? 'must be longer than 0, got {value}' : undefined));
const backfill = duration();
const notify = z.array(text).transform((names) => [...new Set(names)]);

/** Settings every flow has; `defaults:` sets them for all flows, and any flow may override each. */
const defaultsSchema = closedObject({
  /** How often each flow is checked. Default 1m, at least 1s. */
  pollEvery: pollEvery.prefault('1m'),
  /** A run RUNNING or PENDING for longer than this is "stalled". Default 2h, more than 0. */
  maxRuntime: maxRuntime.prefault('2h'),
  /**
   * How far back the first check of a flow looks; it alerts only what is wrong then (the latest run failed, a run
   * past maxRuntime), not failures a later success already ended. 0 = only runs that start later. Default 24h.
   */
  backfill: backfill.prefault('24h'),
  /**
   * Names of notifiers (under `notifiers:`) that get this flow's alerts. Default none, yet every flow must
   * end up with at least one, from here or from its own `notify` (check-references.ts refuses a flow
   * whose alerts would reach nobody).
   */
  notify: notify.prefault([]),
  /** Whether to announce that a flow recovered. Default true. */
  sendOnResolved: flag.prefault(true),
});

const flowSchema = closedObject({
  /** Portable flow id, unique in the file. Required. */
  id: flowIdSchema,
  /** Shown in alerts. Default: the flow's displayName from Portable, else its id. */
  name: text.optional(),
  pollEvery: pollEvery.optional(),
  maxRuntime: maxRuntime.optional(),
  backfill: backfill.optional(),
  notify: notify.optional(),
  sendOnResolved: flag.optional(),
});

const httpUrl = (message: string) => z.string().refine(isHttpUrl, message);

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
  },
  { error: missing('add portable: with token: ${PORTABLE_API_TOKEN}') },
);

const emailAddress = z.string().refine(isEmailAddress, '{value} is not an email address');

/**
 * One Slack mention as Slack's own syntax writes it; the mention is the one text sent unescaped, so nothing
 * else may pass: `@here` or a name would show as plain text and ping nobody.
 */
const SLACK_MENTION = String.raw`<(?:!here|!channel|!everyone|@[UW][A-Z0-9]+|!subteam\^S[A-Z0-9]+)(?:\|[^<>|\n]+)?>`;
const SLACK_MENTIONS = new RegExp(`^${SLACK_MENTION}(?: +${SLACK_MENTION})*$`);
const NOT_MENTION =
  '{value} is not a Slack mention (write <!here>, <!channel>, <!everyone>, a user as <@U012AB3CD>, ' +
  'a user group as <!subteam^S012AB3CD>, each optionally with a |label before the >; several separated by spaces)';

const slackNotifierSchema = closedObject({
  type: z.literal('slack'),
  /** Slack incoming-webhook URL. Required; a secret. */
  webhookUrl: z.string({ error: missing('add webhookUrl: "${SLACK_WEBHOOK_URL}"') }).refine(isHttpUrl, 'is not an http(s) URL'),
  /** Slack mentions put before the alert, e.g. `<!here>` or `<@U012AB3CD> <!subteam^S012AB3CD>`. Default: none. */
  mention: text.pipe(z.string().regex(SLACK_MENTIONS, NOT_MENTION)).optional(),
});

const emailNotifierSchema = closedObject({
  type: z.literal('email'),
  /** Recipients. Required, at least one; sent through the top-level `email:` section. */
  to: z.array(emailAddress, { error: missing('add to: [team@example.com]') }).min(1, 'is empty (list at least one address)'),
});

/** Prints alerts on the terminal; for demos and trying a config out. */
const consoleNotifierSchema = closedObject({ type: z.literal('console') });

const notifierOptions = [slackNotifierSchema, emailNotifierSchema, consoleNotifierSchema] as const;

export const NOTIFIER_TYPES = notifierOptions.map((option) => option.shape.type.value);

const notifierSchema = z.discriminatedUnion('type', notifierOptions, {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    const known = `known types: ${NOTIFIER_TYPES.join(', ')}`;
    const type: unknown = (issue.input as { type?: unknown } | undefined)?.type;
    return type == null ? `is required (${known})` : `unknown notifier type {value} (${known})`;
  },
});

const emailSchema = closedObject({
  /** smtp:// or smtps:// URL, credentials allowed. Required; a secret. */
  smtpUrl: z.string({ error: missing('add smtpUrl: ${SMTP_URL}') }).refine(isSmtpUrl, 'is not an smtp:// or smtps:// URL'),
  /** Sender: `alerts@example.com` or `Name <alerts@example.com>`. Required. */
  from: z
    .string({ error: missing('add from: "Portable Watch <alerts@example.com>"') })
    .refine(isMailbox, '{value} is not an email address (write alerts@example.com or "Name <alerts@example.com>")'),
});

/**
 * A notifier's name becomes part of its BullMQ job ids (`<alert key>.<name>`), which must not hold `:`, and
 * a label of its metrics: letters, digits, `-` and `_` are safe everywhere. Checked beside the record rather
 * than as its key schema so that a bad name does not hide the problems of the notifier itself.
 */
const NOTIFIER_NAME = /^[A-Za-z0-9_-]+$/;

function refuseBadNames(notifiers: Record<string, unknown>, context: z.RefinementCtx): void {
  for (const name of Object.keys(notifiers)) {
    if (NOTIFIER_NAME.test(name)) continue;
    const fixed =
      name
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/[^A-Za-z0-9_-]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'oncall';
    const message = `a notifier name may hold only letters (a-z, A-Z), digits, - and _ (rename it, e.g. to "${fixed}", and in every notify list that names it)`;
    context.addIssue({ code: 'custom', path: [name], message, input: name });
  }
}

function isRecordPayload(payload: { value: unknown }): boolean {
  return typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value);
}

/** An empty section (every key commented out) reads as null; treat it as absent. */
const orEmpty = <Value>(fallback: Value) => (value: unknown) => value ?? fallback;

/** The file as written: defaults not yet applied to flows. */
export const configFileSchema = closedObject({
  portable: portableSchema,
  defaults: z.preprocess(orEmpty({}), defaultsSchema),
  /** Where alerts go, by the name flows use in `notify`: letters, digits, `-` and `_`. Default: none. */
  notifiers: z.preprocess(orEmpty({}), z.record(z.string(), notifierSchema).check(z.superRefine(refuseBadNames, { when: isRecordPayload }))),
  /** How email is sent. Required when an email notifier exists. */
  email: z.preprocess(orEmpty(undefined), emailSchema.optional()),
  /** The flows to watch. Required, at least one. */
  flows: z
    .array(flowSchema, { error: missing('list the flows to watch, e.g. flows: [{ id: 689422 }]') })
    .min(1, 'is empty (list at least one flow to watch)'),
});

export type ConfigFile = z.output<typeof configFileSchema>;
export type FlowSettings = z.output<typeof defaultsSchema>;
/** Settings in milliseconds, every one filled in from `defaults:` where the flow does not set it. */
export type FlowConfig = FlowSettings & Pick<z.output<typeof flowSchema>, 'id' | 'name'>;
export type NotifierConfig = z.output<typeof notifierSchema>;
export type NotifierType = NotifierConfig['type'];
export type WatchConfig = Omit<ConfigFile, 'defaults' | 'flows'> & { flows: FlowConfig[] };

/** The file as the program uses it: each flow carries all its settings. */
export const watchConfigSchema = configFileSchema.transform(
  ({ defaults, flows, ...rest }): WatchConfig => ({ ...rest, flows: flows.map((flow) => applyDefaults(flow, defaults)) }),
);

/** Spelled out key by key so that a new setting fails to compile here until it is given a default. */
function applyDefaults(flow: z.output<typeof flowSchema>, defaults: FlowSettings): FlowConfig {
  return {
    id: flow.id,
    ...(flow.name === undefined ? {} : { name: flow.name }),
    pollEvery: flow.pollEvery ?? defaults.pollEvery,
    maxRuntime: flow.maxRuntime ?? defaults.maxRuntime,
    backfill: flow.backfill ?? defaults.backfill,
    notify: flow.notify ?? defaults.notify,
    sendOnResolved: flow.sendOnResolved ?? defaults.sendOnResolved,
  };
}

/** The link for one flow, from the `portable.flowUrl` template. */
export function renderFlowUrl(template: string, flowId: number): string {
  return template.replaceAll('{id}', String(flowId));
}

function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

function isSmtpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
}

const plainAddress = z.email();

function isEmailAddress(value: string): boolean {
  return plainAddress.safeParse(value).success;
}

/** `alerts@example.com` or `Display Name <alerts@example.com>`. */
function isMailbox(value: string): boolean {
  const named = /^[^<>]*<([^<>]+)>$/.exec(value.trim());
  return isEmailAddress(named?.[1] ?? value.trim());
}
