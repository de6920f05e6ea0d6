import type { Job, Queue } from 'bullmq';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { deliveredMarkerKey } from './deliver-notification.ts';
import type { NotificationJobData } from './notification-queue.ts';
import { readGivenUpJobs } from './read-unsent-alerts.ts';

/** What `alerts retry` did for one notifier. */
export interface RetryCount {
  notifier: string;
  /** Given-up alerts moved back to waiting; a running worker sends them. */
  requeued: number;
  /** Given up, yet marked delivered (sent before the job failed): left alone, never sent twice. */
  alreadyDelivered: number;
  /** Gone from the given-up set before this run got to them: another `alerts retry` took them first. */
  takenElsewhere: number;
}

export interface RetryResult {
  /** One per chosen notifier, in the order given, those with nothing given up included. */
  counts: RetryCount[];
  /** Given-up alerts of notifiers not chosen (or no longer configured), left as they are, by notifier name. */
  notChosen: Array<{ notifier: string; givenUp: number }>;
}

/** BullMQ's codes for "no such job" and "job not in the failed set" (reprocessJob). */
const JOB_NOT_EXIST = -1;
const JOB_NOT_IN_STATE = -3;

/**
 * Sends the given-up alerts of the chosen notifiers again by moving each job from failed back to waiting, under its
 * own id: no copy is added, so each alert still reaches each notifier at most once. BullMQ's move is one script
 * that removes the job from the failed set first, so when two runs race for a job only one moves it; the other is
 * told the job is not in the failed set. Attempts start over, so a job that had spent every retry gets them all
 * again.
 */
export async function retryGivenUp(input: {
  queue: Queue<NotificationJobData>;
  redis: RedisConnection;
  prefix: string;
  notifiers: readonly string[];
}): Promise<RetryResult> {
  const { queue, redis, prefix, notifiers } = input;
  const counts = new Map(notifiers.map((notifier) => [notifier, { notifier, requeued: 0, alreadyDelivered: 0, takenElsewhere: 0 }]));
  const notChosen = new Map<string, number>();
  for (const job of await readGivenUpJobs(queue)) {
    const count = counts.get(job.data.notifier);
    if (count === undefined) {
      notChosen.set(job.data.notifier, (notChosen.get(job.data.notifier) ?? 0) + 1);
      continue;
    }
    if ((await redis.exists(deliveredMarkerKey(prefix, job.data.alert.key, job.data.notifier))) === 1) {
      count.alreadyDelivered += 1;
      continue;
    }
    if (await requeue(job)) count.requeued += 1;
    else count.takenElsewhere += 1;
  }
  return {
    counts: [...counts.values()],
    notChosen: [...notChosen].map(([notifier, givenUp]) => ({ notifier, givenUp })).sort((first, second) => first.notifier.localeCompare(second.notifier)),
  };
}

async function requeue(job: Job<NotificationJobData>): Promise<boolean> {
  try {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === JOB_NOT_IN_STATE || code === JOB_NOT_EXIST) return false;
    throw error;
  }
}
