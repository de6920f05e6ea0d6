import type { Digest } from '../../digests/digest-types.ts';
import { renderPlainDigest } from '../render-plain-digest.ts';
import { iso, renderWebhookBody, type WebhookAlertBody } from './render-webhook-body.ts';

/** A storm's digest in version 1 of the webhook body: one POST carrying every member's own alert body. */
export interface WebhookDigestBody {
  version: 1;
  kind: 'digest';
  /** Equal to the webhook-id header: the same members give the same id, however often the digest is retried. */
  id: string;
  count: number;
  since: string;
  sentAt: string;
  text: string;
  alerts: WebhookAlertBody[];
}

/**
 * Every member goes in, however many: a program reads the list, so nothing is left to "see elsewhere" as in a chat
 * message. Oldest first, in the order the plain-text digest lists them.
 */
export function renderWebhookDigest(digest: Digest, id: string): WebhookDigestBody {
  const alerts = [...digest.alerts].sort((a, b) => a.detectedAt - b.detectedAt);
  return {
    version: 1,
    kind: 'digest',
    id,
    count: alerts.length,
    since: iso(digest.since),
    sentAt: iso(digest.sentAt),
    text: renderPlainDigest(digest),
    alerts: alerts.map(renderWebhookBody),
  };
}
