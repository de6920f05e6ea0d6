import * as z from 'zod';
import { SECOND } from './duration.ts';
import { duration, isHttpUrl, missing } from './setting-values.ts';

/*
 * The notifier types that speak plain HTTP: PagerDuty's Events API v2, a Microsoft Teams Workflows webhook, and any
 * endpoint taking a signed JSON body. Their secrets (routing key, URLs, signing secret, header values) are never
 * quoted by a message: config-path.ts lists their keys.
 */

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Spaces or line breaks in a key pasted from a web page are the usual mistake; the key itself is never echoed. */
const secretText = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `is empty (paste the ${what}, or read it from an environment variable: \${VAR})`)
    .refine((value) => !/\s/.test(value), `holds spaces or line breaks (paste the ${what} again, without them)`);

export const pagerDutyFields = {
  type: z.literal('pagerduty'),
  /** The integration key of a PagerDuty service's "Events API V2" integration. Required; a secret. */
  routingKey: z.string({ error: missing('add routingKey: ${PAGERDUTY_ROUTING_KEY}, the integration key of an Events API V2 integration') }).pipe(secretText('integration key')),
  /** Where events go. Default https://events.pagerduty.com/v2/enqueue; the EU service region uses https://events.eu.pagerduty.com/v2/enqueue. */
  url: z.string().refine(isHttpUrl, 'is not an http(s) URL (e.g. https://events.eu.pagerduty.com/v2/enqueue)').optional(),
};

export const teamsFields = {
  type: z.literal('teams'),
  /** The URL of a Teams Workflows flow "Post to a channel when a webhook request is received". Required; a secret. */
  webhookUrl: z
    .string({ error: missing('add webhookUrl: "${TEAMS_WEBHOOK_URL}", the URL of the channel\'s "Post to a channel when a webhook request is received" workflow') })
    .refine(isHttpUrl, 'is not an http(s) URL (copy the workflow\'s HTTP POST URL again)'),
};

/** Headers the webhook notifier sets itself: a config that sets them would break the body or its signature. */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'host', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headersSchema = z.record(z.string(), z.string({ error: 'is not text (quote the value)' })).check(
  z.superRefine((headers, context) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) {
        context.addIssue({ code: 'custom', path: [name], message: 'is not a valid HTTP header name (letters, digits and - only, e.g. X-Api-Key)', input: name });
      } else if (OWN_HEADERS.has(name.toLowerCase())) {
        context.addIssue({ code: 'custom', path: [name], message: 'is set by portable-watch itself (remove it)', input: name });
      } else if (/[\r\n\0]/.test(value)) {
        context.addIssue({ code: 'custom', path: [name], message: 'holds a line break (header values are one line)', input: name });
      }
    }
  }),
);

/** `whsec_` and base64, as Standard Webhooks writes a secret; the prefix is optional, as the library takes it. */
function isWebhookSecret(value: string): boolean {
  const base64 = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
  return /^[A-Za-z0-9+/]+={0,2}$/.test(base64) && base64.length % 4 === 0 && Buffer.from(base64, 'base64').length >= 16;
}

export const webhookFields = {
  type: z.literal('webhook'),
  /** The endpoint the JSON body is POSTed to. Required; a secret (such URLs often carry a token). */
  url: z.string({ error: missing('add url: "${ALERT_WEBHOOK_URL}"') }).refine(isHttpUrl, 'is not an http(s) URL'),
  /** Standard Webhooks signing secret, `whsec_` and base64 (at least 16 bytes). Default: none, the body is not signed. A secret. */
  secret: z
    .string()
    .refine(isWebhookSecret, 'is not a Standard Webhooks secret (write whsec_ followed by at least 16 random bytes in base64, e.g. from: echo "whsec_$(openssl rand -base64 32)")')
    .optional(),
  /** Extra request headers, e.g. `Authorization: "Bearer ${BOT_TOKEN}"`. Default: none. Their values are secrets. */
  headers: headersSchema.optional(),
  /** The longest one delivery may take. Default 10s, from 1s to 60s. */
  timeout: duration((milliseconds) => (milliseconds < SECOND || milliseconds > 60 * SECOND ? 'must be from 1s to 60s, got {value}' : undefined)).optional(),
};
