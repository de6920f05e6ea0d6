import { Queue, Worker, type Processor } from 'bullmq';
import type { Logger } from 'pino';
import { NOTIFICATION_QUEUE, type NotificationJobData } from '../delivery/notification-queue.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { isConnectionError, isLostJobError, type OutageLog } from '../redis/outage-log.ts';
import { CHECK_QUEUE, type CheckJobData } from '../scheduling/reconcile-schedules.ts';

/**
 * Everything of a worker that is bound to one Redis connection: the connection, the two queues and the BullMQ
 * workers on it. Built once at start, and built again whole by the watchdog when checks stop completing, so a
 * connection wedged in a state ioredis does not leave by itself cannot keep the worker blind.
 */
export interface Plumbing {
  readonly redis: RedisConnection;
  readonly checkQueue: Queue<CheckJobData>;
  readonly notificationQueue: Queue<NotificationJobData>;
  startChecks(processor: Processor<CheckJobData>): void;
  startDelivery(processor: Processor<NotificationJobData>): void;
  /** Which workers run, so a rebuilt plumbing starts the same ones. */
  readonly running: { checks: boolean; delivery: boolean };
  /** Stops taking jobs, lets jobs in flight finish for `graceMs`, then aborts them; closes the queues. */
  close(graceMs: number): Promise<void>;
  /** Gives up on a stuck plumbing at once: the connection is cut, workers and queues are closed without waiting. */
  abandon(): void;
}

export interface PlumbingOptions {
  prefix: string;
  log: Logger;
  outage: OutageLog;
  checkConcurrency: number;
  deliveryConcurrency: number;
  deliveryBackoff: (attemptsMade: number) => number;
}

export function createPlumbing(redis: RedisConnection, options: PlumbingOptions): Plumbing {
  const { prefix, log, outage } = options;
  const checkQueue = new Queue<CheckJobData>(CHECK_QUEUE, { connection: redis, prefix });
  const notificationQueue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
  const workers: Worker[] = [];
  const running = { checks: false, delivery: false };

  // Connection trouble is the outage log's to tell, once, and so are jobs lost to it (locks not renewed, jobs gone
  // from a Redis that restarted empty); anything else is worth its own line. Without a listener, BullMQ would
  // print each error's stack trace to stderr.
  const onError = (queue: string) => (error: Error) => {
    if (isConnectionError(error)) outage.failed(error);
    else if (outage.explains(error)) return;
    // A lock lost outside an outage (a failover the main connection rode through quietly, a long pause): the job
    // runs again, and checks and deliveries are idempotent, so it is worth a warning, not an error.
    else if (isLostJobError(error)) log.warn({ queue, err: error }, 'a job lost its lock; it runs again');
    else log.error({ queue, err: error }, 'queue error');
  };
  checkQueue.on('error', onError(CHECK_QUEUE));
  notificationQueue.on('error', onError(NOTIFICATION_QUEUE));

  const watch = (worker: Worker) => {
    worker.on('failed', (job, error) => {
      // A check or delivery that waited on Redis while it was away: the outage already said so, once.
      if (outage.explains(error)) return;
      const data = job?.data as Partial<NotificationJobData> | undefined;
      log.warn({ queue: worker.name, jobId: job?.id, alert: data?.alert?.key, notifier: data?.notifier, attemptsMade: job?.attemptsMade, err: error }, 'job failed');
    });
    worker.on('error', onError(worker.name));
    workers.push(worker);
  };

  return {
    redis,
    checkQueue,
    notificationQueue,
    running,
    startChecks(processor) {
      if (running.checks) return;
      running.checks = true;
      watch(new Worker<CheckJobData>(CHECK_QUEUE, processor, { connection: redis, prefix, concurrency: options.checkConcurrency }));
    },
    startDelivery(processor) {
      if (running.delivery) return;
      running.delivery = true;
      watch(
        new Worker<NotificationJobData>(NOTIFICATION_QUEUE, processor, {
          connection: redis,
          prefix,
          concurrency: options.deliveryConcurrency,
          settings: { backoffStrategy: options.deliveryBackoff },
        }),
      );
    },
    async close(graceMs) {
      const timer = setTimeout(() => {
        for (const worker of workers) worker.cancelAllJobs('shutting down');
      }, graceMs);
      try {
        await Promise.all(workers.map((worker) => worker.close()));
      } finally {
        clearTimeout(timer);
      }
      await Promise.all([checkQueue.close(), notificationQueue.close()]);
    },
    abandon() {
      // Cutting the connection first fails whatever waits on it, so the closes below cannot hang on it.
      redis.disconnect();
      for (const worker of workers) worker.cancelAllJobs('the watchdog replaced this worker');
      const closing = [...workers.map((worker) => worker.close(true)), checkQueue.close(), notificationQueue.close()];
      void Promise.allSettled(closing);
    },
  };
}
