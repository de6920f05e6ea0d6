import { createHash } from 'node:crypto';
// standardwebhooks is CommonJS. Node's ES module loader still gives it named exports, because its compiled
// `exports.Webhook = Webhook` is a pattern Node's CommonJS export detection (cjs-module-lexer) recognises; checked
// under Node 24 and vitest. Should a release stop being detectable, `import sw from 'standardwebhooks'` and
// `sw.Webhook` is the form that always works.
import { Webhook } from 'standardwebhooks';
import { NotifierError } from '../notifier.ts';

/*
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` in seconds and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, computed by the standardwebhooks package.
 */

/** Enough of the hash that two messages never share an id by chance (192 bits). */
const ID_CHARS = 32;

/**
 * The id of one alert's message to one notifier, the same on every retry so a receiver can drop a repeat. The
 * notifier's name is part of it: two notifiers pointing at one receiver are two deliveries, not a repeat.
 */
export function alertMessageId(notifierName: string, alertKey: string): string {
  return messageId(`${notifierName}\nalert\n${alertKey}`);
}

/** A digest's id, from its members' keys in sorted order: the same storm's digest keeps it across retries. */
export function digestMessageId(notifierName: string, alertKeys: readonly string[]): string {
  return messageId(`${notifierName}\ndigest\n${[...alertKeys].sort().join('\n')}`);
}

function messageId(identity: string): string {
  return `msg_${createHash('sha256').update(identity, 'utf8').digest('base64url').slice(0, ID_CHARS)}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature'?: string;
}

/**
 * The headers for one POST of `body` (the exact bytes sent) at `nowMs`. Without a signer the body goes unsigned, but
 * still with its id and timestamp: a receiver can deduplicate and judge freshness either way.
 */
export function webhookHeaders(messageIdValue: string, body: string, nowMs: number, signer: Webhook | undefined): SignedHeaders {
  const seconds = Math.floor(nowMs / 1000);
  const headers: SignedHeaders = { 'webhook-id': messageIdValue, 'webhook-timestamp': String(seconds) };
  if (signer !== undefined) headers['webhook-signature'] = signer.sign(messageIdValue, new Date(seconds * 1000), body);
  return headers;
}

/** The library decodes the secret here; its own error is not repeated (nor the secret). */
export function createSigner(name: string, secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    const advice = 'write whsec_ followed by random bytes in base64, e.g. from: echo "whsec_$(openssl rand -base64 32)"';
    throw new NotifierError(`the secret of webhook notifier "${name}" is not a Standard Webhooks secret: ${advice}`, {
      retryable: false,
      code: 'invalid_secret',
    });
  }
}
