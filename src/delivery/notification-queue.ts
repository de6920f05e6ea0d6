import type { Queue } from 'bullmq';
import type { Alert } from '../alerts/alert.ts';
import type { AlertSink } from '../checks/check-flow.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { logAlerts } from './alert-log.ts';

/** One job per (alert, notifier): a slow or failing notifier never holds up another, nor the checks. */
export interface NotificationJobData {
  alert: Alert;
  notifier: string;
}

export const NOTIFICATION_QUEUE = 'notifications';

/** Named strategy so BullMQ calls `deliveryBackoff` (set as the worker's `settings.backoffStrategy`). */
export const DELIVERY_BACKOFF = 'delivery';

/**
 * Transient failures are retried for about half a day: an outage of Slack or of the mail server delays alerts,
 * it does not lose them. 8 doublings from 10 s reach the 30-minute ceiling after ~40 minutes; 22 more at the
 * ceiling make ~11 hours.
 */
export const DELIVERY_ATTEMPTS = 30;
const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 30 * 60_000;

export function deliveryBackoff(attemptsMade: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attemptsMade - 1));
  // Jitter in [ceiling/2, ceiling): retries after an outage do not arrive at Slack all at once.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The job id is derived from the alert key, so queueing the same alert again while its job exists is a no-op. */
export function notificationJobId(alertKey: string, notifier: string): string {
  return `${alertKey}.${notifier}`;
}

/** How long a delivered marker is kept: longer than any job of the same alert and notifier may wait. */
export const DELIVERED_TTL_S = 30 * 24 * 3600;

/** Set once an alert went out through a notifier; a job for the same pair finding it sends nothing. */
export function deliveredMarkerKey(prefix: string, alertKey: string, notifier: string): string {
  return deliveredMarkerOfJob(prefix, notificationJobId(alertKey, notifier));
}

/** The delivered marker of the pair a job id `<alert key>.<notifier>` names (digests keep members by job id). */
export function deliveredMarkerOfJob(prefix: string, jobId: string): string {
  return `${prefix}:delivered:${jobId}`;
}

const DAY_S = 24 * 3600;

/**
 * `queue` is read at each call: the watchdog may have replaced it. With `alertLog`, the alerts queued are also
 * added to their flows' logs (the status page's "alerts sent"), after the jobs: the log is for people to read, so
 * failing to write it fails nothing.
 */
export function createAlertSink(queue: () => Queue<NotificationJobData>, alertLog?: { redis: () => RedisConnection; prefix: string }): AlertSink {
  return {
    async enqueue(items) {
      const jobs = items.flatMap(({ alert, notifiers, jobSuffix }) => notifiers.map((notifier) => notificationJob(alert, notifier, jobSuffix)));
      if (jobs.length > 0) {
        try {
          await queue().addBulk(jobs);
        } catch {
          await addEachJob(queue(), jobs);
        }
      }
      if (alertLog !== undefined) await logAlerts(alertLog.redis(), alertLog.prefix, items).catch(() => undefined);
    },
  };
}

type NotificationJob = Parameters<Queue<NotificationJobData>['addBulk']>[0][number] & { data: NotificationJobData };

function notificationJob(alert: Alert, notifier: string, jobSuffix: string | undefined): NotificationJob {
  const jobId = notificationJobId(alert.key, notifier);
  return {
    name: alert.kind,
    data: { alert, notifier },
    opts: {
      jobId: jobSuffix === undefined ? jobId : `${jobId}.${jobSuffix}`,
      attempts: DELIVERY_ATTEMPTS,
      backoff: { type: DELIVERY_BACKOFF },
      // Kept long enough that a check repeated after a crash finds the job and does not queue it again.
      removeOnComplete: { age: 7 * DAY_S, count: 50_000 },
      removeOnFail: { age: 30 * DAY_S },
    },
  };
}

/**
 * The bulk add is all or nothing, so one job BullMQ refuses would take every other notifier's alert with it.
 * Each job is then added on its own: every one that can be queued is (a fixed job id makes a job the bulk
 * add did store a no-op), and the call still fails, so the check does not move its checkpoint and the
 * failed ones are tried again at the next check.
 */
async function addEachJob(queue: Queue<NotificationJobData>, jobs: readonly NotificationJob[]): Promise<void> {
  const results = await Promise.allSettled(jobs.map((job) => queue.add(job.name, job.data, job.opts)));
  const refused = jobs.flatMap((job, index) => {
    const result = results[index];
    return result?.status === 'rejected' ? [{ job, reason: result.reason as unknown }] : [];
  });
  const first = refused[0];
  if (first === undefined) return;
  const notifiers = [...new Set(refused.map(({ job }) => JSON.stringify(job.data.notifier)))];
  const alerts = [...new Set(refused.map(({ job }) => job.data.alert.key))];
  // Alert keys and notifier names hold no secret; BullMQ's and Redis' messages name neither URLs nor tokens.
  const what = `${alerts.length === 1 ? 'alert' : 'alerts'} ${alerts.join(', ')} for ${notifiers.length === 1 ? 'notifier' : 'notifiers'} ${notifiers.join(', ')}`;
  const reason = first.reason instanceof Error ? first.reason.message : String(first.reason);
  throw new Error(`could not queue ${what}: ${reason}`, { cause: first.reason });
}
