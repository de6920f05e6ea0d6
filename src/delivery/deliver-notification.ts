import { flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import type { Logger } from 'pino';
import { isAboutFlow } from '../alerts/alert.ts';
import type { DigestBook, DigestPolicy } from '../digests/digest-book.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import type { Notifier } from '../notifiers/notifier.ts';
import { NotifierError } from '../notifiers/notifier.ts';
import type { Silence } from '../silences/silence-types.ts';
import { describeHold, findHold, recordHeld } from './held-alerts.ts';
import { deliveredMarkerKey, DELIVERED_TTL_S, notificationJobId, type NotificationJobData } from './notification-queue.ts';

/**
 * Sends one alert through one notifier, at most once. BullMQ's job id already keeps a job from being queued
 * twice while it exists; the delivered marker also covers a job queued again after its predecessor was
 * removed, so the only way to send twice is a crash between the send and the marker.
 */

/**
 * `held`: a silence or a maintenance window holds it (recorded; sent at the hold's end if still news). `gathered`:
 * it joined the notifier's digest, which a flush sends.
 */
export type DeliveryOutcome = 'delivered' | 'already-delivered' | 'held' | 'gathered';

/** How the job adapter must treat a failed delivery. */
export type DeliveryFailure =
  | { action: 'retry'; message: string }
  | { action: 'wait'; message: string; delayMs: number }
  | { action: 'give-up'; message: string };

export interface DeliveryDependencies {
  redis: RedisConnection;
  prefix: string;
  notifier: (name: string) => Notifier | undefined;
  now: () => number;
  log: Logger;
  /** Silences and maintenance windows; none when absent. */
  holds?: { silences(now: number): Promise<readonly Silence[]>; windows(): readonly MaintenanceWindow[] };
  /** Storm control; every alert is sent on its own when absent. */
  digests?: { book: DigestBook; policy(notifier: string): DigestPolicy };
}


/** Hash of the last alert delivered for a flow (kind, key, notifier, at): what `status` shows. */
export function lastAlertKey(prefix: string, flow: FlowKey): string {
  return `${prefix}:flow:${flow}:last-alert`;
}

export { deliveredMarkerKey, DELIVERED_TTL_S } from './notification-queue.ts';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly failure: DeliveryFailure;
  constructor(failure: DeliveryFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

export async function deliverNotification(
  deps: DeliveryDependencies,
  data: NotificationJobData,
  options: { signal?: AbortSignal } = {},
): Promise<DeliveryOutcome> {
  const { alert, notifier: name } = data;
  const marker = deliveredMarkerKey(deps.prefix, alert.key, name);
  // An account- or installation-wide alert names no flow (its flow is the one that noticed, or a stand-in 0).
  const log = deps.log.child({ flowId: isAboutFlow(alert) ? alert.flow.id : undefined, attemptId: alert.attempt?.id, alert: alert.key, notifier: name });
  if ((await deps.redis.exists(marker)) === 1) {
    log.info('alert already delivered; not sending again');
    return 'already-delivered';
  }
  const notifier = deps.notifier(name);
  if (notifier !== undefined && deps.holds !== undefined) {
    const at = deps.now();
    const hold = findHold(alert, await deps.holds.silences(at), deps.holds.windows(), at);
    if (hold !== undefined) {
      const recorded = await recordHeld(deps.redis, deps.prefix, { alert, notifier: name, heldAt: at, hold });
      const fields = { kind: alert.kind, heldBy: describeHold(hold), until: new Date(hold.until).toISOString() };
      if (recorded) log.info(fields, 'alert held, not sent');
      else log.info(fields, 'recovery of an incident this notifier never heard of held and dropped');
      return 'held';
    }
  }
  if (notifier !== undefined && deps.digests !== undefined && alert.kind !== 'test') {
    const jobId = notificationJobId(alert.key, name);
    const gate = await deps.digests.book.gate({ notifier: name, jobId, alert, markerKey: marker, policy: deps.digests.policy(name), now: deps.now() });
    if (gate === 'already-delivered') {
      log.info('alert already delivered; not sending again');
      return 'already-delivered';
    }
    if (gate === 'gathered') {
      log.info({ kind: alert.kind }, 'alert gathered into the next digest');
      return 'gathered';
    }
  }
  if (notifier === undefined) {
    throw new DeliveryError({
      action: 'give-up',
      message: `notifier "${name}" is no longer in the config; alert ${alert.key} was not sent (add the notifier back, then run portable-watch alerts retry --notifier ${name}; or ignore it)`,
    });
  }
  try {
    await notifier.send(alert, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    throw new DeliveryError(classify(error));
  }
  const at = deps.now();
  await deps.redis
    .multi()
    .set(marker, String(at), 'EX', DELIVERED_TTL_S)
    .hset(lastAlertKey(deps.prefix, flowKeyOf(alert.flow)), 'kind', alert.kind, 'key', alert.key, 'notifier', name, 'at', String(at))
    .exec();
  log.info({ kind: alert.kind }, 'alert delivered');
  return 'delivered';
}

function classify(error: unknown): DeliveryFailure {
  if (error instanceof NotifierError) {
    if (!error.retryable) return { action: 'give-up', message: error.message };
    if (error.retryAfterMs !== undefined) return { action: 'wait', message: error.message, delayMs: error.retryAfterMs };
    return { action: 'retry', message: error.message };
  }
  // Unclassified errors are retried: losing an alert to a bug is worse than retrying one.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { action: 'retry', message: hideUrls(message) };
}

/** Any URL-like text, which is how a webhook URL or SMTP credentials would appear in a message. */
const URL_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi;

/**
 * The message becomes the job's failedReason, which BullMQ stores and `portable-watch alerts` prints. Notifier
 * errors are written without secrets; an error no notifier classified was not, and a library's message can quote
 * the URL it failed on, so any URL in it is hidden.
 */
function hideUrls(message: string): string {
  return message.replace(URL_TEXT, '(a URL, hidden)');
}
