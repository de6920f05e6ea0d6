import * as z from 'zod';
import { closedObject } from './closed-object.ts';
import { pagerDutyFields, teamsFields, webhookFields } from './http-notifier-schemas.ts';
import { burstSchema, groupIntervalSchema } from './noise-settings.ts';
import { isHttpUrl, missing, text } from './setting-values.ts';

/* Where alerts go: the `notifiers:` and `email:` sections of the file (see config-schema.ts). */

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

/**
 * How a storm reaches one notifier, on every type: the first `burst` alerts within `groupInterval` go out one by
 * one at once; past that, the rest are gathered into one digest per groupInterval, so 300 failures make a few
 * messages a webhook accepts rather than 300 it answers with 429.
 */
const pace = {
  /** Messages sent one by one within a groupInterval before the rest become a digest. Default 5, from 1 to 10,000 (one never reached turns digests off). */
  burst: burstSchema.prefault(5),
  /** The window burst counts in, and how often a digest goes out. Default 1m, from 10s to 1h. */
  groupInterval: groupIntervalSchema.prefault('1m'),
};

const slackFields = {
  type: z.literal('slack'),
  /** Slack incoming-webhook URL. Required; a secret. */
  webhookUrl: z.string({ error: missing('add webhookUrl: "${SLACK_WEBHOOK_URL}"') }).refine(isHttpUrl, 'is not an http(s) URL'),
  /** Slack mentions put before the alert, e.g. `<!here>` or `<@U012AB3CD> <!subteam^S012AB3CD>`. Default: none. */
  mention: text.pipe(z.string().regex(SLACK_MENTIONS, NOT_MENTION)).optional(),
};

const emailFields = {
  type: z.literal('email'),
  /** Recipients. Required, at least one; sent through the top-level `email:` section. */
  to: z.array(emailAddress, { error: missing('add to: [team@example.com]') }).min(1, 'is empty (list at least one address)'),
};

/** Prints alerts on the terminal; for demos and trying a config out. No keys of its own. */
const consoleFields = { type: z.literal('console') };

/*
 * PagerDuty Events API v2 (an alert triggers, its recovery resolves), a Microsoft Teams channel through a Workflows
 * webhook, and any HTTP endpoint (a versioned JSON body, schemas/webhook-v1.json, signed per Standard Webhooks):
 * their keys are in http-notifier-schemas.ts.
 */
const fieldsByType = [slackFields, emailFields, consoleFields, pagerDutyFields, teamsFields, webhookFields] as const;

/** A key of another notifier type is told where it belongs: `routingKey` on a teams notifier is a pagerduty key. */
function misplacedKeys(own: { type: z.ZodLiteral<string> }): Record<string, string> {
  const misplaced: Record<string, string> = {};
  for (const fields of fieldsByType) {
    if (fields === own) continue;
    for (const key of Object.keys(fields)) {
      if (key === 'type' || Object.hasOwn(own, key)) continue;
      const types = fieldsByType.filter((other) => Object.hasOwn(other, key)).map((other) => other.type.value);
      misplaced[key] = `is a key of ${types.join(' and ')} notifiers, not of type ${own.type.value} (remove it, or change the type)`;
    }
  }
  return misplaced;
}

const withPace = <Fields extends { type: z.ZodLiteral<string> } & z.ZodRawShape>(fields: Fields) =>
  closedObject({ ...fields, ...pace }, undefined, misplacedKeys(fields));

const notifierOptions = [
  withPace(slackFields),
  withPace(emailFields),
  withPace(consoleFields),
  withPace(pagerDutyFields),
  withPace(teamsFields),
  withPace(webhookFields),
] as const;

export const NOTIFIER_TYPES = notifierOptions.map((option) => option.shape.type.value);

export const notifierSchema = z.discriminatedUnion('type', notifierOptions, {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    const known = `known types: ${NOTIFIER_TYPES.join(', ')}`;
    const type: unknown = (issue.input as { type?: unknown } | undefined)?.type;
    return type == null ? `is required (${known})` : `unknown notifier type {value} (${known})`;
  },
});

/** `notifiers:`, by name. */
export const notifiersSchema = z.record(z.string(), notifierSchema).check(z.superRefine(refuseBadNames, { when: isRecordPayload }));

export const emailSchema = closedObject({
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
